"""Standard compression corpora: manifest, resolver, download, synthetic inputs.

The corpus files themselves are not in the repository; see ``README.md`` in
this folder for the list, ``resolve`` for where they are looked up and
``python -m corpora.download`` to fetch them. ``synth`` generates
deterministic synthetic inputs for tests and quick benchmarks.

Import it from the repository root (``python -m bench`` and the tests do).
"""

from .manifest import (
    CorpusFile,
    Reference,
    lookup,
    manifest,
    references,
    set_files,
    set_names,
)
from .resolve import (
    ENV_VAR,
    Located,
    cache_dir,
    corpus_path,
    locate,
    locate_set,
    search_roots,
    verify,
)
from .synth import KINDS, generate, synthetic_set

__all__ = [
    "ENV_VAR",
    "KINDS",
    "CorpusFile",
    "Located",
    "Reference",
    "cache_dir",
    "corpus_path",
    "generate",
    "locate",
    "locate_set",
    "lookup",
    "manifest",
    "references",
    "search_roots",
    "set_files",
    "set_names",
    "synthetic_set",
    "verify",
]
