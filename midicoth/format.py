"""The .mdc container: byte layout, limits and checks (specified in docs/FORMAT.md).

A stream is a header, zero or more blocks, and an end marker::

    stream header  24 bytes  magic, format version, flags, stages,
                             model version, memory budget, block size, CRC
    block          16 bytes  uncompressed size (>= 1), compressed size,
                             CRC-32 of the uncompressed bytes, header CRC
                   ...       the block's coded bytes (one coder segment)
    end marker     16 bytes  0, total uncompressed size, CRC

All integers are little-endian. Every size read from a stream is checked
against a limit the format states before anything is allocated for it, and
every failed check raises :class:`MidicothError`.

This module only frames bytes; :mod:`midicoth.api` drives the engine.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from typing import BinaryIO, NamedTuple

from . import _core

__all__ = [
    "BLOCK_HEADER_SIZE",
    "DEFAULT_BLOCK_SIZE",
    "FLAG_INDEPENDENT",
    "FORMAT_VERSION",
    "MAGIC",
    "MAX_BLOCK_SIZE",
    "MIN_BLOCK_SIZE",
    "SOLID_BLOCK_SIZE",
    "STREAM_HEADER_SIZE",
    "BlockHeader",
    "MidicothError",
    "StreamLayout",
    "StreamParams",
    "check_decodable",
    "max_coded_size",
    "memory_mib_valid",
    "pack_block_header",
    "pack_end_marker",
    "pack_stream_header",
    "parse_block_header",
    "parse_stream_header",
    "scan",
    "stages_name",
]


class MidicothError(Exception):
    """Raised for data that is not a valid Midicoth stream: bad magic,
    unsupported version, damaged or truncated blocks, lying sizes."""


MAGIC = b"\x89MDC"
"""First four bytes of every stream (0x89 catches 7-bit transfers, as in PNG)."""

FORMAT_VERSION = 1
"""Container layout version; a reader refuses versions it does not know."""

FLAG_INDEPENDENT = 0x01
"""Header flag: every block was coded by a fresh engine (else: solid stream)."""

STREAM_HEADER_SIZE = 24
BLOCK_HEADER_SIZE = 16

MIN_BLOCK_SIZE = 1 << 10
"""Smallest block size a writer accepts (a reader accepts any size >= 1)."""

MAX_BLOCK_SIZE = 1 << 26
"""Largest block size a stream may declare: 64 MiB (so that the coded-size
bound, ``MAX_BLOCK_SIZE * MAX_EXPANSION + 8``, fits the 32-bit field)."""

DEFAULT_BLOCK_SIZE = 1 << 22
"""Block size of independent blocks when threads > 1 and none is given: 4 MiB."""

SOLID_BLOCK_SIZE = 1 << 20
"""Largest block of a solid stream as written by this package: 1 MiB."""

_STREAM_HEADER = struct.Struct("<4sBBBBIII")  # + CRC-32 of these 20 bytes
_BLOCK_HEADER = struct.Struct("<III")  # usize, csize, data CRC; + header CRC
_END_MARKER = struct.Struct("<IQ")  # 0, total size; + CRC
_U32 = struct.Struct("<I")

# (bit, name) of every stage the engine knows: STAGE_MATCH -> "match", ...
_STAGE_NAMES = sorted(
    (getattr(_core, name), name[len("STAGE_") :].lower())
    for name in dir(_core)
    if name.startswith("STAGE_")
)


class StreamParams(NamedTuple):
    """What a stream header says about how the stream was made."""

    memory_mib: int
    """Model memory budget in MiB; the decoder must use the same."""
    stages: int
    """Bitmask of model stages (``midicoth.STAGE_*``)."""
    model_version: int
    """``_core.MODEL_VERSION`` of the engine that wrote the stream."""
    independent: bool
    """True if each block has its own engine, False for a solid stream."""
    block_size: int
    """Upper bound on the uncompressed size of every block."""
    format_version: int = FORMAT_VERSION


class BlockHeader(NamedTuple):
    """A parsed block header, or the end marker when ``end`` is True."""

    end: bool
    usize: int
    """Uncompressed size of the block (the stream's total for the end marker)."""
    csize: int
    """Coded size of the block (0 for the end marker)."""
    crc: int
    """CRC-32 of the block's uncompressed bytes (0 for the end marker)."""


def _crc(data: bytes) -> int:
    return zlib.crc32(data) & 0xFFFFFFFF


def stages_name(stages: int) -> str:
    """Human-readable stage list, e.g. ``"match+word+tweedie"`` or ``"ppm only"``;
    bits this engine does not know are shown in hex."""
    names = [name for bit, name in _STAGE_NAMES if stages & bit]
    unknown = stages & ~_core.ALL_STAGES
    if unknown:
        names.append(f"unknown {unknown:#x}")
    return "+".join(names) if names else "ppm only"


def memory_mib_valid(memory_mib: int) -> bool:
    """True if the engine accepts this memory budget: a power of two within
    ``MIN_MEMORY_MIB`` … ``MAX_MEMORY_MIB``."""
    return (
        _core.MIN_MEMORY_MIB <= memory_mib <= _core.MAX_MEMORY_MIB
        and memory_mib & (memory_mib - 1) == 0
    )


def max_coded_size(usize: int) -> int:
    """Largest coded size the engine can produce for ``usize`` bytes."""
    return usize * _core.MAX_EXPANSION + 8


def pack_stream_header(params: StreamParams) -> bytes:
    """Serialise a stream header (24 bytes)."""
    flags = FLAG_INDEPENDENT if params.independent else 0
    head = _STREAM_HEADER.pack(
        MAGIC,
        FORMAT_VERSION,
        flags,
        params.stages,
        0,
        params.model_version,
        params.memory_mib,
        params.block_size,
    )
    return head + _U32.pack(_crc(head))


def parse_stream_header(data: bytes) -> StreamParams:
    """Parse and check a 24-byte stream header.

    Checks the layout only (magic, version, flags, CRC, block size), not
    whether this engine can decode the stream: see :func:`check_decodable`.
    """
    if len(data) < STREAM_HEADER_SIZE:
        raise MidicothError("truncated stream header")
    if data[:4] != MAGIC:
        raise MidicothError("not a Midicoth stream (bad magic)")
    (_, version, flags, stages, reserved, model_version, memory_mib, block_size) = (
        _STREAM_HEADER.unpack_from(data)
    )
    if version != FORMAT_VERSION:
        raise MidicothError(
            f"stream format version {version} is not supported "
            f"(this midicoth reads version {FORMAT_VERSION})"
        )
    (crc,) = _U32.unpack_from(data, _STREAM_HEADER.size)
    if crc != _crc(bytes(data[: _STREAM_HEADER.size])):
        raise MidicothError("stream header is damaged (checksum mismatch)")
    if flags & ~FLAG_INDEPENDENT or reserved:
        raise MidicothError("stream header uses flags this version does not know")
    if not 1 <= block_size <= MAX_BLOCK_SIZE:
        raise MidicothError(f"stream header declares an invalid block size ({block_size})")
    return StreamParams(
        memory_mib=memory_mib,
        stages=stages,
        model_version=model_version,
        independent=bool(flags & FLAG_INDEPENDENT),
        block_size=block_size,
        format_version=version,
    )


def check_decodable(params: StreamParams) -> None:
    """Raise :class:`MidicothError` unless this engine can decode the stream."""
    if params.model_version != _core.MODEL_VERSION:
        raise MidicothError(
            f"stream was made by model version {params.model_version}; "
            f"this midicoth decodes model version {_core.MODEL_VERSION}"
        )
    if not memory_mib_valid(params.memory_mib):
        raise MidicothError(
            f"stream header declares an invalid memory budget ({params.memory_mib} MiB)"
        )
    if params.stages & ~_core.ALL_STAGES:
        raise MidicothError(f"stream header names unknown model stages ({params.stages:#x})")


def pack_block_header(usize: int, csize: int, crc: int) -> bytes:
    """Serialise the 16-byte header of a block of ``usize >= 1`` bytes."""
    head = _BLOCK_HEADER.pack(usize, csize, crc & 0xFFFFFFFF)
    return head + _U32.pack(_crc(head))


def pack_end_marker(total: int) -> bytes:
    """Serialise the 16-byte end marker of a stream of ``total`` bytes."""
    head = _END_MARKER.pack(0, total)
    return head + _U32.pack(_crc(head))


def parse_block_header(data: bytes, params: StreamParams) -> BlockHeader:
    """Parse and check a 16-byte block header or end marker.

    The sizes are checked against the limits of the stream: a block's
    uncompressed size is at most ``params.block_size`` and its coded size
    at most :func:`max_coded_size` of it.
    """
    if len(data) < BLOCK_HEADER_SIZE:
        raise MidicothError("truncated block header")
    head = bytes(data[:12])
    (crc,) = _U32.unpack_from(data, 12)
    if crc != _crc(head):
        raise MidicothError("block header is damaged (checksum mismatch)")
    usize, csize, data_crc = _BLOCK_HEADER.unpack(head)
    if usize == 0:
        _, total = _END_MARKER.unpack(head)
        return BlockHeader(end=True, usize=total, csize=0, crc=0)
    if usize > params.block_size:
        raise MidicothError(
            f"block declares {usize} bytes, more than the stream's block size ({params.block_size})"
        )
    if not 1 <= csize <= max_coded_size(usize):
        raise MidicothError(f"block declares an impossible coded size ({csize} for {usize} bytes)")
    return BlockHeader(end=False, usize=usize, csize=csize, crc=data_crc)


class StreamLayout(NamedTuple):
    """Where a stream lies in a file and what its headers say (see :func:`scan`)."""

    offset: int
    """Byte offset of the stream header in the file."""
    params: StreamParams
    blocks: list[tuple[int, int]]
    """(uncompressed size, coded size) of every block, in order."""
    compressed_size: int
    """Bytes of the stream, headers and end marker included."""
    uncompressed_size: int


def scan(fp: BinaryIO) -> Iterator[StreamLayout]:
    """Walk the streams of a file by their headers, without decoding.

    Checks every header and size, skips block bodies (reading at most a
    small chunk at a time), and yields one :class:`StreamLayout` per stream.
    Block checksums are not verified: that needs decoding.
    """
    offset = 0

    def read_exact(n: int, what: str) -> bytes:
        data = fp.read(n)
        if len(data) != n:
            raise MidicothError(f"file ended inside {what}")
        return data

    first = True
    while True:
        head = fp.read(STREAM_HEADER_SIZE)
        if not head and not first:
            return
        first = False
        if len(head) < STREAM_HEADER_SIZE:
            if head[: len(MAGIC)] != MAGIC[: len(head)]:
                raise MidicothError("not a Midicoth stream (bad magic)")
            raise MidicothError("file ended inside a stream header")
        params = parse_stream_header(head)
        size = STREAM_HEADER_SIZE
        blocks: list[tuple[int, int]] = []
        while True:
            index = len(blocks)
            try:
                block = parse_block_header(read_exact(BLOCK_HEADER_SIZE, "a block header"), params)
            except MidicothError as exc:
                raise MidicothError(f"block {index}: {exc}") from None
            size += BLOCK_HEADER_SIZE
            if block.end:
                total = sum(usize for usize, _ in blocks)
                if block.usize != total:
                    raise MidicothError(
                        f"end marker declares {block.usize} bytes but the blocks hold {total}"
                    )
                break
            left = block.csize
            while left:
                left -= len(read_exact(min(left, 1 << 20), f"block {index}"))
            size += block.csize
            blocks.append((block.usize, block.csize))
        yield StreamLayout(offset, params, blocks, size, sum(u for u, _ in blocks))
        offset += size
