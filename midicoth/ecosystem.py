"""Midicoth in the PyData ecosystem: fsspec (and so pandas and Dask), numcodecs, Zarr.

None of these packages is needed by the rest of midicoth, and this module
imports none of them until asked. Install them with the ``ecosystem`` extra.

* **fsspec** has no entry point for compressions (only for file systems), so
  the ``midicoth`` compression (suffix ``.mdc``) is registered when this
  module is imported, or by :func:`register_fsspec`. Afterwards
  ``fsspec.open(path, compression="midicoth" | "infer")`` and everything built
  on fsspec (``dask.bag.read_text``, pandas with fsspec URLs) reads and
  writes Midicoth streams. Each process needs it once:
  for Dask workers, name this module as a preload
  (``LocalCluster(preload=["midicoth.ecosystem"])``, ``dask worker --preload
  midicoth.ecosystem`` or the ``distributed.worker.preload`` setting).
* **numcodecs**: :class:`Midicoth` (codec id ``"midicoth"``), found by
  ``numcodecs.get_codec`` through the ``numcodecs.codecs`` entry point; it is
  the compressor of Zarr format 2 arrays (and of any zarr 2 array).
* **Zarr 3** format 3 arrays take :class:`MidicothZarrCodec` (codec name
  ``"midicoth"``), found through the ``zarr.codecs`` entry point.

The two codec classes are loaded on first access, so that this module can
be imported without numcodecs or zarr installed.
"""

from __future__ import annotations

from typing import IO, TYPE_CHECKING, Any

from .api import MidicothFile

if TYPE_CHECKING:
    from ._numcodecs import Midicoth
    from ._zarr import MidicothZarrCodec

__all__ = [
    "FSSPEC_NAME",
    "FSSPEC_SUFFIX",
    "Midicoth",
    "MidicothZarrCodec",
    "dask_setup",
    "fsspec_file",
    "register_fsspec",
]

#: The compression name in fsspec (``compression="midicoth"``).
FSSPEC_NAME = "midicoth"
#: The file suffix (without its dot) that ``compression="infer"`` maps to it.
FSSPEC_SUFFIX = "mdc"


def fsspec_file(infile: IO[bytes], mode: str = "rb", **kwargs: Any) -> MidicothFile:
    """Wrap an open binary file for fsspec: the compression callback.

    ``mode`` is ``"r"`` or ``"w"`` (with or without ``"b"``); ``kwargs`` are
    those of :class:`MidicothFile` (``level``, ``block_size``...). The
    wrapped file is left open: fsspec closes it after the wrapper.
    """
    return MidicothFile(infile, mode.replace("b", ""), **kwargs)


def register_fsspec() -> bool:
    """Register the ``midicoth`` compression and the ``.mdc`` suffix with fsspec.

    Safe to call again. Returns False (and does nothing) when fsspec is not
    installed.
    """
    try:
        from fsspec.compression import compr, register_compression
    except ImportError:
        return False
    if compr.get(FSSPEC_NAME) is not fsspec_file:
        register_compression(FSSPEC_NAME, fsspec_file, FSSPEC_SUFFIX, force=True)
    return True


def dask_setup(worker: Any = None) -> None:
    """Preload hook of ``dask.distributed``: register with fsspec in each worker."""
    register_fsspec()


_LAZY = {"Midicoth": "._numcodecs", "MidicothZarrCodec": "._zarr"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module, __package__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


register_fsspec()
