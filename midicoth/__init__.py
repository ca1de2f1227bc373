"""Midicoth: lossless compression by micro-diffusion.

Context models predict each next byte, a calibrator corrects the blended
prediction by binary-tree Tweedie denoising, and an arithmetic coder turns
it into bits. The API follows the standard library's :mod:`lzma`::

    import midicoth
    packed = midicoth.compress(data)
    assert midicoth.decompress(packed) == data
    smaller = midicoth.compress(data, level=9)  # 1 fastest ... 9 smallest
    with midicoth.open("notes.txt.mdc", "wt", encoding="utf-8") as f:
        f.write("hello\\n")
"""

from importlib import metadata as _metadata

from ._core import (
    ALL_STAGES,
    DEFAULT_MEMORY_MIB,
    MAX_MEMORY_MIB,
    MIN_MEMORY_MIB,
    MODE_ALL,
    MODE_RECORD,
    MODE_SPARSE,
    MODE_X86,
    MODEL_VERSION,
    PAPER_STAGES,
    STAGE_APM,
    STAGE_HIGHCTX,
    STAGE_LEAN,
    STAGE_MATCH,
    STAGE_MIX,
    STAGE_TWEEDIE,
    STAGE_WORD,
)
from .api import (
    DEFAULT_MEMLIMIT,
    MidicothCompressor,
    MidicothDecompressor,
    MidicothFile,
    compress,
    decompress,
    open,
)
from .format import (
    DEFAULT_BLOCK_SIZE,
    FORMAT_VERSION,
    MAX_BLOCK_SIZE,
    MIN_BLOCK_SIZE,
    MidicothError,
)
from .levels import DEFAULT_LEVEL, LEVELS, Level, auto_memory_mib, memory_for

try:
    __version__: str = _metadata.version("midicoth")
except _metadata.PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "ALL_STAGES",
    "DEFAULT_BLOCK_SIZE",
    "DEFAULT_LEVEL",
    "DEFAULT_MEMLIMIT",
    "DEFAULT_MEMORY_MIB",
    "FORMAT_VERSION",
    "LEVELS",
    "MAX_BLOCK_SIZE",
    "MAX_MEMORY_MIB",
    "MIN_BLOCK_SIZE",
    "MIN_MEMORY_MIB",
    "MODEL_VERSION",
    "MODE_ALL",
    "MODE_RECORD",
    "MODE_SPARSE",
    "MODE_X86",
    "PAPER_STAGES",
    "STAGE_APM",
    "STAGE_HIGHCTX",
    "STAGE_LEAN",
    "STAGE_MATCH",
    "STAGE_MIX",
    "STAGE_TWEEDIE",
    "STAGE_WORD",
    "Level",
    "MidicothCompressor",
    "MidicothDecompressor",
    "MidicothError",
    "MidicothFile",
    "__version__",
    "auto_memory_mib",
    "compress",
    "decompress",
    "memory_for",
    "open",
]
