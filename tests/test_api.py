"""The Python API, checked against the standard library's lzma module.

Tests that take a `codec` run the same calls on lzma and on midicoth: the
two must behave alike (apart from the error class for bad data). Small
inputs and the smallest memory budget keep the suite fast.
"""

from __future__ import annotations

import io
import itertools
import lzma
import os
import random
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import midicoth
from corpora import synth
from midicoth import MidicothError

MEM = midicoth.MIN_MEMORY_MIB


TEXT = synth.generate("text", 6000)
PACKED = midicoth.compress(TEXT, memory_mib=MEM)

MIDICOTH = SimpleNamespace(
    name="midicoth",
    error=MidicothError,
    compress=lambda data: midicoth.compress(data, memory_mib=MEM),
    decompress=midicoth.decompress,
    Compressor=lambda: midicoth.MidicothCompressor(memory_mib=MEM),
    Decompressor=midicoth.MidicothDecompressor,
    open=lambda f, mode="rb", **kw: midicoth.open(
        f, mode, **({"memory_mib": MEM} if "r" not in mode else {}), **kw
    ),
    File=midicoth.MidicothFile,
)
LZMA = SimpleNamespace(
    name="lzma",
    error=lzma.LZMAError,
    compress=lzma.compress,
    decompress=lzma.decompress,
    Compressor=lzma.LZMACompressor,
    Decompressor=lzma.LZMADecompressor,
    open=lzma.open,
    File=lzma.LZMAFile,
)


@pytest.fixture(params=[LZMA, MIDICOTH], ids=lambda c: c.name)
def codec(request: pytest.FixtureRequest) -> SimpleNamespace:
    return request.param


def decompress_in_pieces(
    dec: midicoth.MidicothDecompressor, stream: bytes, cuts: list, max_length: int
) -> bytes:
    """Feed ``stream`` cut at ``cuts``, asking for ``max_length`` bytes a call
    (and for more while no input is needed); check each call's bound and
    that the stream ends; return all output."""
    bounds = sorted({0, len(stream), *cuts})
    out = []
    for a, b in itertools.pairwise(bounds):
        piece = dec.decompress(stream[a:b], max_length)
        assert max_length < 0 or len(piece) <= max_length
        out.append(piece)
        while not dec.needs_input and not dec.eof:
            out.append(dec.decompress(b"", max_length if max_length else 1))
    assert dec.eof
    return b"".join(out)


# --- one-shot functions ---------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"x", bytes(range(256)) * 3, TEXT], ids=len)
def test_round_trip(codec: SimpleNamespace, data: bytes) -> None:
    packed = codec.compress(data)
    assert codec.decompress(packed) == data


def test_text_compresses() -> None:
    assert len(PACKED) < len(TEXT) // 2
    assert midicoth.decompress(PACKED) == TEXT


def test_accepts_buffers() -> None:
    for buf in (bytearray(TEXT), memoryview(TEXT)):
        assert midicoth.compress(buf, memory_mib=MEM) == PACKED
        assert midicoth.decompress(type(buf)(PACKED)) == TEXT


def test_concatenated_streams(codec: SimpleNamespace) -> None:
    joined = codec.compress(b"first ") + codec.compress(b"") + codec.compress(b"second")
    assert codec.decompress(joined) == b"first second"


def test_truncated_raises(codec: SimpleNamespace) -> None:
    packed = codec.compress(TEXT)
    with pytest.raises(codec.error):
        codec.decompress(packed[:-1])
    with pytest.raises(codec.error):
        codec.decompress(b"")


def test_trailing_garbage_is_an_error() -> None:
    # Deliberately stricter than lzma.decompress, which ignores it (FORMAT.md).
    at = len(PACKED)
    for door in (midicoth.decompress, lambda data: midicoth.open(io.BytesIO(data)).read()):
        with pytest.raises(MidicothError, match=f"^trailing data at byte {at}: "):
            door(PACKED + b"junk")
        with pytest.raises(MidicothError, match=f"^trailing data at byte {2 * at}: "):
            door(PACKED + PACKED + TEXT)
        with pytest.raises(MidicothError, match="truncated|ended"):
            door(PACKED + PACKED[:3])  # the start of a stream, cut short


@pytest.mark.parametrize("stages", [0, midicoth.STAGE_MATCH, midicoth.STAGE_TWEEDIE, 0b0110])
def test_stage_selection_round_trips(stages: int) -> None:
    packed = midicoth.compress(TEXT, memory_mib=MEM, stages=stages)
    assert midicoth.decompress(packed) == TEXT
    assert packed != PACKED


def test_memory_budget_is_recorded() -> None:
    packed = midicoth.compress(TEXT, memory_mib=MEM * 2)
    assert packed[8] == (MEM * 2).bit_length() - 1  # log2 of the budget in MiB
    assert midicoth.format.parse_stream_header(packed).memory_mib == MEM * 2
    assert midicoth.decompress(packed) == TEXT


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (None, midicoth.DEFAULT_MEMORY_MIB),  # unknown length: the default
        (0, midicoth.MIN_MEMORY_MIB),
        (1 << 17, 16),  # 128 bytes per input byte: 16 MiB exactly
        ((1 << 17) + 1, 32),
        (768_771, 128),  # calgary/book1
        (10 << 30, midicoth.DEFAULT_MEMORY_MIB),  # capped
    ],
)
def test_auto_memory_is_128_bytes_per_input_byte(size: int | None, expected: int) -> None:
    assert midicoth.auto_memory_mib(size) == expected
    assert midicoth.auto_memory_mib(size, cap=32) == min(expected, 32)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"memory_mib": midicoth.MIN_MEMORY_MIB - 1}, ValueError),
        ({"memory_mib": midicoth.MIN_MEMORY_MIB + 1}, ValueError),  # not a power of two
        ({"memory_mib": midicoth.MAX_MEMORY_MIB * 2}, ValueError),
        ({"memory_mib": "16"}, TypeError),
        ({"stages": midicoth.ALL_STAGES + 16}, ValueError),
        ({"stages": -1}, ValueError),
        ({"threads": -1}, ValueError),
        ({"threads": 1.5}, TypeError),
        ({"block_size": midicoth.MIN_BLOCK_SIZE - 1}, ValueError),
        ({"block_size": midicoth.MAX_BLOCK_SIZE + 1}, ValueError),
        ({"block_size": True}, TypeError),
        ({"modes": midicoth.MODE_ALL + 1}, ValueError),
        ({"modes": 0x80}, ValueError),
        ({"modes": -1}, ValueError),
        ({"modes": "every"}, ValueError),
        ({"stages": "paper+word"}, ValueError),
        ({"modes": b"all"}, TypeError),
        ({"modes": True}, TypeError),
    ],
)
def test_parameters_are_validated(kwargs: dict, error: type) -> None:
    with pytest.raises(error):
        midicoth.compress(b"data", **kwargs)
    with pytest.raises(error):
        midicoth.MidicothCompressor(**kwargs)


def test_parameters_mean_what_the_command_line_means() -> None:
    """threads=0 is every core (as -j 0), always in independent blocks, so the
    bytes do not depend on the machine; stages and modes take the names the
    command line takes."""
    data = synth.generate("text", 5000, 4)
    assert midicoth.compress(data, memory_mib=MEM, threads=0) == midicoth.compress(
        data, memory_mib=MEM, threads=2
    )
    assert midicoth.decompress(midicoth.compress(data, threads=0), threads=0) == data
    for stages, modes in (("paper", "none"), ("match+mix+apm", "record+x86")):
        named = midicoth.compress(data, memory_mib=MEM, stages=stages, modes=modes)
        numbered = midicoth.compress(
            data,
            memory_mib=MEM,
            stages=midicoth.format.parse_stages(stages),
            modes=midicoth.format.parse_modes(modes),
        )
        assert named == numbered
    with midicoth.open(io.BytesIO(), "wb", stages="paper") as f:
        f.write(data)


# --- blocks and threads ---------------------------------------------------------------


def test_independent_blocks_same_bytes_for_any_thread_count() -> None:
    data = synth.generate("text", 5000, 3)
    one = midicoth.compress(data, memory_mib=MEM, block_size=1024, threads=1)
    two = midicoth.compress(data, memory_mib=MEM, block_size=1024, threads=2)
    assert one == two
    assert midicoth.decompress(one) == midicoth.decompress(two) == data


def test_threads_without_block_size_decodes_the_same() -> None:
    packed = midicoth.compress(TEXT, memory_mib=MEM, threads=2)
    assert packed[5] & 1  # independent flag
    assert midicoth.decompress(packed) == midicoth.decompress(PACKED) == TEXT


def test_streamed_threads_match_one_shot() -> None:
    data = synth.generate("text", 7000, 4)
    expected = midicoth.compress(data, memory_mib=MEM, block_size=1024)
    comp = midicoth.MidicothCompressor(memory_mib=MEM, block_size=1024, threads=2)
    out = [comp.compress(data[i : i + 777]) for i in range(0, len(data), 777)]
    out.append(comp.flush())
    assert b"".join(out) == expected


BLOCKY_DATA = synth.generate("text", 9000, 6)
BLOCKY = midicoth.compress(BLOCKY_DATA, memory_mib=MEM, block_size=1024)  # 9 blocks


@pytest.mark.parametrize("threads", [1, 2, 3, 8])
def test_parallel_decompression(threads: int) -> None:
    assert midicoth.decompress(BLOCKY, threads=threads) == BLOCKY_DATA
    # a solid stream decodes on one core whatever threads says
    assert midicoth.decompress(PACKED, threads=threads) == TEXT
    # concatenated streams: each gets its own decompressor
    assert midicoth.decompress(BLOCKY + PACKED, threads=threads) == BLOCKY_DATA + TEXT


@settings(max_examples=25, deadline=None)
@given(
    cuts=st.lists(st.integers(min_value=0, max_value=len(BLOCKY)), max_size=8),
    max_length=st.one_of(st.just(-1), st.integers(min_value=0, max_value=3000)),
)
def test_chunked_parallel_decompression(cuts: list, max_length: int) -> None:
    """Any cut of the input and any max_length give the data back, and eof
    never comes before the last byte."""
    dec = midicoth.MidicothDecompressor(threads=2)
    assert decompress_in_pieces(dec, BLOCKY, cuts, max_length) == BLOCKY_DATA


def test_parallel_decompression_threads_are_validated() -> None:
    with pytest.raises(ValueError):
        midicoth.MidicothDecompressor(threads=-1)
    with pytest.raises(TypeError):
        midicoth.MidicothDecompressor(threads=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        midicoth.decompress(BLOCKY, threads=-2)
    with pytest.raises(MidicothError, match="ended"):
        midicoth.decompress(BLOCKY[:-20], threads=2)


def test_parallel_decoding_error_keeps_no_engine_alive() -> None:
    """A damaged block raises MidicothError without the error holding on to
    an engine (and its tables) through a worker's traceback."""
    from midicoth import _core

    damaged = bytearray(BLOCKY)
    damaged[len(damaged) // 2] ^= 0x40
    with pytest.raises(MidicothError) as caught:
        midicoth.decompress(bytes(damaged), threads=2)
    seen, chain = [], [caught.value]
    while chain:  # the error, what it was raised during or from, and their frames
        exc = chain.pop()
        chain += [e for e in (exc.__context__, exc.__cause__) if e is not None]
        tb = exc.__traceback__
        while tb is not None:
            seen += tb.tb_frame.f_locals.values()
            tb = tb.tb_next
    assert not any(isinstance(value, _core.Decoder) for value in seen)


def test_file_reads_with_threads(tmp_path) -> None:
    path = tmp_path / "p.mdc"
    path.write_bytes(BLOCKY)
    with midicoth.open(path, threads=2) as f:
        assert f.read(100) == BLOCKY_DATA[:100]
        f.seek(5000)
        assert f.read() == BLOCKY_DATA[5000:]
        f.seek(10)  # backwards: decodes again from the start
        assert f.read(10) == BLOCKY_DATA[10:20]
    with pytest.raises(ValueError):
        midicoth.open(path, threads=-1)
    with midicoth.open(path, threads=0) as f:  # every core
        assert f.read() == BLOCKY_DATA


def test_solid_beats_independent_blocks() -> None:
    data = synth.generate("text", 8000, 5)
    solid = midicoth.compress(data, memory_mib=MEM)
    blocks = midicoth.compress(data, memory_mib=MEM, block_size=1024)
    assert len(solid) < len(blocks)


# --- MidicothCompressor ---------------------------------------------------------------


def test_compressor_flush_finishes(codec: SimpleNamespace) -> None:
    comp = codec.Compressor()
    packed = comp.compress(TEXT) + comp.flush()
    assert codec.decompress(packed) == TEXT
    with pytest.raises(ValueError):
        comp.flush()
    with pytest.raises(ValueError):
        comp.compress(b"more")


def test_compressor_flush_only_gives_empty_stream(codec: SimpleNamespace) -> None:
    packed = codec.Compressor().flush()
    assert codec.decompress(packed) == b""


@settings(max_examples=25, deadline=None)
@given(
    data=st.binary(max_size=3000),
    cuts=st.lists(st.integers(min_value=0, max_value=3000), max_size=6),
    block_size=st.sampled_from([None, 1024]),
)
def test_streamed_compression_equals_one_shot(
    data: bytes, cuts: list, block_size: int | None
) -> None:
    bounds = sorted({0, len(data), *(c for c in cuts if c <= len(data))})
    comp = midicoth.MidicothCompressor(memory_mib=MEM, block_size=block_size)
    pieces = [comp.compress(data[a:b]) for a, b in itertools.pairwise(bounds)]
    streamed = b"".join(pieces) + comp.flush()
    assert streamed == midicoth.compress(data, memory_mib=MEM, block_size=block_size)
    assert midicoth.decompress(streamed) == data


# PPM alone (the budget is what is tested), then levels, each with the rule
# its budget follows (midicoth.levels)
_DOORS_DEFAULT = {"stages": 0}


@pytest.mark.parametrize(
    "settings, size, block_size",
    [
        (_DOORS_DEFAULT, 0, None),
        (_DOORS_DEFAULT, 1000, None),
        (_DOORS_DEFAULT, midicoth.format.SOLID_BLOCK_SIZE, None),
        (_DOORS_DEFAULT, midicoth.format.SOLID_BLOCK_SIZE + 1, None),
        (_DOORS_DEFAULT, 700, 1024),
        (_DOORS_DEFAULT, 5000, 1024),
    ]
    + [({"level": number}, size, None) for number in (1, 3, 9) for size in (0, 3000)]
    + [({"level": number}, 5000, 1024) for number in (1, 3, 9)]
    # longer than a block: the fastest level
    + [({"level": 1}, midicoth.format.SOLID_BLOCK_SIZE + 1, None)],
)
def test_every_door_gives_the_same_bytes_with_the_default_budget(
    settings: dict, size: int, block_size: int | None
) -> None:
    """With the memory budget left to the compressor, the streaming object
    with and without a size hint and the file writer give what compress()
    gives: the budget follows the input's size through every door, by the
    level's rule (docs/API.md)."""
    data = (synth.generate("text", 20000, 5) * (size // 20000 + 1))[:size]
    kw = {**settings, "block_size": block_size}
    one_shot = midicoth.compress(data, **kw)
    level = settings.get("level", midicoth.DEFAULT_LEVEL)
    budget_size = len(data) if block_size is None else min(len(data), block_size)
    assert midicoth.format.parse_stream_header(one_shot).memory_mib == (
        midicoth.levels.memory_for(level, budget_size)
    )
    comp = midicoth.MidicothCompressor(**kw)
    streamed = b"".join(comp.compress(data[i : i + 300_000]) for i in range(0, size, 300_000))
    assert streamed + comp.flush() == one_shot
    buf = io.BytesIO()
    with midicoth.open(buf, "wb", **kw) as f:
        f.write(data)
    assert buf.getvalue() == one_shot
    hinted = midicoth.MidicothCompressor(size_hint=size, **kw)
    assert hinted.compress(data) + hinted.flush() == one_shot
    assert midicoth.auto_memory_mib(midicoth.format.SOLID_BLOCK_SIZE + 1) == (
        midicoth.DEFAULT_MEMORY_MIB
    )


# --- MidicothDecompressor -------------------------------------------------------------


def test_decompressor_eof_and_unused_data(codec: SimpleNamespace) -> None:
    dec = codec.Decompressor()
    assert not dec.eof
    assert dec.needs_input
    assert dec.decompress(codec.compress(TEXT) + b"tail") == TEXT
    assert dec.eof
    assert dec.unused_data == b"tail"
    assert not dec.needs_input
    with pytest.raises(EOFError):
        dec.decompress(b"x")


def test_decompressor_byte_by_byte(codec: SimpleNamespace) -> None:
    packed = codec.compress(TEXT)
    dec = codec.Decompressor()
    out = b"".join(dec.decompress(packed[i : i + 1]) for i in range(len(packed)))
    assert out == TEXT
    assert dec.eof
    assert dec.unused_data == b""


def test_decompressor_max_length(codec: SimpleNamespace) -> None:
    dec = codec.Decompressor()
    first = dec.decompress(codec.compress(TEXT), max_length=100)
    assert first == TEXT[:100]
    assert not dec.needs_input
    out = [first]
    while not dec.eof:
        piece = dec.decompress(b"", max_length=333)
        assert len(piece) <= 333
        out.append(piece)
    assert b"".join(out) == TEXT


def test_decompressor_max_length_zero(codec: SimpleNamespace) -> None:
    dec = codec.Decompressor()
    assert dec.decompress(codec.compress(TEXT), max_length=0) == b""
    assert dec.decompress(b"") == TEXT


def test_decompressor_needs_input_when_starved(codec: SimpleNamespace) -> None:
    packed = codec.compress(TEXT)
    dec = codec.Decompressor()
    dec.decompress(packed[: len(packed) // 2])
    assert dec.needs_input
    assert not dec.eof


def test_decompressor_is_spent_after_an_error() -> None:
    dec = midicoth.MidicothDecompressor()
    with pytest.raises(MidicothError):
        dec.decompress(b"not midicoth")
    with pytest.raises(MidicothError):
        dec.decompress(PACKED)


@settings(max_examples=25, deadline=None)
@given(
    cuts=st.lists(st.integers(min_value=0, max_value=len(PACKED)), max_size=8),
    max_length=st.one_of(st.just(-1), st.integers(min_value=1, max_value=2000)),
)
def test_chunked_decompression_equals_one_shot(cuts: list, max_length: int) -> None:
    dec = midicoth.MidicothDecompressor()
    assert decompress_in_pieces(dec, PACKED, cuts, max_length) == TEXT


# --- open() and MidicothFile ----------------------------------------------------------


def test_file_write_then_read(codec: SimpleNamespace, tmp_path) -> None:
    path = tmp_path / "f"
    with codec.open(path, "wb") as f:
        assert f.writable() and not f.readable()
        assert f.write(TEXT[:1000]) == 1000
        f.write(memoryview(TEXT[1000:]))
        assert f.tell() == len(TEXT)
    with codec.open(path) as f:
        assert f.readable() and not f.writable()
        assert f.read() == TEXT
        assert f.read() == b""
    assert f.closed


def test_file_reading_api(codec: SimpleNamespace) -> None:
    packed = codec.compress(TEXT)
    lines = TEXT.splitlines(keepends=True)
    with codec.open(io.BytesIO(packed)) as f:
        assert f.peek(1)[:1] == TEXT[:1]
        assert f.readline() == lines[0]
        assert next(iter(f)) == lines[1]
        buf = bytearray(10)
        assert f.readinto(buf) == 10
        assert bytes(buf) == TEXT[len(lines[0]) + len(lines[1]) :][:10]
        assert 0 < len(f.read1(50)) <= 50
        rest = f.read()
        assert TEXT.endswith(rest)
        assert f.tell() == len(TEXT)


def test_file_iteration(codec: SimpleNamespace) -> None:
    with codec.open(io.BytesIO(codec.compress(TEXT))) as f:
        assert list(f) == TEXT.splitlines(keepends=True)


def test_file_seek_and_tell(codec: SimpleNamespace) -> None:
    with codec.open(io.BytesIO(codec.compress(TEXT))) as f:
        assert f.seekable()
        assert f.seek(1000) == 1000
        assert f.read(10) == TEXT[1000:1010]
        assert f.seek(-5, io.SEEK_CUR) == 1005
        assert f.read(5) == TEXT[1005:1010]
        assert f.seek(20) == 20  # backwards: decodes again from the start
        assert f.read(5) == TEXT[20:25]
        assert f.seek(-3, io.SEEK_END) == len(TEXT) - 3
        assert f.read() == TEXT[-3:]
        assert f.seek(len(TEXT) + 100) == len(TEXT)


def test_file_write_mode_limits(codec: SimpleNamespace) -> None:
    with codec.open(io.BytesIO(), "wb") as f:
        assert not f.seekable()
        with pytest.raises(io.UnsupportedOperation):
            f.read()
        with pytest.raises(io.UnsupportedOperation):
            f.seek(0)
    with codec.open(io.BytesIO(codec.compress(b"x"))) as f, pytest.raises(io.UnsupportedOperation):
        f.write(b"y")
    with pytest.raises(ValueError):
        f.read()


def test_file_modes(codec: SimpleNamespace, tmp_path) -> None:
    path = tmp_path / "m"
    with codec.open(path, "x") as f:
        f.write(b"one ")
    with pytest.raises(FileExistsError):
        codec.open(path, "xb")
    with codec.open(path, "ab") as f:
        f.write(b"two")
    with codec.open(path, "r") as f:
        assert f.read() == b"one two"
    with codec.open(str(path), "w") as f:
        f.write(b"three")
    assert codec.decompress(path.read_bytes()) == b"three"


@pytest.mark.parametrize("mode", ["", "rw", "rbt", "wtb", "z", "r+"])
def test_file_bad_mode(codec: SimpleNamespace, mode: str, tmp_path) -> None:
    with pytest.raises(ValueError):
        codec.open(tmp_path / "bad", mode)


def test_text_mode(codec: SimpleNamespace, tmp_path) -> None:
    path = tmp_path / "t"
    text = "naïve café\nsecond line\r\n"
    with codec.open(path, "wt", encoding="utf-8", newline="") as f:
        assert isinstance(f, io.TextIOWrapper)
        f.write(text)
    with codec.open(path, "rt", encoding="utf-8", newline="") as f:
        assert f.read() == text
    with codec.open(path, "rt", encoding="latin-1", errors="strict") as f:
        assert f.read() == text.encode("utf-8").decode("latin-1").replace("\r\n", "\n")


def test_text_options_refused_in_binary_mode(codec: SimpleNamespace, tmp_path) -> None:
    for option in ("encoding", "errors", "newline"):
        with pytest.raises(ValueError):
            codec.open(tmp_path / "b", "wb", **{option: "x"})


def test_file_object_and_name(tmp_path) -> None:
    path = tmp_path / "n.mdc"
    with midicoth.open(path, "wb", memory_mib=MEM) as f:
        assert f.name == str(path)
        assert f.mode == "wb"
        assert f.fileno() >= 0
        f.write(TEXT)
    with open(path, "rb") as raw:
        with midicoth.MidicothFile(raw) as f:
            assert f.mode == "rb"
            assert f.read() == TEXT
        assert not raw.closed  # a file object given in stays open


def test_file_compression_options(tmp_path) -> None:
    path = tmp_path / "o.mdc"
    with midicoth.open(path, "wb", memory_mib=MEM, block_size=1024, threads=2) as f:
        f.write(TEXT)
    assert path.read_bytes() == midicoth.compress(TEXT, memory_mib=MEM, block_size=1024)
    with pytest.raises(ValueError):
        midicoth.open(path, "rb", memory_mib=MEM)
    with pytest.raises(TypeError):
        midicoth.MidicothFile(12345)  # type: ignore[arg-type]


def test_file_reads_concatenated_and_damaged(codec: SimpleNamespace) -> None:
    joined = codec.compress(b"ab") + codec.compress(b"cd")
    with codec.open(io.BytesIO(joined)) as f:
        assert f.read() == b"abcd"


def test_file_truncated_raises() -> None:
    with midicoth.open(io.BytesIO(PACKED[:-3])) as f, pytest.raises(MidicothError, match="ended"):
        f.read()


def test_file_written_with_threads_reads_back(tmp_path) -> None:
    path = tmp_path / "j.mdc"
    data = os.urandom(3000) + synth.generate("text", 3000)
    with midicoth.open(path, "wb", memory_mib=MEM, threads=2, block_size=1024) as f:
        for i in range(0, len(data), 500):
            f.write(data[i : i + 500])
    with midicoth.open(path) as f:
        assert f.read() == data


def test_public_names_have_docstrings() -> None:
    for name in midicoth.__all__:
        obj = getattr(midicoth, name)
        if callable(obj):
            assert obj.__doc__, name
    for cls in (midicoth.MidicothCompressor, midicoth.MidicothDecompressor, midicoth.MidicothFile):
        for attr, value in vars(cls).items():
            if not attr.startswith("_"):
                assert getattr(value, "__doc__", None), f"{cls.__name__}.{attr}"


# --- block methods and stored blocks (format 3) ---------------------------------------


def methods(packed: bytes) -> list[midicoth.format.BlockMethod]:
    layouts = midicoth.format.scan(io.BytesIO(packed))
    return [method for layout in layouts for method in layout.methods]


def framing_bound(packed: bytes) -> int:
    """The most bytes of framing a stream of ``packed``'s blocks can have."""
    fmt = midicoth.format
    blocks = len(methods(packed))
    return fmt.STREAM_HEADER_SIZE + blocks * fmt.BLOCK_HEADER_SIZE + fmt.END_MARKER_SIZE


NOISE_4M = random.Random(20).randbytes(4 << 20)


@pytest.mark.parametrize("door", ["solid", "threads", "streaming"])
def test_random_data_is_stored(door: str) -> None:
    """4 MiB of noise grow by no more than 0.01 % and the framing: every block
    is stored (the solid encoder still learns it, as the decoder then does)."""
    data = NOISE_4M
    if door == "solid":
        packed = midicoth.compress(data, memory_mib=MEM)
    elif door == "threads":
        packed = midicoth.compress(data, memory_mib=MEM, threads=2)
    else:
        comp = midicoth.MidicothCompressor(memory_mib=MEM)
        pieces = [comp.compress(data[i : i + 300_000]) for i in range(0, len(data), 300_000)]
        packed = b"".join(pieces) + comp.flush()
    assert len(packed) <= len(data) + len(data) // 10_000 + framing_bound(packed)
    assert all(method.stored for method in methods(packed))
    assert len(methods(packed)) == (1 if door == "threads" else 4)
    if door == "streaming":  # the same bytes as the solid door's, which decode there
        assert packed == midicoth.compress(data, memory_mib=MEM)
    else:
        assert midicoth.decompress(packed, threads=2 if door == "threads" else 1) == data


def test_solid_stream_mixes_stored_and_coded_blocks(tmp_path) -> None:
    """A solid stream whose middle block is stored: the decoder learns it, so
    the coded block after it decodes, through every reading door."""
    mib = 1 << 20
    data = synth.generate("text", mib, 1) + NOISE_4M[:mib] + synth.generate("text", mib, 2)
    packed = midicoth.compress(data, memory_mib=MEM)
    assert [method.stored for method in methods(packed)] == [False, True, False]
    assert len(packed) < len(data) // 2
    assert midicoth.decompress(packed) == data
    dec = midicoth.MidicothDecompressor()
    cuts = list(range(0, len(packed), 100_003))
    assert decompress_in_pieces(dec, packed, cuts, 65_536) == data
    path = tmp_path / "mixed.mdc"
    path.write_bytes(packed)
    with midicoth.open(path) as f:
        f.seek(mib + 1000)
        assert f.read(2 * mib) == data[mib + 1000 : 3 * mib + 1000]


METHOD_INPUTS = {
    "x86": synth.generate("code", 40_000),
    "record/16": synth.generate("binary", 40_000),
    "record/lines": synth.generate("table", 40_000),
}


@pytest.mark.parametrize("method", sorted(METHOD_INPUTS))
def test_analyser_picks_the_method(method: str) -> None:
    """The inputs below are made for one method each; the analyser picks it."""
    names = [m.name for m in methods(midicoth.compress(METHOD_INPUTS[method], memory_mib=MEM))]
    assert len(names) == 1
    assert method in names[0].split("+")


def round_trip_every_door(data: bytes, tmp_path, **kw: Any) -> list[str]:
    """Round trips through the one-shot functions (solid, independent blocks
    on two threads), the streaming compressor and decompressor (small
    pieces, small max_length), and the file class; return the method
    names of the solid stream's blocks."""
    solid = midicoth.compress(data, memory_mib=MEM, **kw)
    assert midicoth.decompress(solid) == data
    blocks = midicoth.compress(data, memory_mib=MEM, block_size=8192, threads=2, **kw)
    assert blocks == midicoth.compress(data, memory_mib=MEM, block_size=8192, **kw)
    assert midicoth.decompress(blocks, threads=2) == data
    assert midicoth.decompress(blocks) == data
    for packed in (solid, blocks):
        comp = midicoth.MidicothCompressor(
            memory_mib=MEM, block_size=8192 if packed is blocks else None, **kw
        )
        streamed = b"".join(comp.compress(data[i : i + 777]) for i in range(0, len(data), 777))
        assert streamed + comp.flush() == packed
        for threads in (1, 2):
            dec = midicoth.MidicothDecompressor(threads=threads)
            cuts = list(range(0, len(packed), 333))
            assert decompress_in_pieces(dec, packed, cuts, 100) == data
    path = tmp_path / "m.mdc"
    with midicoth.open(path, "wb", memory_mib=MEM, **kw) as f:
        for i in range(0, len(data), 5000):
            f.write(data[i : i + 5000])
    assert path.read_bytes() == solid
    with midicoth.open(path) as f:
        assert f.read(1000) == data[:1000]
        f.seek(len(data) // 2)
        assert f.read() == data[len(data) // 2 :]
    return [m.name for m in methods(solid)]


@pytest.mark.parametrize("method", sorted(METHOD_INPUTS))
def test_methods_round_trip_through_every_door(method: str, tmp_path) -> None:
    names = round_trip_every_door(METHOD_INPUTS[method], tmp_path)
    assert method in names[0].split("+")


@pytest.mark.parametrize(
    "forced",
    [
        (midicoth.MODE_X86, 0),
        (midicoth.MODE_X86 | midicoth.MODE_SPARSE, 0),
        (midicoth.MODE_RECORD | midicoth.MODE_X86, 36),
        (midicoth.MODE_RECORD, 0),
        (midicoth.MODE_SPARSE, 0),
    ],
    ids=lambda f: midicoth.format.method_name(*f),
)
@pytest.mark.parametrize("source", ["x86", "noise", "text"])
def test_forced_methods_round_trip(
    forced: tuple[int, int], source: str, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever method the analyser picks, coded or stored, the stream
    decodes: the analyser is made to pick each one for inputs it would not
    (noise is stored, also with the x86 transform, and learned)."""
    from midicoth import _core

    monkeypatch.setattr(_core, "analyse", lambda data, stages, allowed: forced)
    data = {
        "x86": synth.generate("code", 20_000, 1),
        "noise": NOISE_4M[:20_000],
        "text": synth.generate("text", 20_000, 3),
    }[source]
    names = round_trip_every_door(data, tmp_path)
    name = midicoth.format.method_name(*forced)
    assert names == ([f"stored ({name})"] if source == "noise" else [name])


def test_x86_blocks_are_returned_within_max_length() -> None:
    """A coded x86 block is held until its end (the inverse transform needs
    all of it), but no call returns more than max_length, and eof comes
    only after the last byte."""
    data = synth.generate("code", 30_000, 2)
    for block_size in (None, 1024):
        packed = midicoth.compress(data, memory_mib=MEM, block_size=block_size)
        assert all("x86" in m.name for m in methods(packed) if m.mode)
        dec = midicoth.MidicothDecompressor()
        out = [dec.decompress(packed, 10)]
        assert out[0] == data[:10]
        assert not dec.needs_input
        while not dec.eof:
            piece = dec.decompress(b"", 1000)
            assert len(piece) <= 1000
            out.append(piece)
        assert b"".join(out) == data


def test_plain_modes(tmp_path) -> None:
    """modes=0 codes every block with the plain model, as 0.5.1 did (noise is
    still stored); the file class and open() take modes too."""
    data = METHOD_INPUTS["record/16"]
    plain = midicoth.compress(data, memory_mib=MEM, modes=0)
    assert [m.name for m in methods(plain)] == ["plain"]
    assert len(plain) > len(midicoth.compress(data, memory_mib=MEM))
    assert midicoth.decompress(plain) == data
    noise = midicoth.compress(NOISE_4M[:5000], memory_mib=MEM, modes=0)
    assert [m.name for m in methods(noise)] == ["stored"]
    path = tmp_path / "p.mdc"
    with midicoth.open(path, "wb", memory_mib=MEM, modes=0) as f:
        f.write(data)
    assert path.read_bytes() == plain
    with pytest.raises(ValueError):
        midicoth.open(path, "rb", modes=0)
    only = midicoth.compress(data, memory_mib=MEM, modes=midicoth.MODE_SPARSE)
    assert all(not m.mode & ~midicoth.MODE_SPARSE for m in methods(only))


@pytest.mark.parametrize(
    "forced",
    [(midicoth.MODE_X86 | midicoth.MODE_SPARSE, 0), (midicoth.MODE_RECORD, 36), (0, 0)],
    ids=lambda f: midicoth.format.method_name(*f),
)
def test_solid_decoder_learns_stored_blocks_in_their_mode(
    forced: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stored blocks between coded ones, in the analyser's mode: the decoder
    learns each stored block (the transformed bytes, in that mode) as the
    encoder did, so the coded blocks after it decode."""
    from midicoth import _core

    monkeypatch.setattr(_core, "analyse", lambda data, stages, allowed: forced)
    size = 4096
    noise = NOISE_4M[: 2 * size]
    data = (
        synth.generate("code", size, 4)
        + noise[:size]
        + synth.generate("text", size, 5)
        + noise[size:]
    )
    data += synth.generate("code", size, 6)
    comp = midicoth.MidicothCompressor(memory_mib=MEM)
    comp._block_size = size  # solid blocks this small
    packed = comp.compress(data) + comp.flush()
    assert [m.stored for m in methods(packed)] == [False, True, False, True, False]
    assert {(m.mode, m.period) for m in methods(packed)} == {forced}
    assert midicoth.decompress(packed) == data
    dec = midicoth.MidicothDecompressor()
    assert decompress_in_pieces(dec, packed, list(range(0, len(packed), 1000)), 777) == data
