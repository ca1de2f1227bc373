"""The .mdc container: byte layout, limits and checks (specified in docs/FORMAT.md).

A stream is a header, zero or more blocks, and an end marker (format
version 4)::

    stream header  12-15 bytes  magic, format version, flags (bit 0:
                                independent blocks; bits 1-4: the level the
                                writer used, 0 for none), stages, model
                                version, log2 of the memory budget, block
                                size (varint), 16-bit header check
    block          9-19 bytes   uncompressed size (varint, >= 1), method byte
                                (bit 7: stored; bits 0-6: mode flags), record
                                period (varint, only with MODE_RECORD; 0 for
                                lines), coded size (varint), chained CRC-32
                                of the data so far, 16-bit header check
                   ...          the block's coded bytes (one coder segment),
                                or, if stored, the bytes the engine would
                                have decoded
    end marker     4-13 bytes   0, total uncompressed size (varint), 16-bit check

Fixed-width integers are little-endian; varints are unsigned LEB128 in
their shortest form. Every size read from a stream is checked against a
limit the format states before anything is allocated for it, and every
failed check raises :class:`MidicothError`.

Format version 3 (midicoth 0.6-0.7) is still read: its layout is format
4's, but its flags hold no level (a reader reports level 0, unknown).
Format version 2 is still read when its model version is 5 (midicoth
0.5): its block headers have no method byte, and every block is coded
with method 0, which this engine codes exactly as model 5 did (streams of
earlier models are refused with the release that reads them named).
Streams of format version 1 (midicoth 0.1) are refused by the decoder
with a message naming the version; :func:`scan` still describes them.

This module only frames bytes; :mod:`midicoth.api` drives the engine.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import BinaryIO, NamedTuple

from . import _core

__all__ = [
    "BLOCK_HEADER_SIZE",
    "DEFAULT_BLOCK_SIZE",
    "END_MARKER_SIZE",
    "FLAG_INDEPENDENT",
    "FORMAT_VERSION",
    "MAGIC",
    "MAX_BLOCK_SIZE",
    "MAX_LEVEL",
    "METHOD_STORED",
    "MIN_BLOCK_SIZE",
    "READ_VERSIONS",
    "RELEASES",
    "SOLID_BLOCK_SIZE",
    "STREAM_HEADER_SIZE",
    "BlockHeader",
    "BlockMethod",
    "MidicothError",
    "StreamLayout",
    "StreamParams",
    "check_decodable",
    "max_coded_size",
    "memory_mib_valid",
    "method_name",
    "modes_name",
    "pack_block_header",
    "pack_end_marker",
    "pack_stream_header",
    "pack_varint",
    "parse_block_header",
    "parse_modes",
    "parse_stages",
    "parse_stream_header",
    "read_block_header",
    "read_stream_header",
    "read_varint",
    "scan",
    "stages_name",
    "stages_valid",
    "starts_a_stream",
    "written_by",
]

Buffer = bytes | bytearray | memoryview


class MidicothError(Exception):
    """Raised for data that is not a valid Midicoth stream: bad magic,
    unsupported version, damaged or truncated blocks, lying sizes."""


MAGIC = b"\x89MDC"
"""First four bytes of every stream (0x89 catches 7-bit transfers, as in PNG)."""

FORMAT_VERSION = 4
"""Container layout version written by this package (it also reads versions 2 and 3)."""

RELEASES: Mapping[tuple[int, int], str] = MappingProxyType(
    {
        (1, 1): "0.1",
        (2, 2): "0.2",
        (2, 3): "0.3",
        (2, 4): "0.4",
        (2, 5): "0.5.0-0.5.1",
        (3, 6): "0.6.0-0.7.0",
        (4, 6): "0.8.0 and later",
    }
)
"""The midicoth releases that wrote streams of each (format version, model
version) pair."""

READ_VERSIONS: frozenset[tuple[int, int]] = frozenset({(2, 5), (3, 6), (4, 6)})
"""The one rule of which streams this midicoth decodes: the (format version,
model version) pairs of every release from 0.5.0 on, and no pair is ever
dropped (docs/FORMAT.md). Format 2 streams were written by model 5, whose
coding this engine reproduces when a block's method is 0, the only method
format 2 has; formats 3 and 4 streams by this engine's own model (format 4
adds the level to the header's flags)."""

_READ_FORMATS = frozenset(fmt for fmt, _ in READ_VERSIONS)

FLAG_INDEPENDENT = 0x01
"""Header flag: every block was coded by a fresh engine (else: solid stream)."""

_LEVEL_SHIFT = 1  # format 4: flags bits 1-4 hold the level
_LEVEL_BITS = 0x0F << _LEVEL_SHIFT

MAX_LEVEL = 9
"""The highest compression level a stream header may record (format 4: flags
bits 1-4; 0 records none, a header naming more is refused). The levels
themselves are :data:`midicoth.levels.LEVELS`."""

MIN_BLOCK_SIZE = 1 << 10
"""Smallest block size a writer accepts (a reader accepts any size >= 1)."""

MAX_BLOCK_SIZE = 1 << 26
"""Largest block size a stream may declare: 64 MiB (which keeps the coded-size
bound, ``MAX_BLOCK_SIZE * MAX_EXPANSION + 8``, within 32 bits)."""

DEFAULT_BLOCK_SIZE = 1 << 22
"""Block size of independent blocks when threads > 1 and none is given: 4 MiB."""

SOLID_BLOCK_SIZE = 1 << 20
"""Largest block of a solid stream as written by this package: 1 MiB."""

_TOTAL_LIMIT = 1 << 64
"""The end marker's total is a 64-bit quantity."""

METHOD_STORED = 0x80
"""Bit 7 of a block's method byte: the block's bytes are stored, not coded.
Bits 0-6 hold the block's mode flags (``_core.MODE_*``)."""


def _varint_size(value: int) -> int:
    return max(1, (value.bit_length() + 6) // 7)


_FIXED_HEAD = 9  # magic, version, flags, stages, model version, log2 memory
_CHECK16 = 2  # bytes of a header check
_USIZE_BYTES = _varint_size(MAX_BLOCK_SIZE)  # 4
_CSIZE_BYTES = _varint_size(MAX_BLOCK_SIZE * _core.MAX_EXPANSION + 8)  # 5
_TOTAL_BYTES = _varint_size(_TOTAL_LIMIT - 1)  # 10
_PERIOD_BYTES = _varint_size(_core.MAX_PERIOD)  # at most 3
assert _PERIOD_BYTES <= 3 and _core.MODE_ALL & METHOD_STORED == 0

STREAM_HEADER_SIZE = _FIXED_HEAD + _USIZE_BYTES + _CHECK16
"""Largest stream header, in bytes (15; one with a block size below 128 has 12)."""

BLOCK_HEADER_SIZE = _USIZE_BYTES + 1 + _PERIOD_BYTES + _CSIZE_BYTES + 4 + _CHECK16
"""Largest block header, in bytes (19; the smallest has 9; format 2's had
at most 15 and at least 8)."""

END_MARKER_SIZE = 1 + _TOTAL_BYTES + _CHECK16
"""Largest end marker, in bytes (13; an empty stream's has 4)."""

# Format version 1 (midicoth 0.1): fixed-width fields, CRC-32 header checks.
# Kept only so that scan() (``midicoth info``) can describe such streams.
_V1_STREAM_HEADER = struct.Struct("<4sBBBBIII")  # + CRC-32 of these 20 bytes
_V1_BLOCK_HEADER = struct.Struct("<III")  # usize, csize, data CRC; + CRC-32
_V1_END_MARKER = struct.Struct("<IQ")  # 0, total size; + CRC-32
_V1_STREAM_HEADER_SIZE = 24
_V1_BLOCK_HEADER_SIZE = 16
_U32 = struct.Struct("<I")
_U16 = struct.Struct("<H")

# (bit, name) of every stage the engine knows: STAGE_MATCH -> "match", ...
_STAGE_NAMES = sorted(
    (getattr(_core, name), name[len("STAGE_") :].lower())
    for name in dir(_core)
    if name.startswith("STAGE_")
)

# (bit, name) of every block mode: MODE_RECORD -> "record", ... (not MODE_ALL)
_MODE_NAMES = sorted(
    (getattr(_core, name), name[len("MODE_") :].lower())
    for name in dir(_core)
    if name.startswith("MODE_") and name != "MODE_ALL"
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
    level: int = 0
    """The compression level the writer used (1 … :data:`MAX_LEVEL`), or 0
    when it chose stages, memory and modes itself, or wrote a format older
    than 4, which has no place for it. Decoding does not depend on it."""


class BlockHeader(NamedTuple):
    """A parsed block header, or the end marker when ``end`` is True."""

    end: bool
    usize: int
    """Uncompressed size of the block (the stream's total for the end marker)."""
    csize: int
    """Coded size of the block (0 for the end marker); equal to ``usize`` for
    a stored block."""
    crc: int
    """The block's data check: ``zlib.crc32`` of its uncompressed bytes,
    started from the previous block's check (0 for the first block), i.e. the
    CRC-32 of the stream's data up to the end of this block (0 for the end
    marker)."""
    mode: int = 0
    """The block's mode flags (``_core.MODE_*``): the models the engine used
    for it and, with ``MODE_X86``, the transform applied before coding
    (always 0 in format 2 and for the end marker)."""
    period: int = 0
    """With ``MODE_RECORD``, the record period: 1 … ``_core.MAX_PERIOD`` bytes,
    or 0 for records that are lines; 0 without it."""
    stored: bool = False
    """True if the block's bytes are stored as they are (after the transform
    its mode names), because coding them did not make them smaller."""


class BlockMethod(NamedTuple):
    """How one block was written: its mode flags, record period and whether
    it is stored (the fields of :class:`BlockHeader` of the same names)."""

    mode: int
    period: int
    stored: bool

    @property
    def name(self) -> str:
        """The method as :func:`method_name` shows it."""
        return method_name(self.mode, self.period, self.stored)


def _crc(data: Buffer) -> int:
    return zlib.crc32(data) & 0xFFFFFFFF


def _check16(data: Buffer) -> bytes:
    """The 16-bit header check: the low 16 bits of CRC-32, little-endian."""
    return _U16.pack(zlib.crc32(data) & 0xFFFF)


def stages_name(stages: int) -> str:
    """Human-readable stage list, e.g. ``"match+word+tweedie"`` or ``"ppm only"``;
    bits this engine does not know are shown in hex."""
    names = [name for bit, name in _STAGE_NAMES if stages & bit]
    unknown = stages & ~_core.KNOWN_STAGES
    if unknown:
        names.append(f"unknown {unknown:#x}")
    return "+".join(names) if names else "ppm only"


def modes_name(modes: int) -> str:
    """Human-readable mode set, e.g. ``"record+x86"`` or ``"none"``; bits this
    engine does not know are shown in hex."""
    names = [name for bit, name in _MODE_NAMES if modes & bit]
    unknown = modes & ~_core.MODE_ALL
    if unknown:
        names.append(f"unknown {unknown:#x}")
    return "+".join(names) if names else "none"


def _parse_flags(
    text: str, presets: dict[str, int], names: list[tuple[int, str]], every: int, what: str
) -> int:
    """The flags ``text`` names: a preset, names joined by ``+`` or ``,``,
    or the flags as a number (at most ``every``). Raises ValueError."""
    spec = text.strip().lower()
    if spec in presets:
        return presets[spec]
    if spec.isdigit():
        flags = int(spec)
        if flags & ~every:
            raise ValueError(f"{text!r}: a {what} number is 0 to {every}")
        return flags
    bits = {name: bit for bit, name in names}
    flags = 0
    for name in re.split(r"[+,]", spec):
        name = name.strip()
        if name in presets and presets[name] == 0:
            continue  # a name for no flag ("ppm": PPM is always on)
        if name not in bits:
            known = ", ".join([*presets, *bits])
            raise ValueError(f"{text!r}: unknown {what} {name!r} (known: {known})")
        flags |= bits[name]
    return flags


def parse_modes(text: str) -> int:
    """The mode flags that ``text`` names, the inverse of :func:`modes_name`.

    ``text`` is ``"all"`` (every method the analyser knows), ``"none"`` (the
    plain model alone), mode names joined by ``+`` or ``,`` (``"record+x86"``),
    or the flags as a number. Raises ValueError for anything else."""
    return _parse_flags(text, _MODE_PRESETS, _MODE_NAMES, _core.MODE_ALL, "mode")


def method_name(mode: int, period: int = 0, stored: bool = False) -> str:
    """A block's method for people: ``"plain"`` (the model alone), the modes
    with the record period (``"record/216"``, ``"record/lines"``,
    ``"sparse+x86"``), and ``"stored"`` for a stored block, with its modes in
    brackets if it has any (``"stored (sparse+x86)"``)."""
    names = [
        f"{name}/{period or 'lines'}" if bit == _core.MODE_RECORD else name
        for bit, name in _MODE_NAMES
        if mode & bit
    ]
    unknown = mode & ~_core.MODE_ALL
    if unknown:
        names.append(f"unknown {unknown:#x}")
    modes = "+".join(names)
    if stored:
        return f"stored ({modes})" if modes else "stored"
    return modes or "plain"


_MODE_PRESETS = {"all": _core.MODE_ALL, "none": 0}

# "ppm only" is what stages_name writes for 0.
_STAGE_PRESETS = {"all": _core.ALL_STAGES, "paper": _core.PAPER_STAGES, "ppm": 0, "ppm only": 0}


def parse_stages(text: str) -> int:
    """The stage bitmask that ``text`` names, the inverse of :func:`stages_name`.

    ``text`` is ``"all"`` (the default model), ``"paper"`` (the published
    pipeline alone), ``"ppm"`` (PPM only), stage names joined by ``+`` or
    ``,`` (``"match+mix+apm"``; PPM is always on and may be named too), or
    the bitmask as a number. Raises ValueError for anything else."""
    stages = _parse_flags(text, _STAGE_PRESETS, _STAGE_NAMES, _core.KNOWN_STAGES, "stage")
    try:
        _core.check_params(_core.MIN_MEMORY_MIB, stages)  # the engine's rule
    except ValueError as exc:
        raise ValueError(f"stages {text!r}: {exc}") from None
    return stages


def stages_valid(stages: int) -> bool:
    """True if the engine takes this stage set (the core's rule:
    ``_core.stages_valid``)."""
    return _core.stages_valid(stages)


def memory_mib_valid(memory_mib: int) -> bool:
    """True if the engine takes this memory budget (the core's rule:
    ``_core.memory_valid``)."""
    return _core.memory_valid(memory_mib)


def max_coded_size(usize: int) -> int:
    """Largest coded size the engine can produce for ``usize`` bytes."""
    return usize * _core.MAX_EXPANSION + 8


# --- the limits a reader checks, for every format version -----------------------------


def _check_declared_block_size(block_size: int) -> None:
    """A stream header's block size: 1 … :data:`MAX_BLOCK_SIZE`."""
    if not 1 <= block_size <= MAX_BLOCK_SIZE:
        raise MidicothError(f"stream header declares an invalid block size ({block_size})")


def _check_usize(usize: int, params: StreamParams) -> None:
    """A block holds at most the stream's block size."""
    if usize > params.block_size:
        raise MidicothError(
            f"block declares {usize} bytes, more than the stream's block size ({params.block_size})"
        )


def _check_csize(usize: int, csize: int, stored: bool) -> None:
    """A stored block's coded size is its size; a coded block's is 1 …
    :func:`max_coded_size` of it."""
    if stored:
        if csize != usize:
            raise MidicothError(f"stored block declares {csize} stored bytes for {usize} bytes")
    elif not 1 <= csize <= max_coded_size(usize):
        raise MidicothError(f"block declares an impossible coded size ({csize} for {usize} bytes)")


# --- varints -------------------------------------------------------------------------


def pack_varint(value: int) -> bytes:
    """Encode a non-negative integer as an unsigned LEB128 varint (shortest form):
    seven bits a byte, least significant first, the high bit set on every
    byte but the last."""
    if value < 0:
        raise ValueError(f"a varint is unsigned, not {value}")
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def read_varint(data: Buffer, offset: int, max_bytes: int, what: str) -> tuple[int, int] | None:
    """Decode the varint at ``data[offset:]``; return (value, offset after it).

    Returns None if ``data`` ends inside a varint that may still be valid.
    Raises :class:`MidicothError` if it is longer than ``max_bytes`` or not
    in its shortest form (a last byte of zero after others); ``what`` names
    the field in the message. Looks at no more than ``max_bytes`` bytes.
    """
    value = 0
    for i in range(max_bytes):
        if offset + i >= len(data):
            return None
        byte = data[offset + i]
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            if byte == 0 and i:
                raise MidicothError(f"{what} is damaged (varint not in its shortest form)")
            return value, offset + i + 1
    raise MidicothError(f"{what} is damaged (varint longer than {max_bytes} bytes)")


# --- stream header -------------------------------------------------------------------


def _readable_formats() -> str:
    """The format versions this midicoth reads, for messages: "versions 2, 3 and 4"."""
    versions = sorted(_READ_FORMATS)
    if len(versions) == 1:
        return f"version {versions[0]}"
    return "versions " + ", ".join(map(str, versions[:-1])) + f" and {versions[-1]}"


def written_by(params: StreamParams) -> str | None:
    """The midicoth releases that write streams like ``params`` (e.g.
    ``"midicoth 0.5.0-0.5.1"``), or None for a pair no release wrote."""
    releases = RELEASES.get((params.format_version, params.model_version))
    return f"midicoth {releases}" if releases else None


def _version_error(version: int) -> MidicothError:
    if version == 1:
        return MidicothError(
            "stream format version 1 was written by midicoth 0.1; this midicoth reads "
            f"format {_readable_formats()} (decode the file with midicoth 0.1)"
        )
    return MidicothError(
        f"stream format version {version} is not supported "
        f"(this midicoth reads format {_readable_formats()})"
    )


def _past_check(data: Buffer, at: int, what: str) -> int | None:
    """The offset after the 16-bit check at ``at``, which covers ``data[:at]``;
    None if ``data`` ends before it. A wrong check raises :class:`MidicothError`."""
    if len(data) < at + _CHECK16:
        return None
    if bytes(data[at : at + _CHECK16]) != _check16(data[:at]):
        raise MidicothError(f"{what} is damaged (checksum mismatch)")
    return at + _CHECK16


def starts_a_stream(data: Buffer) -> bool:
    """True if ``data`` begins with the magic, or with a part of it if shorter."""
    return bytes(data[: len(MAGIC)]) == MAGIC[: len(data)]


def _check_magic(data: Buffer) -> None:
    if not starts_a_stream(data):
        raise MidicothError("not a Midicoth stream (bad magic)")


def pack_stream_header(params: StreamParams) -> bytes:
    """Serialise a stream header (12 to :data:`STREAM_HEADER_SIZE` bytes).

    Always writes :data:`FORMAT_VERSION`, with ``params.level`` in the
    flags. Raises :class:`ValueError` for parameters the format cannot
    hold: a memory budget that is not a power of two, a model version or
    stage set beyond a byte, a block size outside 1 … :data:`MAX_BLOCK_SIZE`,
    a level outside 0 … :data:`MAX_LEVEL`.
    """
    memory = params.memory_mib
    if memory < 1 or memory & (memory - 1):
        raise ValueError(f"memory budget must be a power of two, not {memory}")
    if not 0 <= params.model_version <= 0xFF:
        raise ValueError(f"model version must fit in a byte, not {params.model_version}")
    if not 0 <= params.stages <= 0xFF:
        raise ValueError(f"stages must fit in a byte, not {params.stages:#x}")
    if not 1 <= params.block_size <= MAX_BLOCK_SIZE:
        raise ValueError(f"block size must be 1 … {MAX_BLOCK_SIZE}, not {params.block_size}")
    if not 0 <= params.level <= MAX_LEVEL:
        raise ValueError(f"level must be 0 … {MAX_LEVEL}, not {params.level}")
    flags = (FLAG_INDEPENDENT if params.independent else 0) | params.level << _LEVEL_SHIFT
    head = (
        MAGIC
        + bytes(
            (FORMAT_VERSION, flags, params.stages, params.model_version, memory.bit_length() - 1)
        )
        + pack_varint(params.block_size)
    )
    return head + _check16(head)


def read_stream_header(data: Buffer) -> tuple[StreamParams, int] | None:
    """Parse and check the stream header at the start of ``data``.

    Returns (parameters, header length), or None if ``data`` is a valid
    beginning of a header that goes on past its end (it never needs more
    than :data:`STREAM_HEADER_SIZE` bytes to decide). The magic is checked
    from the first byte and the version from the fifth. Checks the layout
    only (magic, version, check, flags, a recorded level at most
    :data:`MAX_LEVEL`, block size), not whether this engine can decode the
    stream: see :func:`check_decodable`.
    """
    _check_magic(data)
    if len(data) <= len(MAGIC):
        return None
    version = data[len(MAGIC)]
    if version not in _READ_FORMATS:
        raise _version_error(version)
    if len(data) < _FIXED_HEAD:
        return None
    read = read_varint(data, _FIXED_HEAD, _USIZE_BYTES, "stream header (block size)")
    if read is None:
        return None
    block_size, at = read
    end = _past_check(data, at, "stream header")
    if end is None:
        return None
    flags, stages, model_version, memory_log2 = data[5:9]
    known = FLAG_INDEPENDENT | (_LEVEL_BITS if version >= 4 else 0)
    if flags & ~known:
        raise MidicothError("stream header uses flags this version does not know")
    level = (flags & known & _LEVEL_BITS) >> _LEVEL_SHIFT
    if level > MAX_LEVEL:
        raise MidicothError(f"stream header records an invalid level ({level}; 1 … {MAX_LEVEL})")
    _check_declared_block_size(block_size)
    if memory_log2 >= 64:
        raise MidicothError(
            f"stream header declares an invalid memory budget (2^{memory_log2} MiB)"
        )
    params = StreamParams(
        memory_mib=1 << memory_log2,
        stages=stages,
        model_version=model_version,
        independent=bool(flags & FLAG_INDEPENDENT),
        block_size=block_size,
        format_version=version,
        level=level,
    )
    return params, end


def parse_stream_header(data: Buffer) -> StreamParams:
    """Parse and check the stream header at the start of ``data`` (bytes
    after it are ignored); as :func:`read_stream_header`, but a header cut
    short raises :class:`MidicothError`."""
    read = read_stream_header(data)
    if read is None:
        raise MidicothError("truncated stream header")
    return read[0]


def check_decodable(params: StreamParams) -> None:
    """Raise :class:`MidicothError` unless this engine can decode the stream
    (its format and model versions are one of :data:`READ_VERSIONS`)."""
    if params.format_version not in _READ_FORMATS:
        raise _version_error(params.format_version)
    if (params.format_version, params.model_version) not in READ_VERSIONS:
        releases = [r for (_, model), r in RELEASES.items() if model == params.model_version]
        made_by = f" (decode it with midicoth {releases[0]})" if releases else ""
        models = " and ".join(
            str(model) for fmt, model in sorted(READ_VERSIONS) if fmt == params.format_version
        )
        raise MidicothError(
            f"stream of format version {params.format_version} was made by model version "
            f"{params.model_version}{made_by}; this midicoth decodes model version {models} "
            f"in format version {params.format_version}"
        )
    if not memory_mib_valid(params.memory_mib):
        raise MidicothError(
            f"stream header declares an invalid memory budget ({params.memory_mib} MiB)"
        )
    if not stages_valid(params.stages):
        raise MidicothError(
            f"stream header names model stages the engine refuses ({params.stages:#x})"
        )


# --- blocks and end marker -----------------------------------------------------------


def pack_block_header(
    usize: int, csize: int, crc: int, mode: int = 0, period: int = 0, stored: bool = False
) -> bytes:
    """Serialise the format-3/4 header of a block of ``usize >= 1`` bytes coded
    (or, if ``stored``, stored) in ``csize`` bytes, whose chained data check
    is ``crc``, written with the mode flags ``mode`` and, with
    ``MODE_RECORD``, the record ``period`` (see :class:`BlockHeader`).

    Raises :class:`ValueError` for what the format cannot hold: unknown mode
    bits, a period beyond ``MAX_PERIOD``, or other than 0 without
    ``MODE_RECORD``, a stored block whose sizes differ."""
    if usize < 1:
        raise ValueError(f"a block holds at least one byte, not {usize}")
    if mode < 0 or mode & ~_core.MODE_ALL:
        raise ValueError(f"mode must be a combination of the MODE_* flags, not {mode:#x}")
    if mode & _core.MODE_RECORD:
        if not 0 <= period <= _core.MAX_PERIOD:  # 0: rows are lines
            raise ValueError(f"a record period is 0 … {_core.MAX_PERIOD}, not {period}")
    elif period:
        raise ValueError(f"a period is given only with MODE_RECORD, not with mode {mode:#x}")
    if stored and csize != usize:
        raise ValueError(f"a stored block's coded size is its size ({usize}), not {csize}")
    head = pack_varint(usize) + bytes((mode | (METHOD_STORED if stored else 0),))
    if mode & _core.MODE_RECORD:
        head += pack_varint(period)
    head += pack_varint(csize) + _U32.pack(crc & 0xFFFFFFFF)
    return head + _check16(head)


def pack_end_marker(total: int) -> bytes:
    """Serialise the end marker of a stream of ``total`` uncompressed bytes."""
    if not 0 <= total < _TOTAL_LIMIT:
        raise ValueError(f"stream total must fit in 64 bits, not {total}")
    head = b"\x00" + pack_varint(total)
    return head + _check16(head)


def read_block_header(data: Buffer, params: StreamParams) -> tuple[BlockHeader, int] | None:
    """Parse and check the block header or end marker at the start of ``data``.

    Returns (header, its length in bytes), or None if ``data`` ends inside
    one (it never needs more than :data:`BLOCK_HEADER_SIZE` bytes to decide).
    The layout is that of ``params.format_version`` (2: no method byte, every
    block of method 0). The sizes are checked against the limits of the
    stream: a block's uncompressed size is at most ``params.block_size`` and
    its coded size at most :func:`max_coded_size` of it, or exactly its size
    if it is stored. The method byte must hold known mode flags and, with
    ``MODE_RECORD``, a period of at most ``MAX_PERIOD``; whether the stream's
    stages allow the mode is for the engine to say (``_core.mode_valid``).
    """
    if not data:
        return None
    if data[0] == 0:  # the end marker
        read = read_varint(data, 1, _TOTAL_BYTES, "end marker (total size)")
        if read is None:
            return None
        total, at = read
        end = _past_check(data, at, "end marker")
        if end is None:
            return None
        if total >= _TOTAL_LIMIT:
            raise MidicothError("end marker declares a total beyond 64 bits")
        return BlockHeader(end=True, usize=total, csize=0, crc=0), end
    read = read_varint(data, 0, _USIZE_BYTES, "block header (uncompressed size)")
    if read is None:
        return None
    usize, at = read
    method = period = 0
    if params.format_version >= 3:
        if len(data) <= at:
            return None
        method = data[at]
        at += 1
        if method & _core.MODE_RECORD:
            read = read_varint(data, at, _PERIOD_BYTES, "block header (record period)")
            if read is None:
                return None
            period, at = read
    read = read_varint(data, at, _CSIZE_BYTES, "block header (coded size)")
    if read is None:
        return None
    csize, at = read
    if len(data) < at + 4:
        return None
    (data_crc,) = _U32.unpack_from(data, at)
    end = _past_check(data, at + 4, "block header")
    if end is None:
        return None
    _check_usize(usize, params)
    mode, stored = method & ~METHOD_STORED, bool(method & METHOD_STORED)
    if mode & ~_core.MODE_ALL:
        raise MidicothError(f"block uses a method this midicoth does not know ({method:#04x})")
    if mode & _core.MODE_RECORD and period > _core.MAX_PERIOD:
        raise MidicothError(
            f"block declares an invalid record period ({period}; 0 … {_core.MAX_PERIOD})"
        )
    _check_csize(usize, csize, stored)
    header = BlockHeader(
        end=False, usize=usize, csize=csize, crc=data_crc, mode=mode, period=period, stored=stored
    )
    return header, end


def parse_block_header(data: Buffer, params: StreamParams) -> BlockHeader:
    """Parse and check the block header or end marker at the start of
    ``data`` (bytes after it are ignored); as :func:`read_block_header`, but
    a header cut short raises :class:`MidicothError`."""
    read = read_block_header(data, params)
    if read is None:
        raise MidicothError("truncated block header")
    return read[0]


# --- format version 1, for scan() only -----------------------------------------------


def _read_v1_stream_header(data: Buffer) -> tuple[StreamParams, int] | None:
    if len(data) < _V1_STREAM_HEADER_SIZE:
        return None
    (_, version, flags, stages, reserved, model_version, memory_mib, block_size) = (
        _V1_STREAM_HEADER.unpack_from(data)
    )
    (crc,) = _U32.unpack_from(data, _V1_STREAM_HEADER.size)
    if crc != _crc(data[: _V1_STREAM_HEADER.size]):
        raise MidicothError("stream header is damaged (checksum mismatch)")
    if flags & ~FLAG_INDEPENDENT or reserved:
        raise MidicothError("stream header uses flags this version does not know")
    _check_declared_block_size(block_size)
    params = StreamParams(
        memory_mib=memory_mib,
        stages=stages,
        model_version=model_version,
        independent=bool(flags & FLAG_INDEPENDENT),
        block_size=block_size,
        format_version=version,
    )
    return params, _V1_STREAM_HEADER_SIZE


def _read_v1_block_header(data: Buffer, params: StreamParams) -> tuple[BlockHeader, int] | None:
    if len(data) < _V1_BLOCK_HEADER_SIZE:
        return None
    head = bytes(data[:12])
    if _U32.unpack_from(data, 12)[0] != _crc(head):
        raise MidicothError("block header is damaged (checksum mismatch)")
    usize, csize, data_crc = _V1_BLOCK_HEADER.unpack(head)
    if usize == 0:
        total = _V1_END_MARKER.unpack(head)[1]
        return BlockHeader(end=True, usize=total, csize=0, crc=0), _V1_BLOCK_HEADER_SIZE
    _check_usize(usize, params)
    _check_csize(usize, csize, stored=False)
    return BlockHeader(False, usize, csize, data_crc), _V1_BLOCK_HEADER_SIZE


# --- scanning a file -----------------------------------------------------------------


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
    methods: list[BlockMethod]
    """How every block was written, in order (method 0, not stored, for
    every block of formats 1 and 2)."""


class _Input:
    """Bytes of a file read a small chunk at a time, for parsing headers."""

    _CHUNK = 1 << 16

    def __init__(self, fp: BinaryIO) -> None:
        self._fp = fp
        self.buf = bytearray()

    def fill(self, what: str) -> None:
        """Read more bytes, or raise :class:`MidicothError` at end of file."""
        more = self._fp.read(self._CHUNK)
        if not more:
            raise MidicothError(f"file ended inside {what}")
        self.buf += more

    def at_end(self) -> bool:
        """True if no byte is left (reads ahead if the buffer is empty)."""
        if not self.buf:
            self.buf += self._fp.read(self._CHUNK)
        return not self.buf

    def skip(self, n: int, what: str) -> None:
        """Skip ``n`` bytes, never holding more than a chunk of them."""
        take = min(n, len(self.buf))
        del self.buf[:take]
        n -= take
        while n:
            data = self._fp.read(min(n, 1 << 20))
            if not data:
                raise MidicothError(f"file ended inside {what}")
            n -= len(data)


def scan(fp: BinaryIO) -> Iterator[StreamLayout]:
    """Walk the streams of a file by their headers, without decoding.

    Checks every header and size, skips block bodies (reading at most a
    small chunk at a time), and yields one :class:`StreamLayout` per stream.
    Block checksums are not verified: that needs decoding. Streams of
    format version 1 are described too (their ``params.format_version`` is
    1), although this midicoth cannot decode them.
    """
    src = _Input(fp)
    offset = 0
    first = True
    while first or not src.at_end():
        first = False
        while True:
            buf = src.buf
            _check_magic(buf)
            if len(buf) > len(MAGIC) and buf[len(MAGIC)] == 1:
                read = _read_v1_stream_header(buf)
                read_block = _read_v1_block_header
            else:
                read = read_stream_header(buf)
                read_block = read_block_header
            if read is not None:
                break
            src.fill("a stream header")
        params, size = read
        del src.buf[:size]
        blocks: list[tuple[int, int]] = []
        methods: list[BlockMethod] = []
        while True:
            index = len(blocks)
            try:
                while (got := read_block(src.buf, params)) is None:
                    src.fill("a block header")
            except MidicothError as exc:
                raise MidicothError(f"block {index}: {exc}") from None
            block, head_size = got
            del src.buf[:head_size]
            size += head_size
            if block.end:
                total = sum(usize for usize, _ in blocks)
                if block.usize != total:
                    raise MidicothError(
                        f"end marker declares {block.usize} bytes but the blocks hold {total}"
                    )
                break
            src.skip(block.csize, f"block {index}")
            size += block.csize
            blocks.append((block.usize, block.csize))
            methods.append(BlockMethod(block.mode, block.period, block.stored))
        yield StreamLayout(offset, params, blocks, size, sum(u for u, _ in blocks), methods)
        offset += size
