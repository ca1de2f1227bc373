"""The Zarr 3 codec ``"midicoth"`` (needs zarr >= 3; see :mod:`midicoth.ecosystem`).

Zarr format 3 arrays take bytes-to-bytes codecs of zarr's own kind, not
numcodecs codecs; zarr finds this one by its name through the ``zarr.codecs``
entry point, so arrays whose metadata name it open without importing
midicoth first.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from zarr.abc.codec import BytesBytesCodec

from .api import compress, decompress

if TYPE_CHECKING:
    from zarr.core.array_spec import ArraySpec
    from zarr.core.buffer import Buffer

__all__ = ["MidicothZarrCodec"]

_NAME = "midicoth"
_KEYS = ("memory_mib", "stages", "block_size", "level")


@dataclass(frozen=True)
class MidicothZarrCodec(BytesBytesCodec):
    """Midicoth as a Zarr 3 compressor: each chunk becomes one Midicoth stream.

    The parameters are those of :func:`midicoth.compress` (``level``: 1
    fastest … 9 smallest, None for the default level, 6; it excludes
    ``memory_mib`` and ``stages``) and make up the codec's configuration in
    the array metadata; metadata without ``level``, as older releases wrote
    it, still loads.
    """

    is_fixed_size = False

    memory_mib: int | None = None
    stages: int | None = None
    block_size: int | None = None
    level: int | None = None

    def __post_init__(self) -> None:
        compress(b"", **self._settings())  # validate

    def _settings(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in _KEYS}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MidicothZarrCodec:
        """Build from array metadata: ``{"name": "midicoth", "configuration": {...}}``."""
        if data.get("name") != _NAME:
            raise ValueError(f"expected codec name {_NAME!r}, got {data.get('name')!r}")
        config = dict(data.get("configuration") or {})
        unknown = set(config) - set(_KEYS)
        if unknown:
            raise ValueError(f"unknown {_NAME} codec configuration keys: {sorted(unknown)}")
        return cls(**config)

    def to_dict(self) -> dict[str, Any]:
        """The array metadata of this codec."""
        return {"name": _NAME, "configuration": self._settings()}

    def _encode_sync(self, chunk: Buffer, spec: ArraySpec) -> Buffer:
        coded = compress(chunk.as_numpy_array(), **self._settings())
        return spec.prototype.buffer.from_bytes(coded)

    def _decode_sync(self, chunk: Buffer, spec: ArraySpec) -> Buffer:
        return spec.prototype.buffer.from_bytes(decompress(chunk.as_numpy_array()))

    async def _encode_single(self, chunk: Buffer, spec: ArraySpec) -> Buffer:
        return await asyncio.to_thread(self._encode_sync, chunk, spec)

    async def _decode_single(self, chunk: Buffer, spec: ArraySpec) -> Buffer:
        return await asyncio.to_thread(self._decode_sync, chunk, spec)

    def compute_encoded_size(self, input_byte_length: int, chunk_spec: ArraySpec) -> int:
        raise NotImplementedError("Midicoth output size depends on the data")
