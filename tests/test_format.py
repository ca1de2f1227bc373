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
from midicoth import MidicothError, _core
from midicoth import format as fmt

MEM = midicoth.MIN_MEMORY_MIB


def sample_text(size: int, seed: int = 0) -> bytes:
    rng = random.Random(seed)
    words = ["".join(rng.choice("abcdefgh") for _ in range(rng.randint(1, 7))) for _ in range(50)]
    return " ".join(rng.choice(words) for _ in range(size)).encode()[:size]


DATA = sample_text(2500)
SOLID = midicoth.compress(DATA, memory_mib=MEM)
BLOCKS = midicoth.compress(DATA, memory_mib=MEM, block_size=1024)  # 3 blocks


def with_crc(head: bytes) -> bytes:
    return head + struct.pack("<I", zlib.crc32(head))


def stream_header(**changes: int) -> bytes:
    """A stream header like SOLID's, with fields changed and a valid CRC."""
    fields = dict(
        zip(
            ("magic", "version", "flags", "stages", "reserved", "model", "memory", "block_size"),
            struct.unpack("<4sBBBBIII", SOLID[:20]),
        )
    )
    fields.update(changes)
    return with_crc(struct.pack("<4sBBBBIII", *fields.values()))


def first_block(stream: bytes) -> tuple:
    """(usize, csize, crc) of the first block of a stream."""
    return struct.unpack_from("<III", stream, fmt.STREAM_HEADER_SIZE)


def with_first_block_header(stream: bytes, usize: int, csize: int, crc: int) -> bytes:
    at = fmt.STREAM_HEADER_SIZE
    head = with_crc(struct.pack("<III", usize, csize, crc))
    return stream[:at] + head + stream[at + fmt.BLOCK_HEADER_SIZE :]


# --- layout ---------------------------------------------------------------------------


def test_empty_stream_is_header_and_end_marker() -> None:
    packed = midicoth.compress(b"", memory_mib=MEM)
    assert len(packed) == fmt.STREAM_HEADER_SIZE + fmt.BLOCK_HEADER_SIZE == 40
    assert packed[:4] == fmt.MAGIC == b"\x89MDC"
    assert packed[24:36] == bytes(12)  # end marker: 0, total 0
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
    assert fmt.pack_stream_header(params) == SOLID[:24]


def test_block_framing() -> None:
    usize, csize, crc = first_block(SOLID)
    assert usize == len(DATA)
    assert crc == zlib.crc32(DATA)
    end = fmt.STREAM_HEADER_SIZE + fmt.BLOCK_HEADER_SIZE + csize
    assert len(SOLID) == end + fmt.BLOCK_HEADER_SIZE
    assert SOLID[end : end + 12] == struct.pack("<IQ", 0, len(DATA))


def test_overhead_is_56_bytes_for_one_block() -> None:
    encoder = _core.Encoder(memory_mib=MEM)
    raw = encoder.compress(DATA) + encoder.end_segment()
    assert len(SOLID) - len(raw) == 24 + 16 + 16


def test_solid_stream_is_one_model_in_segments() -> None:
    """A solid stream's blocks are successive segments of a single encoder."""
    data = sample_text(3000, seed=1)
    encoder = _core.Encoder(memory_mib=MEM)
    segments = [
        encoder.compress(data[i : i + 1000]) + encoder.end_segment() for i in (0, 1000, 2000)
    ]
    comp = midicoth.MidicothCompressor(memory_mib=MEM)
    comp._params = comp._params._replace(block_size=1000)  # cut blocks early, same engine
    packed = comp.compress(data) + comp.flush()
    at = fmt.STREAM_HEADER_SIZE
    for segment in segments:
        assert (
            packed[at + fmt.BLOCK_HEADER_SIZE : at + fmt.BLOCK_HEADER_SIZE + len(segment)]
            == segment
        )
        at += fmt.BLOCK_HEADER_SIZE + len(segment)
    assert midicoth.decompress(packed) == data


def test_coded_size_bound_fits_the_field() -> None:
    assert fmt.max_coded_size(fmt.MAX_BLOCK_SIZE) <= 0xFFFFFFFF


def test_scan_reports_layout() -> None:
    layouts = list(fmt.scan(io.BytesIO(BLOCKS + SOLID)))
    assert [len(s.blocks) for s in layouts] == [3, 1]
    assert [s.uncompressed_size for s in layouts] == [len(DATA), len(DATA)]
    assert layouts[0].compressed_size == len(BLOCKS)
    assert layouts[1].offset == len(BLOCKS)
    assert [u for u, _ in layouts[0].blocks] == [1024, 1024, len(DATA) - 2048]


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
    ends, at = set(), fmt.STREAM_HEADER_SIZE
    while True:
        usize, csize, _ = struct.unpack_from("<III", stream, at)
        if not usize:
            return ends
        at += fmt.BLOCK_HEADER_SIZE + csize
        ends.update(range(at - 4, at))


@pytest.mark.parametrize("stream", [SOLID, BLOCKS], ids=["solid", "blocks"])
def test_every_bit_flip_fails(stream: bytes) -> None:
    """A flipped bit raises MidicothError -- or, only in the coder's final
    flush bytes, whose low bits may not matter, decodes to the exact data."""
    rng = random.Random(7)
    coded = [pos for pos in range(40, len(stream) - 16)]
    tails = segment_ends(stream)
    # Headers and segment tails: every bit; the rest of the coded bytes: a sample.
    exhaustive = set(range(40)) | set(range(len(stream) - 16, len(stream))) | tails
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
    second = fmt.STREAM_HEADER_SIZE + fmt.BLOCK_HEADER_SIZE + first_block(BLOCKS)[1]
    damaged = bytearray(BLOCKS)
    damaged[second + fmt.BLOCK_HEADER_SIZE + 5] ^= 0x10
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
        ({"version": 2}, "version 2"),
        ({"version": 0}, "version 0"),
        ({"flags": 0x82}, "flags"),
        ({"reserved": 1}, "flags"),
        ({"block_size": 0}, "block size"),
        ({"block_size": fmt.MAX_BLOCK_SIZE + 1}, "block size"),
        ({"block_size": 0xFFFFFFFF}, "block size"),
        ({"model": _core.MODEL_VERSION + 1}, "model version"),
        ({"memory": 0}, "memory"),
        ({"memory": 0xFFFFFFFF}, "memory"),
        ({"memory": MEM + 1}, "memory"),
        ({"memory": _core.MAX_MEMORY_MIB * 2}, "memory"),
        ({"stages": 0xF0}, "stages"),
    ],
)
def test_lying_stream_header(changes: dict, message: str) -> None:
    stream = stream_header(**changes) + SOLID[fmt.STREAM_HEADER_SIZE :]
    with pytest.raises(MidicothError, match=message):
        midicoth.decompress(stream)


@pytest.mark.parametrize(
    "usize, csize, message",
    [
        (fmt.SOLID_BLOCK_SIZE + 1, 100, "block size"),
        (0xFFFFFFFF, 100, "block size"),
        (len(DATA), len(DATA) * _core.MAX_EXPANSION + 9, "coded size"),
        (len(DATA), 0xFFFFFFFF, "coded size"),
        (10, 10 * _core.MAX_EXPANSION + 9, "coded size"),
        (len(DATA), 0, "coded size"),
    ],
)
def test_lying_block_sizes_are_refused(usize: int, csize: int, message: str) -> None:
    crc = first_block(SOLID)[2]
    with pytest.raises(MidicothError, match=message):
        midicoth.decompress(with_first_block_header(SOLID, usize, csize, crc))


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


def test_lying_end_marker_total_fails() -> None:
    lying = SOLID[:-16] + with_crc(struct.pack("<IQ", 0, len(DATA) + 1))
    with pytest.raises(MidicothError, match="end marker"):
        midicoth.decompress(lying)


def test_dropped_block_is_caught_by_the_total() -> None:
    second = fmt.STREAM_HEADER_SIZE + fmt.BLOCK_HEADER_SIZE + first_block(BLOCKS)[1]
    size2 = struct.unpack_from("<III", BLOCKS, second)[1] + fmt.BLOCK_HEADER_SIZE
    dropped = BLOCKS[:second] + BLOCKS[second + size2 :]
    with pytest.raises(MidicothError, match="missing"):
        midicoth.decompress(dropped)


def test_huge_declared_sizes_allocate_nothing() -> None:
    """Sizes at the format's limits cost nothing until data arrives, and
    output stays within what the caller asks for."""
    header = stream_header(block_size=fmt.MAX_BLOCK_SIZE)
    usize = fmt.MAX_BLOCK_SIZE
    block = with_crc(struct.pack("<III", usize, fmt.max_coded_size(usize), 0))
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
            garbage = SOLID[:24] + garbage
        with pytest.raises(MidicothError):
            midicoth.decompress(garbage)


def test_damaged_stream_in_a_file() -> None:
    damaged = bytearray(SOLID)
    damaged[60] ^= 0xFF
    with midicoth.open(io.BytesIO(bytes(damaged))) as f, pytest.raises(MidicothError):
        f.read()
