"""Shared pytest fixtures.

Corpus fixtures: corpus files are not part of the repository (see
corpora/README.md); a test that needs one asks the ``corpus_file`` fixture,
which skips the test when the file is not on this machine.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

import pytest

# The corpora/ and bench/ packages live at the repository root and are not
# installed; appended (not prepended) so an installed midicoth still wins.
_REPO_ROOT = Path(__file__).resolve().parent.parent
if str(_REPO_ROOT) not in sys.path:
    sys.path.append(str(_REPO_ROOT))

import corpora


@pytest.fixture
def corpus_file() -> Callable[[str], Path]:
    """A function mapping ``set/name`` to the file's path, skipping if it is absent."""

    def find(key: str) -> Path:
        path = corpora.corpus_path(key)
        if path is None:
            pytest.skip(f"corpus file {key} not found (see corpora/README.md)")
        return path

    return find


@pytest.fixture
def corpus_set() -> Callable[[str], list[Path]]:
    """A function mapping a set name to its files here, skipping if none is present."""

    def find(name: str) -> list[Path]:
        paths = [loc.path for loc in corpora.locate_set(name) if loc.path is not None]
        if not paths:
            pytest.skip(f"corpus set {name} not found (see corpora/README.md)")
        return paths

    return find
