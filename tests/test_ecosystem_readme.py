"""Run every example of the README's "Ecosystem" section, as written.

Each fenced ``sh`` or ``python`` block under a ``###`` heading of that
section is one test, named after the heading. Python blocks run as scripts
in a fresh interpreter (so entry points are exercised as a user meets them,
and ``if __name__ == "__main__"`` guards behave as in a script); shell blocks
run under ``bash -euo pipefail``. Both run in an empty temporary directory.
A block is skipped when a package it imports, or a program it runs, is
missing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
SECTION = "## Ecosystem"
TIMEOUT = 180


class Example(NamedTuple):
    name: str
    language: str
    code: str


def _slug(heading: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-")


def ecosystem_examples(text: str) -> list[Example]:
    """The fenced sh/python blocks of the Ecosystem section, named by heading."""
    start = text.index(f"\n{SECTION}\n")
    end = text.find("\n## ", start + 1)
    section = text[start : end if end != -1 else len(text)]
    examples: list[Example] = []
    heading = "intro"
    counts: dict[str, int] = {}
    lines = iter(section.splitlines())
    for line in lines:
        if line.startswith("### "):
            heading = _slug(line[4:])
            continue
        match = re.fullmatch(r"```(\w+)\s*", line)
        if not match:
            continue
        body = []
        for inner in lines:
            if inner.startswith("```"):
                break
            body.append(inner)
        if match.group(1) not in ("sh", "python"):
            continue
        counts[heading] = counts.get(heading, 0) + 1
        name = heading if counts[heading] == 1 else f"{heading}-{counts[heading]}"
        examples.append(Example(name, match.group(1), "\n".join(body) + "\n"))
    return examples


EXAMPLES = ecosystem_examples(README.read_text(encoding="utf-8"))


def _imported_modules(code: str) -> list[str]:
    pattern = r"^\s*(?:from\s+([\w.]+)\s+import|import\s+([\w.]+))"
    return [a or b for a, b in re.findall(pattern, code, flags=re.MULTILINE)]


def test_every_integration_has_an_example() -> None:
    names = {example.name for example in EXAMPLES}
    assert {"tar", "fsspec", "pandas", "dask", "numcodecs-zarr-and-dask-arrays"} <= names


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_readme_example(example: Example, tmp_path: Path) -> None:
    if example.language == "sh":
        for program in ("bash", "tar", "midicoth"):
            if shutil.which(program) is None:
                pytest.skip(f"{program} is not on PATH")
        command = ["bash", "-euo", "pipefail", "-c", example.code]
    else:
        for module in _imported_modules(example.code):
            if module.split(".")[0] != "midicoth":
                pytest.importorskip(
                    module, reason=f"{module} is not installed (the ecosystem extra brings it)"
                )
        script = tmp_path / "example.py"
        script.write_text(example.code, encoding="utf-8")
        command = [sys.executable, script.name]
    run = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    assert run.returncode == 0, f"example failed:\n{example.code}\n{run.stdout}\n{run.stderr}"
