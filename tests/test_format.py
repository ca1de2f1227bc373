"""The .mdc container (docs/FORMAT.md): layout, limits, and damaged input.

Every way of damaging a stream -- flipped bits, truncation, wrong magic,
lying sizes with correct checksums -- must raise MidicothError, quickly and
without a large allocation.
"""

from __future__ import annotations

import io
import random
import struct
import tracemalloc
import zlib

import pytest

import midicoth
from corpora import synth
from midicoth import MidicothError, _core
from midicoth import format as fmt

MEM = midicoth.MIN_MEMORY_MIB


DATA = synth.generate("text", 2500)
SOLID = midicoth.compress(DATA, memory_mib=MEM)
BLOCKS = midicoth.compress(DATA, memory_mib=MEM, block_size=1024)  # 3 blocks


def with_check(head: bytes) -> bytes:
    """``head`` followed by its 16-bit header check."""
    return head + struct.pack("<H", zlib.crc32(head) & 0xFFFF)


def raw_varint(value: int) -> bytes:
    """LEB128, written independently of the module under test."""
    out = bytearray()
    while True:
        out.append((value & 0x7F) | (0x80 if value > 0x7F else 0))
        value >>= 7
        if not value:
            return bytes(out)


HEADER_FIELDS = ("magic", "version", "flags", "stages", "model", "memory_log2", "block_size")


def header_fields(stream: bytes) -> dict:
    """The fields of a stream's header, read by hand (block size: its varint bytes)."""
    values = dict(zip(HEADER_FIELDS[:-1], (stream[:4], *stream[4:9])))
    at = 9
    while stream[at] & 0x80:
        at += 1
    values["block_size"] = stream[9 : at + 1]
    return values


def stream_header(**changes: object) -> bytes:
    """A stream header like SOLID's, with fields changed and a valid check.

    ``block_size`` may be an int (encoded here) or the raw varint bytes."""
    fields = header_fields(SOLID)
    fields.update(changes)
    size = fields["block_size"]
    head = (
        fields["magic"]
        + bytes(fields[name] for name in HEADER_FIELDS[1:-1])
        + (raw_varint(size) if isinstance(size, int) else size)
    )
    return with_check(head)


def header_length(stream: bytes) -> int:
    read = fmt.read_stream_header(stream)
    assert read is not None
    return read[1]


def walk(stream: bytes) -> list[tuple[int, int, fmt.BlockHeader]]:
    """(offset, header length, header) of every block of the first stream and its end marker."""
    params, at = fmt.read_stream_header(stream)
    out = []
    while True:
        head, size = fmt.read_block_header(stream[at:], params)
        out.append((at, size, head))
        if head.end:
            return out
        at += size + head.csize


def first_block(stream: bytes) -> tuple:
    """(usize, csize, crc) of the first block of a stream."""
    head = walk(stream)[0][2]
    return head.usize, head.csize, head.crc


def block_header(
    usize: int, csize: int, crc: int, method: int = 0, period: bytes | int | None = None
) -> bytes:
    """A format-3 block header made by hand: ``method`` is the whole method
    byte; ``period`` (an int, encoded here, or the raw varint bytes) is
    written when given, else when the method names MODE_RECORD (as 0)."""
    if period is None and method & _core.MODE_RECORD:
        period = 0
    if isinstance(period, int):
        period = raw_varint(period)
    head = raw_varint(usize) + bytes([method]) + (period or b"")
    return with_check(head + raw_varint(csize) + struct.pack("<I", crc))


def same_method(head: fmt.BlockHeader) -> dict:
    """The method of ``head`` as keywords of :func:`block_header`."""
    method = head.mode | (fmt.METHOD_STORED if head.stored else 0)
    return {"method": method, "period": head.period if head.mode & _core.MODE_RECORD else None}


def with_first_block_header(stream: bytes, usize: int, csize: int, crc: int) -> bytes:
    """``stream`` with its first block's header rewritten (its method kept)."""
    at, size, head = walk(stream)[0]
    return stream[:at] + block_header(usize, csize, crc, **same_method(head)) + stream[at + size :]


# --- layout ---------------------------------------------------------------------------


def test_empty_stream_is_header_and_end_marker() -> None:
    packed = midicoth.compress(b"", memory_mib=MEM)
    # magic, version, flags, stages, model, log2 memory, 3-byte block size, check
    assert header_length(packed) == 9 + 3 + 2 == 14
    assert len(packed) == 14 + 4 == 18
    assert packed[:4] == fmt.MAGIC == b"\x89MDC"
    assert packed[4] == fmt.FORMAT_VERSION == 4
    assert packed[14:16] == bytes(2)  # end marker: 0, total 0
    assert packed[14:] == with_check(b"\x00\x00")
    assert midicoth.decompress(packed) == b""


def test_stream_header_fields() -> None:
    params = fmt.parse_stream_header(SOLID)
    assert params == fmt.StreamParams(
        memory_mib=MEM,
        stages=_core.ALL_STAGES,
        model_version=_core.MODEL_VERSION,
        independent=False,
        block_size=fmt.SOLID_BLOCK_SIZE,
    )
    assert fmt.parse_stream_header(BLOCKS).independent
    assert fmt.parse_stream_header(BLOCKS).block_size == 1024
    assert fmt.pack_stream_header(params) == SOLID[:14]
    assert SOLID[:14] == with_check(
        b"\x89MDC"
        + bytes([4, 0, _core.ALL_STAGES, _core.MODEL_VERSION, MEM.bit_length() - 1])
        + raw_varint(fmt.SOLID_BLOCK_SIZE)
    )
    assert header_length(BLOCKS) == 13  # 1024 takes two varint bytes


def test_header_size_constants_are_the_largest() -> None:
    params = fmt.StreamParams(MEM, _core.ALL_STAGES, _core.MODEL_VERSION, True, fmt.MAX_BLOCK_SIZE)
    assert len(fmt.pack_stream_header(params)) == fmt.STREAM_HEADER_SIZE == 15
    usize = fmt.MAX_BLOCK_SIZE
    longest = fmt.pack_block_header(
        usize, fmt.max_coded_size(usize), 0xFFFFFFFF, _core.MODE_ALL, _core.MAX_PERIOD
    )
    # usize 4, method 1, period 3, coded size 5, data check 4, header check 2
    assert len(longest) == fmt.BLOCK_HEADER_SIZE == 19
    shortest = fmt.pack_block_header(1, 1, 0)
    assert len(shortest) == 9
    params = fmt.parse_stream_header(SOLID)._replace(block_size=fmt.MAX_BLOCK_SIZE)
    assert fmt.read_block_header(longest + b"more", params)[1] == 19
    assert len(fmt.pack_end_marker(2**64 - 1)) == fmt.END_MARKER_SIZE == 13
    with pytest.raises(ValueError):
        fmt.pack_end_marker(2**64)


def test_pack_stream_header_refuses_what_the_format_cannot_hold() -> None:
    params = fmt.StreamParams(MEM, _core.ALL_STAGES, _core.MODEL_VERSION, False, 1024)
    for bad in (
        params._replace(memory_mib=24),
        params._replace(model_version=256),
        params._replace(block_size=0),
        params._replace(block_size=fmt.MAX_BLOCK_SIZE + 1),
    ):
        with pytest.raises(ValueError):
            fmt.pack_stream_header(bad)


@pytest.mark.parametrize("value", [0, 1, 127, 128, 300, 16383, 16384, 2**26, 2**35 + 5, 2**64 - 1])
def test_varint_round_trip(value: int) -> None:
    packed = fmt.pack_varint(value)
    assert packed == raw_varint(value)
    assert fmt.read_varint(packed + b"\xff", 0, 10, "x") == (value, len(packed))
    for cut in range(len(packed)):
        assert fmt.read_varint(packed[:cut], 0, 10, "x") is None


@pytest.mark.parametrize(
    "encoded, message",
    [(b"\x80\x00", "shortest"), (b"\x81\x80\x00", "shortest"), (b"\x80" * 4 + b"\x01", "longer")],
)
def test_varint_rejects_long_forms(encoded: bytes, message: str) -> None:
    with pytest.raises(MidicothError, match=message):
        fmt.read_varint(encoded, 0, 4, "x")


def test_block_framing() -> None:
    usize, csize, crc = first_block(SOLID)
    assert usize == len(DATA)
    assert crc == zlib.crc32(DATA)
    at, size, head = walk(SOLID)[0]
    period = 1 if head.mode & _core.MODE_RECORD else 0  # a period below 128
    assert size == 2 + 1 + period + 2 + 4 + 2
    end = at + size + csize
    assert SOLID[end:] == with_check(b"\x00" + raw_varint(len(DATA)))


def test_block_checks_are_chained() -> None:
    """Each block's check is the CRC-32 of the stream's data up to its end."""
    for stream in (BLOCKS, midicoth.compress(DATA, memory_mib=MEM, block_size=1024, threads=2)):
        heads = [head for _, _, head in walk(stream)][:-1]
        assert [h.usize for h in heads] == [1024, 1024, len(DATA) - 2048]
        done = 0
        for head in heads:
            done += head.usize
            assert head.crc == zlib.crc32(DATA[:done])


def test_overhead_is_30_bytes_for_one_plain_block() -> None:
    encoder = _core.Encoder(memory_mib=MEM)
    raw = encoder.compress(DATA) + encoder.end_segment()
    # header 14, block header 2 + 1 + 2 + 4 + 2, end marker 1 + 2 + 2
    assert len(midicoth.compress(DATA, memory_mib=MEM, modes=0)) - len(raw) == 14 + 11 + 5


@pytest.mark.parametrize("modes", [0, _core.MODE_ALL])
def test_solid_stream_is_one_model_in_segments(modes: int) -> None:
    """A solid stream's blocks are successive segments of a single encoder,
    each in the mode the analyser chose for it."""
    data = synth.generate("text", 3000, 1)
    encoder = _core.Encoder(memory_mib=MEM)
    segments = []
    for i in (0, 1000, 2000):
        mode, period = _core.analyse(data[i : i + 1000], _core.ALL_STAGES, modes)
        encoder.set_mode(mode, period)
        segments.append(encoder.compress(data[i : i + 1000]) + encoder.end_segment())
    comp = midicoth.MidicothCompressor(memory_mib=MEM, modes=modes)
    comp._block_size = 1000  # cut blocks early, same engine
    packed = comp.compress(data) + comp.flush()
    blocks = walk(packed)
    assert len(blocks) == len(segments) + 1
    for (at, size, head), segment in zip(blocks, segments):
        assert packed[at + size : at + size + head.csize] == segment
    assert midicoth.decompress(packed) == data


@pytest.mark.parametrize(
    "name_of, parse, every",
    [
        (fmt.stages_name, fmt.parse_stages, _core.ALL_STAGES),
        (fmt.modes_name, fmt.parse_modes, _core.MODE_ALL),
    ],
)
def test_flag_names_round_trip(name_of, parse, every) -> None:
    for flags in range(every + 1):
        name = name_of(flags)
        assert parse(name) == flags
        assert parse(name.upper().replace("+", ", ")) == flags
        assert parse(str(flags)) == flags


def test_stage_names() -> None:
    assert fmt.parse_stages("all") == _core.ALL_STAGES
    assert fmt.parse_stages("paper") == _core.PAPER_STAGES
    assert fmt.parse_stages("ppm+match") == _core.STAGE_MATCH


@pytest.mark.parametrize(
    "spec", ["", "fast", "match+", "match+fast", "128", "-1", "0x3f", "lean+word", "66"]
)
def test_unknown_stage_names_are_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="stage"):
        fmt.parse_stages(spec)


def test_coded_size_bound_fits_32_bits() -> None:
    assert fmt.max_coded_size(fmt.MAX_BLOCK_SIZE) <= 0xFFFFFFFF


def test_scan_reports_layout() -> None:
    layouts = list(fmt.scan(io.BytesIO(BLOCKS + SOLID)))
    assert [len(s.blocks) for s in layouts] == [3, 1]
    assert [s.uncompressed_size for s in layouts] == [len(DATA), len(DATA)]
    assert layouts[0].compressed_size == len(BLOCKS)
    assert layouts[1].offset == len(BLOCKS)
    assert [u for u, _ in layouts[0].blocks] == [1024, 1024, len(DATA) - 2048]


def test_byte_at_a_time_decoding() -> None:
    for stream in (SOLID, BLOCKS, midicoth.compress(b"", memory_mib=MEM)):
        dec = midicoth.MidicothDecompressor()
        out = b"".join(dec.decompress(stream[i : i + 1]) for i in range(len(stream)))
        assert dec.eof and dec.unused_data == b""
        assert out == midicoth.decompress(stream)


def v1_stream(blocks: list[tuple[int, bytes]], block_size: int = 1024) -> bytes:
    """A format-1 stream (midicoth 0.1) made by hand: (usize, coded bytes) per block."""

    def with_crc(head: bytes) -> bytes:
        return head + struct.pack("<I", zlib.crc32(head))

    flags = 1
    out = with_crc(struct.pack("<4sBBBBIII", fmt.MAGIC, 1, flags, 63, 0, 2, MEM, block_size))
    for usize, coded in blocks:
        out += with_crc(struct.pack("<III", usize, len(coded), 0)) + coded
    return out + with_crc(struct.pack("<IQ", 0, sum(u for u, _ in blocks)))


def test_format_1_streams_are_refused_by_name() -> None:
    old = v1_stream([(1000, b"x" * 300), (500, b"y" * 200)])
    for door in (midicoth.decompress, lambda b: midicoth.open(io.BytesIO(b)).read()):
        with pytest.raises(
            MidicothError, match="format version 1 .*midicoth 0.1.*versions 2, 3 and 4"
        ):
            door(old)
    with pytest.raises(MidicothError, match="format version 1"):
        midicoth.MidicothDecompressor().decompress(old[:5])


def test_scan_describes_format_1_streams() -> None:
    old = v1_stream([(1000, b"x" * 300), (500, b"y" * 200)])
    (layout, again) = fmt.scan(io.BytesIO(old + old))
    assert layout.params.format_version == 1
    assert layout.params.memory_mib == MEM and layout.params.independent
    assert layout.blocks == [(1000, 300), (500, 200)]
    assert layout.compressed_size == len(old) == 24 + 16 * 3 + 500
    assert again.offset == len(old)


# --- damaged input --------------------------------------------------------------------


@pytest.mark.parametrize("stream", [SOLID, BLOCKS], ids=["solid", "blocks"])
def test_every_truncation_fails(stream: bytes) -> None:
    for cut in range(len(stream)):
        with pytest.raises(MidicothError):
            midicoth.decompress(stream[:cut])
        with pytest.raises(MidicothError):
            list(fmt.scan(io.BytesIO(stream[:cut])))


def segment_ends(stream: bytes) -> set:
    """Offsets of the last MAX_FLUSH_BYTES coded bytes of every block."""
    ends = set()
    for at, size, head in walk(stream)[:-1]:
        end = at + size + head.csize
        ends.update(range(end - 4, end))
    return ends


@pytest.mark.parametrize("stream", [SOLID, BLOCKS], ids=["solid", "blocks"])
def test_every_bit_flip_fails(stream: bytes) -> None:
    """A flipped bit raises MidicothError -- or, only in the coder's final
    flush bytes, whose low bits may not matter, decodes to the exact data."""
    rng = random.Random(7)
    blocks = walk(stream)
    end_marker = blocks[-1][0]
    heads = set(range(header_length(stream)))
    for at, size, _ in blocks:
        heads.update(range(at, at + size))
    coded = [pos for pos in range(len(stream)) if pos not in heads]
    tails = segment_ends(stream)
    # Headers and segment tails: every bit; the rest of the coded bytes: a sample.
    exhaustive = heads | tails
    assert max(heads) == len(stream) - 1 and end_marker in heads
    positions = sorted(exhaustive) + rng.sample([p for p in coded if p not in tails], 100)
    for pos in positions:
        for bit in range(8) if pos in exhaustive else [rng.randrange(8)]:
            damaged = bytearray(stream)
            damaged[pos] ^= 1 << bit
            try:
                out = midicoth.decompress(bytes(damaged))
            except MidicothError:
                continue
            assert pos in tails, (pos, bit)
            assert out == DATA


def test_damaged_independent_block_is_named() -> None:
    at, size, _ = walk(BLOCKS)[1]
    damaged = bytearray(BLOCKS)
    damaged[at + size + 5] ^= 0x10
    with pytest.raises(MidicothError, match="block 1"):
        midicoth.decompress(bytes(damaged))


@pytest.mark.parametrize(
    "prefix",
    [b"MDC7", b"\x89PNG", b"\x00", b"\xfd7zXZ\x00", b"\x89MDx", b"not a stream at all"],
)
def test_wrong_magic(prefix: bytes) -> None:
    with pytest.raises(MidicothError, match="magic"):
        midicoth.decompress(prefix + SOLID[len(prefix) :])


def test_bad_magic_is_reported_at_the_first_byte() -> None:
    with pytest.raises(MidicothError, match="magic"):
        midicoth.MidicothDecompressor().decompress(b"M")


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"version": 1}, "format version 1 .*midicoth 0.1"),
        ({"version": 5}, "format version 5 .*versions 2, 3 and 4"),
        ({"version": 0}, "format version 0"),
        ({"flags": 0x82}, "flags"),
        ({"flags": 0x20}, "flags"),
        ({"block_size": 0}, "block size"),
        ({"block_size": fmt.MAX_BLOCK_SIZE + 1}, "block size"),
        ({"block_size": 2**28 - 1}, "block size"),
        ({"block_size": b"\xff\xff\xff\xff\x0f"}, "block size.*longer"),
        ({"block_size": b"\x80\x80\x00"}, "block size.*shortest"),
        ({"model": _core.MODEL_VERSION + 1}, "model version"),
        ({"model": 5}, "format version 4 was made by model version 5"),
        ({"version": 2}, "format version 2 was made by model version 6"),
        ({"model": 2}, "model version 2 .*midicoth 0.2"),
        ({"model": 3}, "model version 3 .*midicoth 0.3"),
        ({"model": 0xFF}, "model version"),
        ({"memory_log2": 0}, "memory"),
        ({"memory_log2": 3}, "memory"),
        ({"memory_log2": _core.MAX_MEMORY_MIB.bit_length()}, "memory"),
        ({"memory_log2": 64}, "memory"),
        ({"memory_log2": 0xFF}, "memory"),
        ({"stages": 0xF0}, "stages"),
    ],
)
def test_lying_stream_header(changes: dict, message: str) -> None:
    stream = stream_header(**changes) + SOLID[header_length(SOLID) :]
    with pytest.raises(MidicothError, match=message):
        midicoth.decompress(stream)
    with pytest.raises(MidicothError, match=message):
        midicoth.open(io.BytesIO(stream)).read()


def test_stream_header_check_covers_every_byte() -> None:
    size = header_length(SOLID)
    for pos in range(size):
        for bit in range(8):
            damaged = bytearray(SOLID)
            damaged[pos] ^= 1 << bit
            with pytest.raises(MidicothError):
                midicoth.decompress(bytes(damaged))


@pytest.mark.parametrize(
    "usize, csize, message",
    [
        (fmt.SOLID_BLOCK_SIZE + 1, 100, "block size"),
        (2**28 - 1, 100, "block size"),
        (len(DATA), len(DATA) * _core.MAX_EXPANSION + 9, "coded size"),
        (len(DATA), 2**35 - 1, "coded size"),
        (10, 10 * _core.MAX_EXPANSION + 9, "coded size"),
        (len(DATA), 0, "coded size"),
    ],
)
def test_lying_block_sizes_are_refused(usize: int, csize: int, message: str) -> None:
    crc = first_block(SOLID)[2]
    with pytest.raises(MidicothError, match=message):
        midicoth.decompress(with_first_block_header(SOLID, usize, csize, crc))


@pytest.mark.parametrize(
    "head, message",
    [
        (b"\x80\x80\x80\x80\x01", "uncompressed size.*longer"),  # usize over 4 bytes
        (b"\xc4\x00", "uncompressed size.*shortest"),
        (raw_varint(len(DATA)) + b"\x00\x80\x80\x80\x80\x80\x01", "coded size.*longer"),
        (raw_varint(len(DATA)) + b"\x00\x85\x00", "coded size.*shortest"),
        (raw_varint(len(DATA)) + b"\x01\x80\x80\x80\x01", "record period.*longer"),
        (raw_varint(len(DATA)) + b"\x81\x85\x00", "record period.*shortest"),
        (b"\x00" + b"\x80" * 10 + b"\x01", "total size.*longer"),
        (b"\x00\x80\x00", "total size.*shortest"),
    ],
)
def test_long_varints_in_block_headers_are_refused(head: bytes, message: str) -> None:
    """Non-minimal or overlong varints fail at once, before any check or data."""
    at = header_length(SOLID)
    stream = SOLID[:at] + head + bytes(20)
    with pytest.raises(MidicothError, match="block 0: .*" + message):
        midicoth.decompress(stream)
    with pytest.raises(MidicothError, match=message):
        midicoth.MidicothDecompressor().decompress(stream[: at + len(head)])


def test_end_marker_total_beyond_64_bits_is_refused() -> None:
    at = walk(SOLID)[-1][0]
    lying = SOLID[:at] + with_check(b"\x00" + raw_varint(2**64))
    with pytest.raises(MidicothError, match="64 bits"):
        midicoth.decompress(lying)


@pytest.mark.parametrize("delta_usize, delta_csize", [(-1, 0), (1, 0), (0, -1), (0, 1), (-7, 3)])
def test_plausible_lying_block_sizes_fail(delta_usize: int, delta_csize: int) -> None:
    usize, csize, crc = first_block(SOLID)
    lying = with_first_block_header(SOLID, usize + delta_usize, csize + delta_csize, crc)
    with pytest.raises(MidicothError):
        midicoth.decompress(lying)


def test_lying_block_crc_fails() -> None:
    usize, csize, crc = first_block(SOLID)
    with pytest.raises(MidicothError, match="checksum"):
        midicoth.decompress(with_first_block_header(SOLID, usize, csize, crc ^ 1))


def test_unchained_block_crc_fails() -> None:
    """A block whose check is the CRC of its own data alone (as in format 1) is refused."""
    at, size, head = walk(BLOCKS)[1]
    own = zlib.crc32(DATA[1024:2048])
    rewritten = block_header(head.usize, head.csize, own, **same_method(head))
    lying = BLOCKS[:at] + rewritten + BLOCKS[at + size :]
    with pytest.raises(MidicothError, match="block 1 .*checksum"):
        midicoth.decompress(lying)


def test_lying_end_marker_total_fails() -> None:
    at = walk(SOLID)[-1][0]
    lying = SOLID[:at] + with_check(b"\x00" + raw_varint(len(DATA) + 1))
    with pytest.raises(MidicothError, match="end marker"):
        midicoth.decompress(lying)


def block_parts(stream: bytes) -> tuple[bytes, list[bytes], bytes]:
    """(stream header, every block with its header, end marker)."""
    blocks = walk(stream)
    parts = [stream[at : at + size + head.csize] for at, size, head in blocks[:-1]]
    return stream[: header_length(stream)], parts, stream[blocks[-1][0] :]


@pytest.mark.parametrize("threads", [1, 2])
def test_dropped_last_block_is_caught_by_the_total(threads: int) -> None:
    head, parts, end = block_parts(BLOCKS)
    with pytest.raises(MidicothError, match="missing"):
        midicoth.decompress(head + b"".join(parts[:-1]) + end, threads=threads)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize(
    "order", [[1, 0, 2], [0, 2, 1], [2, 1, 0], [0, 2], [1, 2], [0, 0, 1, 2], [0, 1, 1, 2]]
)
def test_reordered_dropped_or_repeated_blocks_fail(order: list[int], threads: int) -> None:
    """The chained checks bind every independent block to its place, also
    when blocks are decoded in parallel."""
    head, parts, end = block_parts(BLOCKS)
    spliced = head + b"".join(parts[i] for i in order) + end
    with pytest.raises(MidicothError, match="block . is damaged or out of place"):
        midicoth.decompress(spliced, threads=threads)


@pytest.mark.parametrize("block", [0, 1, 2])
def test_parallel_decoding_names_the_damaged_block(block: int) -> None:
    head, parts, end = block_parts(BLOCKS)
    part = bytearray(parts[block])
    part[len(part) // 2 + 4] ^= 0x10  # inside the coded bytes
    parts[block] = bytes(part)
    with pytest.raises(MidicothError, match=f"block {block} is damaged"):
        midicoth.decompress(head + b"".join(parts) + end, threads=2)


def test_huge_declared_sizes_allocate_nothing() -> None:
    """Sizes at the format's limits cost nothing until data arrives, and
    output stays within what the caller asks for."""
    header = stream_header(block_size=fmt.MAX_BLOCK_SIZE)
    usize = fmt.MAX_BLOCK_SIZE
    block = block_header(usize, fmt.max_coded_size(usize), 0)
    tracemalloc.start()
    try:
        dec = midicoth.MidicothDecompressor()
        assert dec.decompress(header + block) == b""
        assert dec.needs_input
        assert len(dec.decompress(b"\x5a" * 64, max_length=1000)) <= 1000
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20
    with pytest.raises(MidicothError, match="ended"):
        midicoth.decompress(header + block + b"\x5a" * 8)


def test_random_garbage_never_escapes_as_another_error() -> None:
    rng = random.Random(11)
    for _ in range(300):
        size = rng.randrange(0, 200)
        garbage = bytes(rng.randrange(256) for _ in range(size))
        if rng.random() < 0.5:  # a valid header followed by garbage
            garbage = SOLID[: header_length(SOLID)] + garbage
        with pytest.raises(MidicothError):
            midicoth.decompress(garbage)


def test_damaged_stream_in_a_file() -> None:
    damaged = bytearray(SOLID)
    damaged[60] ^= 0xFF
    with midicoth.open(io.BytesIO(bytes(damaged))) as f, pytest.raises(MidicothError):
        f.read()


# --- format 3: block methods and stored blocks ----------------------------------------

RECORD, SPARSE, X86 = _core.MODE_RECORD, _core.MODE_SPARSE, _core.MODE_X86
STORED = fmt.METHOD_STORED
PARAMS3 = fmt.parse_stream_header(SOLID)
NOISE = random.Random(3).randbytes(3000)


@pytest.mark.parametrize(
    "mode, period, stored",
    [
        (0, 0, False),
        (RECORD, 0, False),  # records that are lines
        (RECORD, 1, False),
        (RECORD, 127, False),
        (RECORD, 128, False),  # two varint bytes
        (RECORD, _core.MAX_PERIOD, False),  # three
        (SPARSE, 0, False),
        (SPARSE | X86, 0, False),
        (RECORD | X86, 216, False),
        (_core.MODE_ALL, 300, False),
        (0, 0, True),
        (X86, 0, True),
        (RECORD | SPARSE, 36, True),
    ],
)
def test_block_header_round_trip(mode: int, period: int, stored: bool) -> None:
    usize, csize, crc = 1000, 1000 if stored else 345, 0xDEADBEEF
    packed = fmt.pack_block_header(usize, csize, crc, mode, period, stored)
    method = mode | (STORED if stored else 0)
    assert packed == block_header(usize, csize, crc, method, period if mode & RECORD else None)
    head, size = fmt.read_block_header(packed + b"next", PARAMS3)
    assert size == len(packed)
    assert head == fmt.BlockHeader(False, usize, csize, crc, mode, period, stored)
    for cut in range(len(packed)):
        assert fmt.read_block_header(packed[:cut], PARAMS3) is None
    assert len(packed) <= fmt.BLOCK_HEADER_SIZE


@pytest.mark.parametrize(
    "args, message",
    [
        ((100, 50, 0, 0x08), "mode"),
        ((100, 50, 0, 0x80), "mode"),  # the stored bit is not a mode
        ((100, 50, 0, -1), "mode"),
        ((100, 50, 0, RECORD, -1), "period"),
        ((100, 50, 0, RECORD, _core.MAX_PERIOD + 1), "period"),
        ((100, 50, 0, SPARSE, 36), "period"),  # a period without MODE_RECORD
        ((100, 99, 0, 0, 0, True), "stored"),
        ((100, 101, 0, X86, 0, True), "stored"),
        ((0, 1, 0), "at least one byte"),
    ],
)
def test_pack_block_header_refuses_what_the_format_cannot_hold(args: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fmt.pack_block_header(*args)


@pytest.mark.parametrize(
    "head, message",
    [
        (block_header(100, 50, 0, 0x08), "method .*0x08"),
        (block_header(100, 50, 0, 0x40), "method .*0x40"),
        (block_header(100, 50, 0, 0x7F, 36), "method .*0x7f"),
        (block_header(100, 50, 0, STORED | 0x10), "method .*0x90"),
        (block_header(100, 50, 0, RECORD, _core.MAX_PERIOD + 1), "record period"),
        (block_header(100, 50, 0, RECORD, 2**21 - 1), "record period"),
        (block_header(100, 99, 0, STORED), "stored block declares 99 .* 100"),
        (block_header(100, 101, 0, STORED | X86), "stored block declares 101 .* 100"),
        (block_header(100, 0, 0, STORED), "stored block"),
        (with_check(raw_varint(100) + b"\x01\x80\x80\x80\x01"), "record period.*longer"),
        (with_check(raw_varint(100) + b"\x01\x85\x00"), "record period.*shortest"),
    ],
)
def test_lying_methods_are_refused(head: bytes, message: str) -> None:
    """Bad method bytes and periods fail with a valid header check, in the
    header parser, in every decoding door and in the scanner."""
    with pytest.raises(MidicothError, match=message):
        fmt.read_block_header(head + bytes(20), PARAMS3)
    at = header_length(SOLID)
    stream = SOLID[:at] + head + bytes(200)
    for threads in (1, 2):
        with pytest.raises(MidicothError, match="block 0: .*" + message):
            midicoth.decompress(stream, threads=threads)
    with pytest.raises(MidicothError, match=message):
        list(fmt.scan(io.BytesIO(stream)))


def test_method_the_stages_do_not_allow_is_refused() -> None:
    """Record and sparse contexts feed the mixers: a stream without them
    cannot use those modes, and a header that says so is refused before
    any data is decoded."""
    data = synth.generate("text", 2000, 2)
    for stages in (_core.PAPER_STAGES, 0):
        for threads in (1, 2):
            packed = midicoth.compress(data, memory_mib=MEM, stages=stages, block_size=1024)
            usize, csize, crc = first_block(packed)
            at, size, _ = walk(packed)[0]
            lying = packed[:at] + block_header(usize, csize, crc, RECORD, 36) + packed[at + size :]
            assert not _core.mode_valid(RECORD, 36, stages)
            with pytest.raises(MidicothError, match="block 0: .*method .*record/36"):
                midicoth.decompress(lying, threads=threads)


def format_2_params(**changes: object) -> fmt.StreamParams:
    return fmt.StreamParams(MEM, _core.ALL_STAGES, 5, False, 1 << 20, format_version=2)._replace(
        **changes
    )


def test_format_2_block_headers_have_no_method() -> None:
    head = with_check(raw_varint(1000) + raw_varint(300) + struct.pack("<I", 77))
    block, size = fmt.read_block_header(head + b"\x01", format_2_params())
    assert size == len(head) == 2 + 2 + 4 + 2
    assert block == fmt.BlockHeader(False, 1000, 300, 77, mode=0, period=0, stored=False)
    # the same bytes read as format 3: 0xAC is an unknown method byte (or the check fails)
    with pytest.raises(MidicothError):
        fmt.read_block_header(head, PARAMS3)


@pytest.mark.parametrize(
    "format_version, model_version, ok",
    [(2, 5, True), (3, _core.MODEL_VERSION, True), (2, 6, False), (3, 5, False)]
    + [(4, _core.MODEL_VERSION, True), (4, 5, False)]
    + [(2, m, False) for m in (2, 3, 4)]
    + [(1, 1, False), (5, _core.MODEL_VERSION, False), (0, 5, False)],
)
def test_each_format_version_decodes_one_model_version(
    format_version: int, model_version: int, ok: bool
) -> None:
    assert fmt.READ_VERSIONS == {(2, 5), (3, _core.MODEL_VERSION), (4, _core.MODEL_VERSION)}
    params = format_2_params(format_version=format_version, model_version=model_version)
    if ok:
        fmt.check_decodable(params)
    else:
        with pytest.raises(MidicothError, match=f"(model|format) version {model_version}|format"):
            fmt.check_decodable(params)


def test_stored_block_holds_the_data() -> None:
    """Noise is stored: the body is the data, the coded size the size."""
    for block_size in (None, 1024):
        packed = midicoth.compress(NOISE, memory_mib=MEM, block_size=block_size)
        heads = walk(packed)[:-1]
        assert all(head.stored and head.csize == head.usize for _, _, head in heads)
        assert b"".join(packed[at + size : at + size + h.csize] for at, size, h in heads) == NOISE
        framing = header_length(packed) + sum(size for _, size, _ in heads) + 5
        assert len(packed) == len(NOISE) + framing
        assert midicoth.decompress(packed) == NOISE


def test_stored_block_damage_fails_its_check() -> None:
    packed = midicoth.compress(NOISE, memory_mib=MEM)
    at, size, head = walk(packed)[0]
    assert head.stored
    for pos in (at + size, at + size + 1500, at + size + head.csize - 1):
        damaged = bytearray(packed)
        damaged[pos] ^= 0x01
        for threads in (1, 2):
            with pytest.raises(MidicothError, match="block 0 is damaged .*checksum"):
                midicoth.decompress(bytes(damaged), threads=threads)


def small_solid_blocks(data: bytes, block_size: int) -> bytes:
    """A solid stream of ``data`` cut into blocks of ``block_size`` (below
    what the writer takes, to keep streams of several solid blocks small)."""
    comp = midicoth.MidicothCompressor(memory_mib=MEM)
    comp._block_size = block_size
    return comp.compress(data) + comp.flush()


NOISE_THEN_TEXT = small_solid_blocks(NOISE[:1024] + DATA[:1024], 1024)


@pytest.mark.parametrize("flip", [STORED, X86, RECORD, SPARSE])
@pytest.mark.parametrize("threads", [1, 2])
def test_flipped_method_with_a_valid_check_fails(flip: int, threads: int) -> None:
    """A method byte that lies (its header check made valid again) cannot
    give wrong data: the sizes, the engine's end check or the data check
    fail. A stored block without x86 targets decodes to its data whatever
    its modes say, but in a solid stream the model learned it in the wrong
    mode, and the next block fails."""
    noise = midicoth.compress(NOISE, memory_mib=MEM)
    for stream in (SOLID, BLOCKS, noise, NOISE_THEN_TEXT):
        at, size, head = walk(stream)[0]
        method = (head.mode | (STORED if head.stored else 0)) ^ flip
        period = (head.period if head.mode & RECORD else 36) if method & RECORD else None
        lying = block_header(head.usize, head.csize, head.crc, method, period)
        damaged = stream[:at] + lying + stream[at + size :]
        if stream is noise and flip != STORED:
            assert midicoth.decompress(damaged, threads=threads) == NOISE
        else:
            with pytest.raises(MidicothError):
                midicoth.decompress(damaged, threads=threads)


def test_modes_names() -> None:
    assert fmt.parse_modes("all") == _core.MODE_ALL
    assert fmt.parse_modes("none") == 0
    assert fmt.parse_modes("record+x86") == RECORD | X86
    assert fmt.modes_name(0x44) == "x86+unknown 0x40"


@pytest.mark.parametrize("spec", ["", "fast", "x86+", "record+fast", "8", "-1", "0x7", "lines"])
def test_unknown_mode_names_are_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="mode"):
        fmt.parse_modes(spec)


def test_method_names() -> None:
    assert fmt.method_name(0) == "plain"
    assert fmt.method_name(0, stored=True) == "stored"
    assert fmt.method_name(RECORD, 216) == "record/216"
    assert fmt.method_name(RECORD, 0) == "record/lines"
    assert fmt.method_name(SPARSE | X86) == "sparse+x86"
    assert fmt.method_name(RECORD | X86, 36, stored=True) == "stored (record/36+x86)"
    assert fmt.BlockMethod(X86, 0, True).name == "stored (x86)"


def test_scan_reports_methods() -> None:
    text = synth.generate("text", 1024, 4)
    data = text + NOISE[:1024] + text
    packed = midicoth.compress(data, memory_mib=MEM, block_size=1024)
    (layout,) = fmt.scan(io.BytesIO(packed))
    heads = [head for _, _, head in walk(packed)[:-1]]
    assert layout.methods == [fmt.BlockMethod(h.mode, h.period, h.stored) for h in heads]
    assert [m.stored for m in layout.methods] == [False, True, False]
    assert layout.blocks[1] == (1024, 1024)


def test_solid_decoder_learns_stored_blocks() -> None:
    """After a stored block the decoder's model is where the encoder's is,
    so the coded blocks that follow decode, through every door."""
    data = NOISE[:1024] + DATA[:1024]
    heads = [head for _, _, head in walk(NOISE_THEN_TEXT)[:-1]]
    assert [head.stored for head in heads] == [True, False]
    assert midicoth.decompress(NOISE_THEN_TEXT) == data
    dec = midicoth.MidicothDecompressor()
    out = [dec.decompress(NOISE_THEN_TEXT[i : i + 1], 10) for i in range(len(NOISE_THEN_TEXT))]
    while not dec.eof:
        out.append(dec.decompress(b"", 10))
    assert b"".join(out) == data
