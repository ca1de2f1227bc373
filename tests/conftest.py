"""Shared pytest fixtures and hypothesis profiles.

Hypothesis profiles: ``ci`` (the default) keeps every property test quick
enough for each change; ``thorough`` runs twenty times as many examples per
test, for long runs on request (see docs/TESTING.md)::

    MIDICOTH_HYPOTHESIS_PROFILE=thorough python -m pytest tests/test_roundtrip_fuzzing.py

Tests that must stay small in CI scale their example counts with
``settings.default.max_examples`` (100 under ``ci``), so one switch scales all.

Corpus fixtures: corpus files are not part of the repository (see
corpora/README.md); a test that needs one asks the ``corpus_file`` fixture,
which skips the test when the file is not on this machine.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# The corpora/ and bench/ packages live at the repository root and are not
# installed; appended (not prepended) so an installed midicoth still wins.
_REPO_ROOT = Path(__file__).resolve().parent.parent
if str(_REPO_ROOT) not in sys.path:
    sys.path.append(str(_REPO_ROOT))

import corpora

settings.register_profile(
    "ci",
    max_examples=100,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "thorough",
    max_examples=2000,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("MIDICOTH_HYPOTHESIS_PROFILE", "ci"))


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
