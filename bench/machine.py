"""A description of the machine and run, printed above every result table."""

from __future__ import annotations

import datetime
import os
import platform
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
COMMAND = "python -m bench"


def cpu_model() -> str:
    """The CPU's marketing name where the OS tells it, else the architecture."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_gib() -> float | None:
    """Physical memory in GiB, where the OS tells it."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (AttributeError, ValueError, OSError):
        return None


def display_arg(arg: str) -> str:
    """`arg` fit to publish: absolute paths shown relative to the repository."""
    if not os.path.isabs(arg):
        return arg
    path = Path(arg).resolve()
    try:
        return path.relative_to(REPO_ROOT).as_posix()
    except ValueError:  # outside the repository: keep only the name
        return path.name


def command_line(argv: list[str]) -> str:
    """The command that produced a result, without this machine's paths."""
    parts = [COMMAND]
    for arg in argv:
        if "=" in arg and arg.startswith("--"):
            key, _, value = arg.partition("=")
            parts.append(f"{key}={display_arg(value)}")
        else:
            parts.append(display_arg(arg))
    return " ".join(parts)


def describe(argv: list[str]) -> list[str]:
    """Markdown bullet lines: command, machine, OS, Python, date."""
    mem = memory_gib()
    mem_text = f", {mem:.0f} GiB RAM" if mem else ""
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return [
        f"- Command: `{command_line(argv)}`",
        f"- Machine: {cpu_model()}, {os.cpu_count()} logical CPUs{mem_text}",
        f"- OS: {platform.system()} {platform.release()} ({platform.machine()})",
        f"- Python: {platform.python_implementation()} {platform.python_version()}",
        f"- Date: {now}",
    ]
