"""Building the C core with AddressSanitizer + UndefinedBehaviorSanitizer.

A helper module, not a test file: tests/test_sanitizers.py and
tests/test_limits.py import it (pytest puts tests/ on the import path), so
that neither imports the other. The core is built with the plain-calloc
table allocator (tests/c/alloc_plain.c), so that AddressSanitizer guards
each table, and with the core's own asserts (``-DMDC_DEBUG``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CSRC = Path(__file__).resolve().parent.parent / "csrc"
HARNESS = Path(__file__).resolve().parent / "c"
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all"]
CFLAGS = ["-std=c99", "-g", "-O1", "-fno-omit-frame-pointer", "-DMDC_DEBUG"]


def core_sources() -> list[str]:
    """The core's sources, with the plain-calloc table allocator."""
    sources = sorted(str(p) for p in CSRC.glob("*.c") if p.name != "alloc.c")
    return sources + [str(HARNESS / "alloc_plain.c")]


def sanitizer_env(**extra: str) -> dict[str, str]:
    """This process's environment, with the sanitizers set to stop at the first report."""
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = "abort_on_error=0:halt_on_error=1:detect_leaks=1"
    env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
    env.update(extra)
    return env


def compiler_with(flags: list[str], tmp: Path, names: tuple[str, ...] = ("gcc", "clang")) -> str:
    """The first compiler that builds and runs a program with ``flags``; skip if none."""
    probe = tmp / "probe.c"
    probe.write_text("int main(void) { return 0; }\n")
    for name in names:
        if shutil.which(name) is None:
            continue
        exe = tmp / f"probe-{name}"
        built = subprocess.run(
            [name, *flags, "-o", str(exe), str(probe)], capture_output=True, check=False
        )
        if built.returncode == 0 and subprocess.run([str(exe)], check=False).returncode == 0:
            return name
    pytest.skip(f"no {' or '.join(names)} here builds and runs a program with {' '.join(flags)}")


def build(cc: str, flags: list[str], sources: list[str], out: Path, shared: bool = False) -> Path:
    """Compile and link ``sources`` into ``out`` (a shared library if ``shared``)
    with ``flags`` and CFLAGS; fail the test on a compiler error."""
    cmd = [cc, *flags, *CFLAGS, f"-I{CSRC}", f"-I{HARNESS}", "-o", str(out), *sources, "-lm"]
    if shared:
        cmd[1:1] = ["-shared", "-fPIC"]
    done = subprocess.run(cmd, capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()[-4000:]
    return out
