"""Find the corpus files on this machine.

Corpus files are never part of the repository. They are looked up under a
*corpora root*, a folder with one sub-folder per set (``canterbury/``,
``calgary/``, ...), in this order:

1. the folder named by the environment variable ``MIDICOTH_CORPORA``; when it
   is set, it is the only place searched, so a run is never silently fed
   files from elsewhere;
2. otherwise ``../shared/corpora`` relative to the repository root, then the
   download cache that ``python -m corpora.download`` fills
   (``$XDG_CACHE_HOME/midicoth/corpora``, by default
   ``~/.cache/midicoth/corpora``); each file is taken from the first of the
   two that holds it.

Only a file's presence and size are checked here (cheap); the download script
and ``verify()`` check digests.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .manifest import CorpusFile, lookup, set_files

ENV_VAR = "MIDICOTH_CORPORA"
REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_ROOT = REPO_ROOT.parent / "shared" / "corpora"


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where the download script puts corpora by default."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "midicoth" / "corpora"


def search_roots(environ: Mapping[str, str] | None = None) -> list[Path]:
    """The corpora roots to search, in order (see the module docstring)."""
    env = os.environ if environ is None else environ
    explicit = env.get(ENV_VAR)
    if explicit:
        return [Path(explicit).expanduser()]
    return [SHARED_ROOT, cache_dir(env)]


@dataclass(frozen=True)
class Located:
    """A manifest entry and where it was found (None if it was not)."""

    entry: CorpusFile
    path: Path | None

    @property
    def present(self) -> bool:
        return self.path is not None


def locate(entry: CorpusFile, environ: Mapping[str, str] | None = None) -> Path | None:
    """Path of a corpus file of the right size in the first root that has it."""
    for root in search_roots(environ):
        path = root / entry.set / entry.name
        try:
            if path.is_file() and path.stat().st_size == entry.size:
                return path
        except OSError:
            continue
    return None


def locate_set(set_name: str, environ: Mapping[str, str] | None = None) -> list[Located]:
    """Every file of a set with its location; KeyError for an unknown set."""
    return [Located(entry, locate(entry, environ)) for entry in set_files(set_name)]


def corpus_path(key: str, environ: Mapping[str, str] | None = None) -> Path | None:
    """Path of the corpus file ``set/name``, or None if it is not on this machine."""
    return locate(lookup(key), environ)


def verify(located: Located) -> bool:
    """Full check of a located file's digest (reads the whole file)."""
    return located.path is not None and located.entry.check_path(located.path)
