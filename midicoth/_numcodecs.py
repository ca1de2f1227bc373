"""The numcodecs codec ``"midicoth"`` (needs numcodecs; see :mod:`midicoth.ecosystem`).

numcodecs finds it by its id through the ``numcodecs.codecs`` entry point,
so ``numcodecs.get_codec({"id": "midicoth"})`` and Zarr arrays whose
metadata name it work without importing midicoth first.
"""

from __future__ import annotations

from typing import Any

from numcodecs.abc import Codec
from numcodecs.compat import ensure_contiguous_ndarray, ndarray_copy
from numcodecs.registry import register_codec

from .api import compress, decompress

__all__ = ["Midicoth"]


class Midicoth(Codec):
    """Midicoth as a numcodecs codec: each buffer becomes one Midicoth stream.

    ``level`` (1 fastest … 9 smallest; None: the default level, 6),
    ``memory_mib`` (None: sized to each buffer by the level's rule),
    ``stages`` and ``block_size`` are those of :func:`midicoth.compress`
    (a level excludes ``memory_mib`` and ``stages``); they are the codec's
    configuration (``get_config``/``from_config``; a configuration without
    ``level``, as older releases wrote it, still loads). Decoding needs none
    of them: every stream records its own parameters.
    """

    codec_id = "midicoth"

    def __init__(
        self,
        memory_mib: int | None = None,
        stages: int | None = None,
        block_size: int | None = None,
        level: int | None = None,
    ) -> None:
        self.memory_mib = memory_mib
        self.stages = stages
        self.block_size = block_size
        self.level = level
        compress(b"", **self._settings())  # validate

    def _settings(self) -> dict[str, Any]:
        return {
            "memory_mib": self.memory_mib,
            "stages": self.stages,
            "block_size": self.block_size,
            "level": self.level,
        }

    def encode(self, buf: Any) -> bytes:
        """Compress a buffer (any contiguous array or bytes-like object)."""
        return compress(ensure_contiguous_ndarray(buf), **self._settings())

    def decode(self, buf: Any, out: Any = None) -> Any:
        """Decompress a buffer; into ``out`` when given, else as bytes."""
        data = decompress(ensure_contiguous_ndarray(buf))
        return ndarray_copy(data, out) if out is not None else data

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(memory_mib={self.memory_mib!r}, stages={self.stages!r}, "
            f"block_size={self.block_size!r}, level={self.level!r})"
        )


register_codec(Midicoth)  # for runs from a source tree, where no entry point is installed
