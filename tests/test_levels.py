"""Compression levels 1-9 (midicoth.levels): the table, every door's
``level=``, the header's level field (format 4), the command line's
``-1`` … ``-9``, the ecosystem codecs, and, on corpus files, that each
level codes smaller than the one below it.

The tests read the numbers from ``midicoth.levels.LEVELS``, never from
here, so that the engine's owner can retune the table without touching
them; what they pin is the rules: level 6 is the engine's default model,
every door writes the same bytes at every level, a level and explicit
settings exclude each other.
"""

from __future__ import annotations

import io
import itertools
import zlib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import midicoth
from corpora import synth
from midicoth import _core
from midicoth import format as fmt
from midicoth.cli import main
from midicoth.levels import DEFAULT_LEVEL, LEVELS, Level, auto_memory_mib, memory_for

NOT_INSTALLED = "not installed (pip install '.[ecosystem]')"


TEXT = synth.generate("text", 5000)
BINARY = synth.generate("binary", 3000)
"""Records of little-endian numbers: what the structure models see."""
NUMBERS = sorted(LEVELS)


def header(packed: bytes) -> fmt.StreamParams:
    return fmt.parse_stream_header(packed)


def body(packed: bytes) -> bytes:
    """A stream's bytes after its header: blocks and end marker."""
    read = fmt.read_stream_header(packed)
    assert read is not None
    return packed[read[1] :]


# --- the table ------------------------------------------------------------------------


def test_levels_are_numbered_one_to_the_format_s_most() -> None:
    assert NUMBERS == list(range(1, fmt.MAX_LEVEL + 1))
    assert DEFAULT_LEVEL in LEVELS
    assert midicoth.LEVELS is LEVELS and midicoth.DEFAULT_LEVEL == DEFAULT_LEVEL
    assert all(isinstance(level, Level) for level in LEVELS.values())
    with pytest.raises(TypeError):
        LEVELS[1] = LEVELS[2]  # type: ignore[index]


def test_default_level_is_the_engine_s_default_model() -> None:
    """Level 6 is what midicoth wrote before levels: every stage and block
    method, and auto_memory_mib's budget with the engine's default cap (the
    format-3 golden files check the bytes: tests/test_format_golden.py)."""
    default = LEVELS[DEFAULT_LEVEL]
    assert default.stages == _core.ALL_STAGES
    assert default.modes == _core.MODE_ALL
    assert default.memory_cap_mib == _core.DEFAULT_MEMORY_MIB
    for size in (None, 0, 1, 1 << 17, (1 << 17) + 1, 768_771, 10 << 30):
        assert memory_for(DEFAULT_LEVEL, size) == auto_memory_mib(size)
        assert midicoth.auto_memory_mib(size) == auto_memory_mib(size)


@pytest.mark.parametrize("number", NUMBERS)
def test_every_level_is_usable(number: int) -> None:
    """Valid settings for the engine, a one-line summary, and a model that
    the decoder's default memory limit admits, so that every level decodes
    without -M."""
    level = LEVELS[number]
    assert fmt.stages_valid(level.stages)
    assert fmt.memory_mib_valid(level.memory_cap_mib)
    assert level.summary and "\n" not in level.summary
    assert _core.model_memory(level.memory_cap_mib) <= midicoth.DEFAULT_MEMLIMIT


@pytest.mark.parametrize("number", NUMBERS)
def test_memory_for_follows_the_level_s_rule(number: int) -> None:
    level = LEVELS[number]
    assert memory_for(number, None) == memory_for(level, None) == level.memory_cap_mib
    sizes = [0, 1, 1000, 1 << 16, 1 << 20, (1 << 20) + 1, 10 << 20, 1 << 40]
    budgets = [memory_for(number, size) for size in sizes]
    assert budgets == sorted(budgets)  # more input, no less memory
    for size, mib in zip(sizes, budgets):
        assert fmt.memory_mib_valid(mib) and mib <= level.memory_cap_mib
        if mib < level.memory_cap_mib:  # enough for the input ...
            assert mib << 20 >= size * level.memory_per_byte
        if mib > _core.MIN_MEMORY_MIB:  # ... and half of it would not be
            assert (mib >> 1) << 20 < size * level.memory_per_byte
    # what a streaming compressor assumes of an input longer than a solid block
    assert memory_for(number, fmt.SOLID_BLOCK_SIZE + 1) == level.memory_cap_mib


@pytest.mark.parametrize("bad", [0, 10, -1, True, "6", 6.0, None])
def test_memory_for_refuses_what_is_no_level(bad: Any) -> None:
    with pytest.raises(ValueError, match="level"):
        memory_for(bad, 1000)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"stages": 1 << 30}, "stages"),
        ({"stages": -1}, "stages"),
        ({"modes": 1 << 30}, "modes"),
        ({"memory_cap_mib": _core.MIN_MEMORY_MIB + 1}, "cap"),
        ({"memory_cap_mib": _core.MAX_MEMORY_MIB * 2}, "cap"),
        ({"memory_per_byte": 0}, "per byte"),
        ({"memory_cap_mib": _core.MAX_MEMORY_MIB, "memory_per_byte": 1}, "reached"),
        ({"summary": ""}, "summary"),
        ({"summary": "two\nlines"}, "summary"),
    ],
)
def test_a_level_the_engine_cannot_use_is_refused(change: dict, message: str) -> None:
    fields = {**LEVELS[DEFAULT_LEVEL].__dict__, **change}
    with pytest.raises(ValueError, match=message):
        Level(**fields)


# --- the API --------------------------------------------------------------------------


@pytest.mark.parametrize("number", NUMBERS)
@pytest.mark.parametrize("data", [TEXT, BINARY, b"", b"x"], ids=["text", "binary", "empty", "one"])
def test_every_level_round_trips_and_records_itself(number: int, data: bytes) -> None:
    packed = midicoth.compress(data, level=number)
    assert midicoth.decompress(packed) == data  # within the default memory limit
    params = header(packed)
    level = LEVELS[number]
    assert params.level == number
    assert params.format_version == fmt.FORMAT_VERSION
    assert params.stages == level.stages
    assert params.memory_mib == memory_for(number, len(data))


def test_level_6_is_the_default() -> None:
    """No argument is level 6, recorded as such; the default level's settings
    given explicitly write the same blocks under a header of level 0."""
    for data in (TEXT, BINARY):
        default = midicoth.compress(data)
        assert midicoth.compress(data, level=DEFAULT_LEVEL) == default
        assert header(default).level == DEFAULT_LEVEL
        rule = LEVELS[DEFAULT_LEVEL]
        explicit = midicoth.compress(
            data,
            stages=rule.stages,
            modes=rule.modes,
            memory_mib=memory_for(rule, len(data)),
        )
        assert body(explicit) == body(default)
        assert header(explicit) == header(default)._replace(level=0)


def test_explicit_settings_record_no_level_and_default_the_rest() -> None:
    """Settings without a level: level 0, and what is left out is the default
    level's (modes and the memory rule here)."""
    packed = midicoth.compress(TEXT, stages="paper")
    params = header(packed)
    assert params.level == 0
    assert params.stages == midicoth.PAPER_STAGES
    assert params.memory_mib == memory_for(DEFAULT_LEVEL, len(TEXT))
    packed = midicoth.compress(TEXT, memory_mib=32)
    assert header(packed).level == 0 and header(packed).stages == LEVELS[DEFAULT_LEVEL].stages
    assert header(midicoth.compress(TEXT, modes=0)).level == 0


def _doors(**kw: Any) -> list:
    """Every way to ask for a compressor with these keywords."""
    return [
        lambda: midicoth.compress(b"data", **kw),
        lambda: midicoth.MidicothCompressor(**kw),
        lambda: midicoth.open(io.BytesIO(), "wb", **kw),
        lambda: midicoth.MidicothFile(io.BytesIO(), "w", **kw),
    ]


@pytest.mark.parametrize(
    "settings",
    [
        {"stages": _core.ALL_STAGES},
        {"stages": "paper"},
        {"modes": 0},
        {"memory_mib": 16},
        {"stages": 0, "modes": 0, "memory_mib": 16},
    ],
    ids=str,
)
def test_a_level_and_explicit_settings_exclude_each_other(settings: dict) -> None:
    for door in _doors(level=3, **settings):
        with pytest.raises(ValueError, match="level and .*" + next(iter(settings))):
            door()


@pytest.mark.parametrize(
    "bad, error",
    [(0, ValueError), (10, ValueError), (-1, ValueError), (True, TypeError), ("6", TypeError)]
    + [(6.0, TypeError)],
)
def test_invalid_levels_are_refused(bad: Any, error: type, tmp_path: Path) -> None:
    for door in _doors(level=bad):
        with pytest.raises(error, match="level"):
            door()
    # checked before any state change: the file to write is not even created
    with pytest.raises(error, match="level"):
        midicoth.open(tmp_path / "x.mdc", "wb", level=bad)
    assert not (tmp_path / "x.mdc").exists()


def test_a_level_applies_only_to_writing() -> None:
    packed = midicoth.compress(TEXT, level=1)
    with pytest.raises(ValueError, match="only when writing"):
        midicoth.open(io.BytesIO(packed), "rb", level=1)
    with midicoth.open(io.BytesIO(packed), "rb") as f:
        assert f.read() == TEXT


def test_levels_with_threads_and_blocks() -> None:
    data = synth.generate("text", 6000, 3)
    packed = midicoth.compress(data, level=2, block_size=2048, threads=2)
    assert header(packed).level == 2 and header(packed).independent
    assert packed == midicoth.compress(data, level=2, block_size=2048)
    assert midicoth.decompress(packed, threads=2) == data


# --- the header -----------------------------------------------------------------------


@pytest.mark.parametrize("level", range(fmt.MAX_LEVEL + 1))
@pytest.mark.parametrize("independent", [False, True])
def test_the_level_goes_in_flags_bits_1_to_4(level: int, independent: bool) -> None:
    params = fmt.StreamParams(16, _core.ALL_STAGES, _core.MODEL_VERSION, independent, 4096)
    packed = fmt.pack_stream_header(params._replace(level=level))
    assert packed[4] == fmt.FORMAT_VERSION == 4
    assert packed[5] == level << 1 | independent
    assert fmt.parse_stream_header(packed) == params._replace(level=level)


def test_a_level_the_format_cannot_hold_is_not_written() -> None:
    params = fmt.StreamParams(16, _core.ALL_STAGES, _core.MODEL_VERSION, False, 4096)
    for level in (-1, fmt.MAX_LEVEL + 1, 15, 16):
        with pytest.raises(ValueError, match="level"):
            fmt.pack_stream_header(params._replace(level=level))


def with_flags(packed: bytes, flags: int, version: int = fmt.FORMAT_VERSION) -> bytes:
    """``packed`` with its header's version and flags rewritten, and a valid check."""
    read = fmt.read_stream_header(packed)
    assert read is not None
    size = read[1]
    head = packed[:4] + bytes([version, flags]) + packed[6 : size - 2]
    return head + (zlib.crc32(head) & 0xFFFF).to_bytes(2, "little") + packed[size:]


@pytest.mark.parametrize(
    "flags, message",
    [
        (10 << 1, "invalid level \\(10"),
        (15 << 1, "invalid level \\(15"),
        (0x20, "flags"),
        (0x40 | 6 << 1, "flags"),
        (0x80 | 1, "flags"),
    ],
)
def test_a_format_4_header_with_an_unknown_level_or_flag_is_refused(
    flags: int, message: str
) -> None:
    damaged = with_flags(midicoth.compress(TEXT, level=1), flags)
    with pytest.raises(midicoth.MidicothError, match=message):
        fmt.parse_stream_header(damaged)
    with pytest.raises(midicoth.MidicothError, match=message):
        midicoth.decompress(damaged)
    with pytest.raises(midicoth.MidicothError, match=message):
        list(fmt.scan(io.BytesIO(damaged)))


def test_formats_before_4_have_no_level() -> None:
    """Format 3 has the same layout but no level: its flags are bit 0 alone,
    and its level reads as 0."""
    packed = midicoth.compress(TEXT, memory_mib=16)
    old = with_flags(packed, 0, version=3)
    assert header(old).level == 0 and header(old).format_version == 3
    assert midicoth.decompress(old) == TEXT
    with pytest.raises(midicoth.MidicothError, match="flags"):
        midicoth.decompress(with_flags(packed, 6 << 1, version=3))


def test_format_4_is_written_and_formats_2_and_3_are_read() -> None:
    assert fmt.FORMAT_VERSION == midicoth.FORMAT_VERSION == 4
    assert {fmt for fmt, _ in fmt.READ_VERSIONS} == {2, 3, 4}
    assert fmt.RELEASES[4, _core.MODEL_VERSION] == "0.8.0 and later"


# --- the command line -----------------------------------------------------------------


def run(*args: str, stdin: bytes | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=stdin, prog_name="midicoth")


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.txt").write_bytes(TEXT)
    return tmp_path


def info_level(path: str) -> str:
    result = run("info", path)
    assert result.exit_code == 0, result.output
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("  level ")]
    return line.split()[-1]


@pytest.mark.parametrize("number", NUMBERS)
def test_cli_levels(work: Path, number: int) -> None:
    result = run("compress", "-k", f"-{number}", "a.txt")
    assert result.exit_code == 0, result.output
    packed = (work / "a.txt.mdc").read_bytes()
    assert packed == midicoth.compress(TEXT, level=number)
    assert info_level("a.txt.mdc") == str(number)
    result = run("-dc", "a.txt.mdc")
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == TEXT


@pytest.mark.parametrize(
    "args, level",
    [
        (["compress", "--fast"], 1),
        (["compress", "--best"], 9),
        (["compress", "-9", "-1"], 1),  # the last one counts, as in xz
        (["compress", "-1", "--best"], 9),
        (["compress", "--fast", "-4"], 4),
        (["compress", "-k9"], 9),  # in a group of letters
        (["-3"], 3),  # without a command
        (["-z", "-c7"], 7),
        (["compress"], DEFAULT_LEVEL),
    ],
)
def test_cli_level_options(work: Path, args: list, level: int) -> None:
    result = run(*args, "-c", "a.txt")
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == midicoth.compress(TEXT, level=level)


@pytest.mark.parametrize(
    "args, named",
    [
        (["-9", "--stages", "paper"], "-9 and --stages"),
        (["--best", "--memory", "16"], "-9 and --memory"),
        (["--fast", "--modes", "none"], "-1 and --modes"),
        (["-3", "--stages", "all", "--memory", "32"], "-3 and --stages and --memory"),
    ],
)
def test_cli_level_and_explicit_settings_are_a_usage_error(
    work: Path, args: list, named: str
) -> None:
    for command in (["compress"], []):
        result = run(*command, "-k", *args, "a.txt")
        assert result.exit_code == 2, result.output
        errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1 and named in errors[0] and "exclude" in errors[0]
        assert not (work / "a.txt.mdc").exists()


def test_cli_info_shows_no_level_for_explicit_settings_and_old_streams(work: Path) -> None:
    assert run("compress", "-k", "--stages", "paper", "a.txt").exit_code == 0
    assert info_level("a.txt.mdc") == "-"
    golden = Path(__file__).parent / "golden"
    assert info_level(str(golden / "format-3" / "text-solid.mdc")) == "-"
    assert info_level(str(golden / "format-2" / "text-solid.mdc")) == "-"


def test_cli_help_lists_every_level(work: Path) -> None:
    for args in (["compress", "--help"], ["--help"]):
        out = run(*args).stdout
        assert f"-{min(LEVELS)} … -{max(LEVELS)}" in out
        for number, level in LEVELS.items():
            assert f"-{number}  {level.summary}" in out
        assert "--fast" in out and "--best" in out


def test_cli_decompress_has_no_level(work: Path) -> None:
    assert run("compress", "-k", "a.txt").exit_code == 0
    assert run("decompress", "-9", "-c", "a.txt.mdc").exit_code == 2


# --- the ecosystem codecs -------------------------------------------------------------


def test_numcodecs_codec_with_a_level() -> None:
    numcodecs = pytest.importorskip("numcodecs", reason="numcodecs " + NOT_INSTALLED)
    from midicoth.ecosystem import Midicoth

    codec = numcodecs.get_codec({"id": "midicoth", "level": 2})
    config = codec.get_config()
    assert config["level"] == 2
    assert numcodecs.get_codec(config) == codec
    assert type(codec).from_config({k: v for k, v in config.items() if k != "id"}) == codec
    packed = codec.encode(TEXT)
    assert header(packed).level == 2
    assert codec.decode(packed) == TEXT
    # a configuration from before levels (no "level", stages given) still loads
    old = numcodecs.get_codec(
        {"id": "midicoth", "memory_mib": None, "stages": 63, "block_size": None}
    )
    assert old.level is None and header(old.encode(TEXT)).level == 0
    assert header(Midicoth().encode(TEXT)).level == DEFAULT_LEVEL
    with pytest.raises(ValueError, match="level and stages"):
        Midicoth(level=3, stages=1)
    with pytest.raises(ValueError, match="level"):
        numcodecs.get_codec({"id": "midicoth", "level": 10})


def test_zarr_codec_with_a_level() -> None:
    zarr = pytest.importorskip("zarr", reason="zarr " + NOT_INSTALLED)
    if int(zarr.__version__.split(".")[0]) < 3:
        pytest.skip(f"zarr 3 is needed, not {zarr.__version__} (zarr 3 needs Python 3.11+)")
    from midicoth.ecosystem import MidicothZarrCodec

    codec = MidicothZarrCodec(level=9)
    meta = codec.to_dict()
    assert meta == {
        "name": "midicoth",
        "configuration": {"memory_mib": None, "stages": None, "block_size": None, "level": 9},
    }
    assert MidicothZarrCodec.from_dict(meta) == codec
    old = {
        "name": "midicoth",
        "configuration": {"memory_mib": 16, "stages": 63, "block_size": None},
    }
    assert MidicothZarrCodec.from_dict(old) == MidicothZarrCodec(memory_mib=16, stages=63)
    with pytest.raises(ValueError, match="level and memory_mib"):
        MidicothZarrCodec(level=1, memory_mib=16)


# --- on the corpora -------------------------------------------------------------------

MONOTONE_FILES = (
    "canterbury/alice29.txt",
    "canterbury/kennedy.xls",
    "calgary/obj2",
    "canterbury/fields.c",
    "calgary/paper1",
)


@pytest.mark.slow
def test_levels_shrink_the_output_level_by_level(corpus_file: Any) -> None:
    """Over a few corpus files of every kind (prose, a spreadsheet, object
    code, C, a paper: 1.5 MB, about 30 s on two cores), each level's total
    is smaller than the level below's: a level that buys nothing is a
    level too many."""
    datas = [corpus_file(key).read_bytes() for key in MONOTONE_FILES]
    totals = {
        number: sum(len(midicoth.compress(d, level=number)) for d in datas) for number in NUMBERS
    }
    for lower, higher in itertools.pairwise(NUMBERS):
        assert totals[higher] < totals[lower], totals
