"""The `midicoth` command line, through click's runner and as a real process.

Checks the xz/gzip-like contract: FILE -> FILE.mdc and back, input removed
only after success, no partial output on failure or signal (and none after
SIGKILL where the system has unnamed files), metadata kept, links skipped
as xz skips them, the options of a call without a command in any order,
exit status 0 / 1 (data or I/O error) / 2 (usage error, or a file skipped)
/ 128 + signal, one-line errors. The real-process tests run the installed
console script, as a user does.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import re
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import sysconfig
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

import midicoth
from corpora import synth
from midicoth import cli
from midicoth import format as fmt
from midicoth.cli import main

MEM = str(midicoth.MIN_MEMORY_MIB)


DATA = synth.generate("text", 4000)


def run(*args: str, stdin: bytes | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=stdin, prog_name="midicoth")


def listing(directory: Path) -> list:
    return sorted(p.name for p in directory.iterdir())


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.txt").write_bytes(DATA)
    return tmp_path


def compress_file(path: Path, *extra: str) -> Path:
    result = run("compress", "--memory", MEM, *extra, str(path))
    assert result.exit_code == 0, result.output
    return path.with_name(path.name + ".mdc")


# --- normal use -----------------------------------------------------------------------


def test_gzip_style_calls_with_files(work: Path) -> None:
    """``midicoth -k FILE``, ``midicoth -dc FILE.mdc`` and ``midicoth -d FILE.mdc``
    mean what they mean to gzip."""
    result = run("-k", "a.txt")
    assert result.exit_code == 0, result.output
    assert listing(work) == ["a.txt", "a.txt.mdc"]
    result = run("-dc", "a.txt.mdc")
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == DATA
    (work / "a.txt").unlink()
    result = run("-d", "a.txt.mdc")
    assert result.exit_code == 0, result.output
    assert listing(work) == ["a.txt"]
    assert (work / "a.txt").read_bytes() == DATA
    # an option the chosen command lacks (decompress has no --memory), and a
    # bare word naming no file (a mistyped command): click reports both
    assert run("-d", "--memory", MEM, "a.txt").exit_code == 2
    assert run("compres", "a.txt").exit_code == 2
    assert listing(work) == ["a.txt"]
    result = run("a.txt")
    assert result.exit_code == 0, result.output
    assert listing(work) == ["a.txt.mdc"]


def test_compress_and_decompress_a_file(work: Path) -> None:
    src = work / "a.txt"
    os.chmod(src, 0o640)
    os.utime(src, ns=(1_500_000_000_000_000_000, 1_600_000_000_000_000_000))
    packed = compress_file(src)
    assert listing(work) == ["a.txt.mdc"]  # the input is removed after success
    assert midicoth.decompress(packed.read_bytes()) == DATA
    assert stat.S_IMODE(packed.stat().st_mode) == 0o640
    assert packed.stat().st_mtime_ns == 1_600_000_000_000_000_000

    result = run("decompress", "a.txt.mdc")
    assert result.exit_code == 0, result.output
    assert result.output == ""
    assert listing(work) == ["a.txt"]
    assert src.read_bytes() == DATA
    assert stat.S_IMODE(src.stat().st_mode) == 0o640
    assert src.stat().st_mtime_ns == 1_600_000_000_000_000_000


def test_keep_stdout_and_output(work: Path) -> None:
    compress_file(work / "a.txt", "-k")
    assert listing(work) == ["a.txt", "a.txt.mdc"]

    result = run("compress", "--memory", MEM, "-c", "a.txt")
    assert result.exit_code == 0
    assert result.stdout_bytes == (work / "a.txt.mdc").read_bytes()
    assert listing(work) == ["a.txt", "a.txt.mdc"]  # -c keeps the input

    result = run("decompress", "-k", "-o", "out.bin", "a.txt.mdc")
    assert result.exit_code == 0
    assert (work / "out.bin").read_bytes() == DATA

    result = run("decompress", "-c", "a.txt.mdc", "a.txt.mdc")
    assert result.stdout_bytes == DATA + DATA
    result = run("decompress", "-o", "-", "a.txt.mdc")
    assert result.stdout_bytes == DATA
    assert listing(work) == ["a.txt", "a.txt.mdc", "out.bin"]


def test_stdin_to_stdout(work: Path) -> None:
    packed = run("compress", "--memory", MEM, "-", stdin=DATA)
    assert packed.exit_code == 0
    assert midicoth.decompress(packed.stdout_bytes) == DATA
    unpacked = run("decompress", stdin=packed.stdout_bytes)  # no FILE means stdin
    assert unpacked.exit_code == 0
    assert unpacked.stdout_bytes == DATA
    tested = run("test", "-", stdin=packed.stdout_bytes)
    assert tested.exit_code == 0
    assert listing(work) == ["a.txt"]


def test_gzip_style_without_a_command(work: Path) -> None:
    packed = run("-c", stdin=DATA)
    assert packed.exit_code == 0
    assert midicoth.decompress(packed.stdout_bytes) == DATA
    for flags in (["-d"], ["-dc"], ["-d", "-c"], ["--decompress", "--stdout"]):
        result = run(*flags, stdin=packed.stdout_bytes)
        assert result.exit_code == 0, flags
        assert result.stdout_bytes == DATA
    assert run("-d", "compress", "a.txt").exit_code == 2


def test_threads_give_identical_output(work: Path) -> None:
    data = synth.generate("text", 6000, 2)
    (work / "b.txt").write_bytes(data)
    one = run("compress", "--memory", MEM, "-c", "--block-size", "1K", "-j", "1", "b.txt")
    two = run("compress", "--memory", MEM, "-c", "--block-size", "1024", "-j", "2", "b.txt")
    assert one.exit_code == two.exit_code == 0
    assert one.stdout_bytes == two.stdout_bytes
    assert midicoth.decompress(two.stdout_bytes) == data
    auto = run("compress", "--memory", MEM, "-c", "-j", "2", "b.txt")
    assert midicoth.decompress(auto.stdout_bytes) == data


def test_threads_decode_independent_blocks(work: Path) -> None:
    data = synth.generate("text", 6000, 3)
    (work / "b.mdc").write_bytes(midicoth.compress(data, memory_mib=int(MEM), block_size=1024))
    for threads in ("2", "0"):
        result = run("decompress", "-c", "-j", threads, "b.mdc")
        assert result.exit_code == 0
        assert result.stdout_bytes == data
    assert run("test", "-j", "2", "b.mdc").exit_code == 0


def test_verbose_and_quiet(work: Path) -> None:
    result = run("compress", "--memory", MEM, "-k", "-v", "a.txt")
    assert result.exit_code == 0
    assert f"a.txt: {len(DATA)} ->" in result.stderr
    result = run("test", "-v", "a.txt.mdc")
    assert "a.txt.mdc: OK" in result.stderr
    result = run("test", "-q", "a.txt.mdc")
    assert result.output == ""


def test_info(work: Path) -> None:
    compress_file(work / "a.txt", "--block-size", "1K")
    result = run("info", "a.txt.mdc")
    assert result.exit_code == 0
    out = result.stdout
    assert f"format version  {midicoth.FORMAT_VERSION}\n" in out
    assert f"model version   {midicoth.MODEL_VERSION}" in out
    assert f"memory          {MEM} MiB" in out
    assert "stages          match+word+highctx+tweedie" in out
    assert "blocks          4 independent, up to 1 KiB each" in out
    assert f"uncompressed    {len(DATA)} bytes" in out
    with open("a.txt.mdc", "rb") as packed:
        methods = [m.name for layout in fmt.scan(packed) for m in layout.methods]
    assert "  methods         " in out
    verbose = run("info", "-v", "a.txt.mdc").stdout
    assert verbose.count("    block ") == 4
    for index, name in enumerate(methods):
        assert re.search(rf"    block {index} +\d+ -> +\d+ bytes  {re.escape(name)}\n", verbose)


def test_info_shows_block_methods(work: Path) -> None:
    noise = random.Random(4).randbytes(1024)
    lines = b"".join(b"%05d,north,%3d,ok\n" % (i, i % 7) for i in range(60))[:1024]
    data = DATA[:1024] + noise + lines
    (work / "m.mdc").write_bytes(midicoth.compress(data, memory_mib=int(MEM), block_size=1024))
    out = run("info", "-v", "m.mdc").stdout
    assert "  methods         " in out
    assert "1 stored" in out and "1 record" in out
    assert re.search(r"block 1 +1024 -> +1024 bytes  stored\n", out)
    assert re.search(r"block 2 +1024 -> +\d+ bytes  record/lines\n", out)


@pytest.mark.parametrize(
    ("spec", "modes"),
    [
        ("none", 0),
        ("all", midicoth.MODE_ALL),
        ("record+x86", midicoth.MODE_RECORD | midicoth.MODE_X86),
        ("sparse", midicoth.MODE_SPARSE),
        ("5", 5),
    ],
)
def test_compress_with_chosen_modes(work: Path, spec: str, modes: int) -> None:
    packed = compress_file(work / "a.txt", "-k", "--modes", spec).read_bytes()
    assert packed == midicoth.compress(DATA, memory_mib=int(MEM), modes=modes)
    (work / "a.txt").unlink()
    assert run("decompress", "a.txt.mdc").exit_code == 0
    assert (work / "a.txt").read_bytes() == DATA


@pytest.mark.parametrize("spec", ["fast", "x86+", "8", "lines"])
def test_unknown_modes_are_a_usage_error(work: Path, spec: str) -> None:
    result = run("compress", "--modes", spec, "a.txt")
    assert result.exit_code == 2
    assert "mode" in result.output
    assert listing(work) == ["a.txt"]


def test_format_2_files_still_decode(work: Path) -> None:
    """Files of midicoth 0.2-0.5 (format 2, here written by model 5) are read."""
    golden = Path(__file__).parent / "golden" / "format-2"
    for name in ("text-solid.mdc", "text-blocks.mdc"):
        (work / name).write_bytes((golden / name).read_bytes())
        info = run("info", name).stdout
        assert "format version  2\n" in info and "model version   5\n" in info
        assert "methods         " in info and "plain" in info
        result = run("decompress", "-c", name)
        assert result.exit_code == 0
        assert len(result.stdout_bytes) == 3000


@pytest.mark.parametrize(
    ("spec", "stages"),
    [
        ("paper", midicoth.PAPER_STAGES),
        ("ppm", 0),
        ("match+mix+apm", midicoth.STAGE_MATCH | midicoth.STAGE_MIX | midicoth.STAGE_APM),
        ("word,tweedie", midicoth.STAGE_WORD | midicoth.STAGE_TWEEDIE),
        ("49", 49),
    ],
)
def test_compress_with_chosen_stages(work: Path, spec: str, stages: int) -> None:
    packed = compress_file(work / "a.txt", "-k", "--stages", spec).read_bytes()
    assert packed == midicoth.compress(DATA, memory_mib=int(MEM), stages=stages)
    assert f"stages          {fmt.stages_name(stages)}\n" in run("info", "a.txt.mdc").stdout
    (work / "a.txt").unlink()
    assert run("decompress", "a.txt.mdc").exit_code == 0
    assert (work / "a.txt").read_bytes() == DATA


def test_info_on_concatenated_streams(work: Path) -> None:
    packed = midicoth.compress(b"abc", memory_mib=int(MEM)) * 2
    (work / "two.mdc").write_bytes(packed)
    out = run("info", "two.mdc").stdout
    assert "stream 2 at byte" in out
    assert "uncompressed    6 bytes" in out


def test_info_on_damaged_or_foreign_files(work: Path) -> None:
    packed = midicoth.compress(DATA, memory_mib=int(MEM))
    (work / "cut.mdc").write_bytes(packed[:-1])
    result = run("info", "cut.mdc", "a.txt")
    assert result.exit_code == 1
    assert "midicoth: cut.mdc: " in result.stderr
    assert "midicoth: a.txt: not a Midicoth stream" in result.stderr
    # Another model version: info still describes it; test refuses it.
    size = fmt.read_stream_header(packed)[1]
    header = bytearray(packed[: size - 2])
    header[7] = midicoth.MODEL_VERSION + 1
    other = bytes(header) + (zlib.crc32(header) & 0xFFFF).to_bytes(2, "little") + packed[size:]
    (work / "other.mdc").write_bytes(other)
    result = run("info", "other.mdc")
    assert result.exit_code == 0
    assert "(not this midicoth's)" in result.stdout
    result = run("test", "other.mdc")
    assert result.exit_code == 1
    assert "model version" in result.stderr


def format_1_stream(usize: int, coded: bytes) -> bytes:
    """A one-block stream of format version 1 (midicoth 0.1), framed by hand."""

    def with_crc(head: bytes) -> bytes:
        return head + zlib.crc32(head).to_bytes(4, "little")

    head = b"\x89MDC" + bytes([1, 0, midicoth.ALL_STAGES, 0])
    head += b"".join(n.to_bytes(4, "little") for n in (2, int(MEM), 1 << 20))
    block = b"".join(n.to_bytes(4, "little") for n in (usize, len(coded), 0))
    end = bytes(4) + usize.to_bytes(8, "little")
    return with_crc(head) + with_crc(block) + coded + with_crc(end)


def test_format_1_files_are_described_and_refused(work: Path) -> None:
    (work / "old.mdc").write_bytes(format_1_stream(3000, bytes(900)))
    result = run("info", "-v", "old.mdc")
    assert result.exit_code == 0
    assert "format version  1 (not this midicoth's" in result.stdout
    assert "uncompressed    3000 bytes" in result.stdout
    assert "block 0            3000 ->        900 bytes" in result.stdout
    for command in ("test", "decompress"):
        result = run(command, "old.mdc")
        assert result.exit_code == 1
        assert "format version 1 was written by midicoth 0.1" in result.stderr
        assert listing(work) == ["a.txt", "old.mdc"]


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.output.startswith(f"midicoth {midicoth.__version__}")


# --- refusals and errors --------------------------------------------------------------


def test_refuses_to_overwrite_without_force(work: Path) -> None:
    (work / "a.txt.mdc").write_bytes(b"precious")
    result = run("compress", "--memory", MEM, "a.txt")
    assert result.exit_code == 1
    assert "already exists" in result.stderr
    assert (work / "a.txt.mdc").read_bytes() == b"precious"
    assert (work / "a.txt").read_bytes() == DATA
    assert run("compress", "--memory", MEM, "-f", "a.txt").exit_code == 0
    assert midicoth.decompress((work / "a.txt.mdc").read_bytes()) == DATA


def test_refuses_suffix_and_unknown_suffix(work: Path) -> None:
    packed = compress_file(work / "a.txt")
    result = run("compress", str(packed))
    assert result.exit_code == 1
    assert "suffix" in result.stderr
    (work / "plain").write_bytes(packed.read_bytes())
    result = run("decompress", "plain")
    assert result.exit_code == 1
    assert "suffix" in result.stderr


def test_refuses_to_write_over_its_input(work: Path) -> None:
    compress_file(work / "a.txt", "-k")
    result = run("decompress", "-f", "-o", "a.txt.mdc", "a.txt.mdc")
    assert result.exit_code == 1
    assert "is the input" in result.stderr
    assert midicoth.decompress((work / "a.txt.mdc").read_bytes()) == DATA


def damaged_copies(packed: bytes) -> list:
    flipped = bytearray(packed)
    flipped[len(packed) // 2] ^= 0x20
    return [
        ("truncated", packed[: len(packed) - 20]),
        ("flipped", bytes(flipped)),
        ("magic", b"PK\x03\x04" + packed[4:]),
        ("empty", b""),
        ("garbage-after", packed + b"garbage"),
    ]


@pytest.mark.parametrize("case", range(5))
def test_damaged_input_leaves_nothing_behind(work: Path, case: int) -> None:
    packed = midicoth.compress(DATA, memory_mib=int(MEM))
    name, bad = damaged_copies(packed)[case]
    (work / "bad.mdc").write_bytes(bad)
    before = listing(work)
    for command in ("decompress", "test"):
        result = run(command, "bad.mdc")
        assert result.exit_code == 1, (name, command)
        assert result.stderr.startswith("midicoth: bad.mdc: ")
        assert result.stderr.count("\n") == 1  # one line, no traceback
        assert listing(work) == before
        assert (work / "bad.mdc").read_bytes() == bad


def test_damaged_block_is_reported_by_index(work: Path) -> None:
    packed = bytearray(midicoth.compress(DATA, memory_mib=int(MEM), block_size=1024))
    params, at = fmt.read_stream_header(packed)
    first, size = fmt.read_block_header(packed[at:], params)
    at += size + first.csize
    size = fmt.read_block_header(packed[at:], params)[1]  # the second block's header
    packed[at + size + 3] ^= 0x01
    (work / "bad.mdc").write_bytes(bytes(packed))
    for threads in ("1", "2"):
        result = run("test", "-j", threads, "bad.mdc")
        assert result.exit_code == 1
        assert "block 1" in result.stderr


def test_errors_do_not_stop_other_files(work: Path) -> None:
    (work / "b.txt").write_bytes(b"bee")
    result = run("compress", "--memory", MEM, "missing.txt", "a.txt", "b.txt")
    assert result.exit_code == 1
    assert "missing.txt" in result.stderr
    assert listing(work) == ["a.txt.mdc", "b.txt.mdc"]


def test_not_a_regular_file(work: Path) -> None:
    (work / "dir").mkdir()
    result = run("compress", "dir")
    assert result.exit_code == 1
    assert "not a regular file" in result.stderr


def test_unwritable_destination(work: Path) -> None:
    result = run("compress", "--memory", MEM, "-o", "no/such/dir/x.mdc", "a.txt")
    assert result.exit_code == 1
    assert (work / "a.txt").read_bytes() == DATA


@pytest.mark.parametrize(
    "args",
    [
        ["compress", "--memory", "17", "a.txt"],
        ["compress", "--memory", "8", "a.txt"],
        ["compress", "--block-size", "12", "a.txt"],
        ["compress", "--block-size", "1T", "a.txt"],
        ["compress", "--block-size", "128M", "a.txt"],
        ["compress", "-j", "-1", "a.txt"],
        ["compress", "-o", "x", "a.txt", "b.txt"],
        ["compress", "-o", "x", "-c", "a.txt"],
        ["compress", "--bogus", "a.txt"],
        ["compress", "--stages", "fast", "a.txt"],
        ["compress", "--stages", "match+", "a.txt"],
        ["compress", "--stages", "128", "a.txt"],
        ["frobnicate"],
        ["-c", "info", "a.txt"],
    ],
)
def test_usage_errors_exit_2(work: Path, args: list) -> None:
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert listing(work) == ["a.txt"]


# --- as a real process ----------------------------------------------------------------


def console_script() -> list[str]:
    """The ``midicoth`` program as a user runs it: the console script that
    pip installed for the Python running these tests (looked up in that
    environment's scripts folder, so never another installation's that
    comes first on PATH), or ``python -m midicoth`` where none is installed."""
    found = shutil.which("midicoth", path=sysconfig.get_path("scripts"))
    return [found] if found else [sys.executable, "-m", "midicoth"]


MIDICOTH = console_script()


def midicoth_process(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*MIDICOTH, *args],
        check=False,
        capture_output=True,
        timeout=120,
        **kwargs,
    )


def test_subprocess_round_trip(work: Path) -> None:
    done = midicoth_process("compress", "--memory", MEM, "-k", "a.txt")
    assert done.returncode == 0, done.stderr
    piped = midicoth_process("decompress", "-c", "a.txt.mdc")
    assert piped.returncode == 0
    assert piped.stdout == DATA
    packed = midicoth_process("-c", "--", input=DATA)
    assert packed.returncode == 0
    assert midicoth_process("-dc", input=packed.stdout).stdout == DATA
    bad = midicoth_process("decompress", "-c", "-", input=packed.stdout[:-5])
    assert bad.returncode == 1
    assert b"Traceback" not in bad.stderr
    assert bad.stderr.startswith(b"midicoth: (stdin): ")
    usage = midicoth_process("compress", "--memory", "3", "a.txt")
    assert usage.returncode == 2


def test_memory_limit(work: Path) -> None:
    """-M refuses a stream whose model needs more, in one line, writing
    nothing; a larger limit, a percentage or max decodes it."""
    packed = work / "a.txt.mdc"
    packed.write_bytes(midicoth.compress(DATA, memory_mib=64))
    for command in (["test"], ["decompress", "-o", "b.txt"]):
        result = run(*command, "-M", "32M", packed.name)
        assert result.exit_code == 1
        assert re.fullmatch(
            r"midicoth: a\.txt\.mdc: the stream's model needs 64 MiB of memory, more than "
            r"the memory limit of 32 MiB \(memlimit=, -M\)\n",
            result.stderr,
        )
        assert listing(work) == ["a.txt", "a.txt.mdc"]
    for limit in ("64M", "1G", "50%", "max"):
        assert run("test", "-M", limit, str(packed)).exit_code == 0
    assert run("test", str(packed)).exit_code == 0  # the default: 1 GiB
    for bad in ("0", "lots", "150%", "-1"):
        assert run("test", "-M", bad, str(packed)).exit_code == 2


# --- options without a command, as xz takes them --------------------------------------


@pytest.mark.parametrize(
    ("args", "call"),
    [
        (["-k", "a.txt"], ["compress", "-k", "a.txt"]),
        (["-dkc", "a.txt.mdc"], ["decompress", "-kc", "a.txt.mdc"]),
        (["-k", "-o", "x.mdc", "a.txt"], ["compress", "-k", "-o", "x.mdc", "a.txt"]),
        (["-k", "-o", "-d", "a.txt"], ["compress", "-k", "-o", "-d", "a.txt"]),  # -o's value
        (["-ko-d", "a.txt"], ["compress", "-ko-d", "a.txt"]),
        (["-j2", "-k", "a.txt"], ["compress", "-j2", "-k", "a.txt"]),
        (["a.txt", "-T0", "-d"], ["decompress", "a.txt", "-T0"]),
        (["-vt", "-T", "2", "x.mdc"], ["test", "-v", "-T", "2", "x.mdc"]),
        (["--list", "-v", "x.mdc"], ["info", "-v", "x.mdc"]),
        (["-d", "-z", "a.txt"], ["compress", "a.txt"]),  # the last mode counts, as in xz
        (["--memory=16", "-d", "x.mdc"], ["decompress", "--memory=16", "x.mdc"]),
        (["--memlimit", "-t", "-z"], ["compress", "--memlimit", "-t"]),
        (["-c", "--", "-d"], ["compress", "-c", "--", "-d"]),
        (["-v"], ["compress", "-v"]),
        (["-"], ["compress", "-"]),
        # left to click: a command, help, the version, a word naming no file
        (["info", "-l"], ["info", "-l"]),
        (["--help"], ["--help"]),
        (["--version"], ["--version"]),
        (["compres", "a.txt"], ["compres", "a.txt"]),
    ],
)
def test_calls_without_a_command_choose_one(work: Path, args: list, call: list) -> None:
    ctx = click.Context(cli.main, info_name="midicoth")
    assert cli._without_command(args, cli.main, ctx) == call


def test_options_without_a_command_work_in_any_order(work: Path) -> None:
    """As with xz: the mode options (-z, -d, -t, -l) and every option of
    the chosen command, anywhere; -T is -j."""
    done = midicoth_process("-k", "-o", "x.mdc", "--memory", MEM, "a.txt")
    assert done.returncode == 0, done.stderr
    assert midicoth.decompress((work / "x.mdc").read_bytes()) == DATA
    done = midicoth_process("-j2", "-k", "--memory", MEM, "a.txt")
    assert done.returncode == 0, done.stderr
    assert listing(work) == ["a.txt", "a.txt.mdc", "x.mdc"]
    with open(work / "a.txt", "rb") as stdin:
        piped = midicoth_process("-v", "--memory", MEM, stdin=stdin)
    assert piped.returncode == 0, piped.stderr
    assert midicoth.decompress(piped.stdout) == DATA
    assert piped.stderr.startswith(f"(stdin): {len(DATA)} -> ".encode())
    forced = midicoth_process("-z", "-T0", "-c", "--memory", MEM, "a.txt")
    assert midicoth.decompress(forced.stdout) == DATA
    tested = midicoth_process("x.mdc", "-t", "-v", "-T", "2", "a.txt.mdc")
    assert tested.returncode == 0, tested.stderr
    assert tested.stderr.count(b": OK (4000 bytes)") == 2
    assert b"blocks          1 solid" in midicoth_process("-l", "x.mdc").stdout
    unpacked = midicoth_process("x.mdc", "-c", "-d", "-M", "64M", "-j", "2")
    assert unpacked.stdout == DATA
    (work / "a.txt").unlink()
    assert midicoth_process("-kd", "-v", "a.txt.mdc").returncode == 0
    assert (work / "a.txt").read_bytes() == DATA
    assert listing(work) == ["a.txt", "a.txt.mdc", "x.mdc"]
    # a command after the options, or an option no command has: a usage error
    for args in (["-d", "compress", "a.txt"], ["-c", "info", "a.txt"], ["-k", "--bogus", "a.txt"]):
        wrong = midicoth_process(*args)
        assert wrong.returncode == 2, args
        assert b"Traceback" not in wrong.stderr
    assert listing(work) == ["a.txt", "a.txt.mdc", "x.mdc"]


def test_help_lists_the_calls_without_a_command() -> None:
    done = midicoth_process("--help")
    assert done.returncode == 0
    out = done.stdout.decode()
    assert "midicoth [-z|-d|-t|-l] [OPTION]... [FILE]..." in out
    for option in ("-z, --compress", "-d, --decompress", "-t, --test", "-l, --list"):
        assert option in out
    for name, command in cli.main.commands.items():
        if name in ("compress", "decompress"):
            for param in command.params:
                if isinstance(param, click.Option):
                    assert ", ".join(param.opts) in out, param.opts
    assert "-j, -T, --threads N" in out


def test_no_argument_on_a_terminal_shows_help(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal:
        buffer = None

        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(cli, "_stdin", Terminal)
    result = run()
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: midicoth [OPTIONS] COMMAND [ARGS]...")


# --- links ----------------------------------------------------------------------------

symlinks = pytest.mark.skipif(os.name != "posix", reason="symbolic links as POSIX has them")


@symlinks
def test_symbolic_links_are_skipped_unless_forced(work: Path) -> None:
    """As xz: a symbolic link is not followed (removing it would lose
    nothing the user named compressed) unless -f or -c; with -f the link
    goes, never its target."""
    (work / "target.txt").write_bytes(DATA)
    os.symlink("target.txt", work / "link.txt")
    done = midicoth_process("compress", "--memory", MEM, "link.txt", "a.txt")
    assert done.returncode == 2
    assert (
        done.stderr == b"midicoth: link.txt: is a symbolic link, skipping (-f or -c follows it)\n"
    )
    assert listing(work) == ["a.txt.mdc", "link.txt", "target.txt"]
    assert midicoth_process("-k", "link.txt").returncode == 2  # -k does not follow links
    piped = midicoth_process("-c", "--memory", MEM, "link.txt")
    assert piped.returncode == 0
    assert midicoth.decompress(piped.stdout) == DATA
    assert listing(work) == ["a.txt.mdc", "link.txt", "target.txt"]
    forced = midicoth_process("-f", "--memory", MEM, "link.txt")
    assert forced.returncode == 0, forced.stderr
    assert listing(work) == ["a.txt.mdc", "link.txt.mdc", "target.txt"]
    assert (work / "target.txt").read_bytes() == DATA
    assert midicoth.decompress((work / "link.txt.mdc").read_bytes()) == DATA
    os.symlink("a.txt.mdc", work / "packed.mdc")  # decompress skips links as well
    done = midicoth_process("decompress", "packed.mdc")
    assert done.returncode == 2
    assert b"packed.mdc: is a symbolic link, skipping" in done.stderr
    assert midicoth_process("test", "packed.mdc").returncode == 0  # removes nothing: follows
    assert listing(work) == ["a.txt.mdc", "link.txt.mdc", "packed.mdc", "target.txt"]


@symlinks
def test_files_with_several_hard_links_are_skipped(work: Path) -> None:
    """As xz: a file with other names is skipped unless -f, -k or -c (its
    data would stay under the other names); -f removes only the name given."""
    os.link(work / "a.txt", work / "b.txt")
    done = midicoth_process("--memory", MEM, "a.txt")
    assert done.returncode == 2
    assert done.stderr == (
        b"midicoth: a.txt: has 2 hard links, skipping (-k keeps it; -f removes this name)\n"
    )
    assert listing(work) == ["a.txt", "b.txt"]
    assert midicoth_process("-c", "--memory", MEM, "a.txt").returncode == 0
    assert midicoth_process("-k", "--memory", MEM, "a.txt").returncode == 0
    assert listing(work) == ["a.txt", "a.txt.mdc", "b.txt"]
    forced = midicoth_process("-f", "--memory", MEM, "a.txt")
    assert forced.returncode == 0
    assert listing(work) == ["a.txt.mdc", "b.txt"]
    assert (work / "b.txt").read_bytes() == DATA
    os.link(work / "a.txt.mdc", work / "c.mdc")
    assert midicoth_process("-d", "a.txt.mdc").returncode == 2
    assert listing(work) == ["a.txt.mdc", "b.txt", "c.mdc"]


@symlinks
def test_skips_and_errors_combine_as_in_xz(work: Path) -> None:
    """Exit status 1 if any file failed, else 2 if any was skipped; -q
    silences the skip's line, not its status; the other files go on."""
    os.symlink("a.txt", work / "link.txt")
    done = midicoth_process("-k", "--memory", MEM, "link.txt", "a.txt")
    assert done.returncode == 2
    assert listing(work) == ["a.txt", "a.txt.mdc", "link.txt"]
    done = midicoth_process("-k", "--memory", MEM, "link.txt", "missing.txt")
    assert done.returncode == 1
    assert done.stderr.decode().splitlines() == [
        "midicoth: link.txt: is a symbolic link, skipping (-f or -c follows it)",
        "midicoth: missing.txt: No such file or directory",
    ]
    quiet = midicoth_process("-q", "link.txt")
    assert (quiet.returncode, quiet.stderr) == (2, b"")


# --- where the output is written --------------------------------------------------------


def unnamed_files_in(directory: Path) -> bool:
    """Whether ``directory`` can hold a file without a name (Linux's O_TMPFILE)."""
    try:
        fd = os.open(directory, os.O_TMPFILE | os.O_RDWR, 0o600)
    except (AttributeError, OSError):
        return False
    os.close(fd)
    return True


@pytest.fixture(params=["unnamed", "named", "copied"])
def output_way(request: pytest.FixtureRequest, work: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The three ways output reaches its name: an unnamed file linked into
    place; a hidden .part file renamed (systems without unnamed files);
    an unnamed file copied to a .part file (systems that cannot link one)."""
    if request.param != "named" and not unnamed_files_in(work):
        pytest.skip("no unnamed files here")
    if request.param == "named":
        monkeypatch.setattr(cli, "_unnamed_file", lambda directory: None)
    if request.param == "copied":

        def no_link(fd: int, path: str) -> None:
            raise cli._NoLink

        monkeypatch.setattr(cli, "_link_fd", no_link)
    return request.param


def test_each_way_of_writing_output(
    work: Path, output_way: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = work / "a.txt"
    os.chmod(src, 0o640)
    os.utime(src, ns=(1_500_000_000_000_000_000, 1_600_000_000_000_000_000))
    packed = compress_file(src, "-k")
    assert listing(work) == ["a.txt", "a.txt.mdc"]
    assert midicoth.decompress(packed.read_bytes()) == DATA
    assert stat.S_IMODE(packed.stat().st_mode) == 0o640
    assert packed.stat().st_mtime_ns == 1_600_000_000_000_000_000
    packed.write_bytes(b"old")  # -f replaces an existing output
    compress_file(src, "-k", "-f")
    assert midicoth.decompress(packed.read_bytes()) == DATA
    assert listing(work) == ["a.txt", "a.txt.mdc"]
    src.unlink()
    assert run("decompress", "a.txt.mdc").exit_code == 0
    assert listing(work) == ["a.txt"]
    assert src.read_bytes() == DATA
    assert stat.S_IMODE(src.stat().st_mode) == 0o640

    (work / "bad.mdc").write_bytes(b"\x89MDC" + bytes(40))  # a failure leaves nothing
    assert run("decompress", "bad.mdc").exit_code == 1
    assert listing(work) == ["a.txt", "bad.mdc"]

    class Intruding(midicoth.MidicothCompressor):
        def flush(self) -> bytes:
            (work / "a.txt.mdc").write_bytes(b"someone else's")
            return super().flush()

    monkeypatch.setattr(cli, "MidicothCompressor", Intruding)
    result = run("compress", "--memory", MEM, "a.txt")
    assert result.exit_code == 1
    assert "a.txt.mdc appeared while writing it; use -f to overwrite" in result.stderr
    assert listing(work) == ["a.txt", "a.txt.mdc", "bad.mdc"]
    assert (work / "a.txt.mdc").read_bytes() == b"someone else's"
    assert src.read_bytes() == DATA


# --- signals --------------------------------------------------------------------------

posix_signals = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
PROMPT = 2.0  # seconds within which a signalled run must have ended


@pytest.fixture(scope="module")
def big_inputs() -> dict:
    """Inputs that keep the program busy for many seconds on two cores: 4
    MiB of text to compress, and a stream to decode of 48 streams of two
    independent 128 KiB blocks each (made from one, so quickly)."""
    text = synth.generate("text", 4 << 20, 5)
    one = midicoth.compress(text[: 256 << 10], memory_mib=int(MEM), block_size=128 << 10, threads=2)
    return {"big.txt": text, "many.mdc": one * 48}


def reads(pid: int, target: str) -> bool:
    """Whether process ``pid`` has read part of the file ``target``."""
    fds = Path(f"/proc/{pid}/fd")
    try:
        for fd in fds.iterdir():
            if os.readlink(fd) == target:
                info = (fds.parent / "fdinfo" / fd.name).read_text()
                match = re.search(r"pos:\s*(\d+)", info)
                if match and int(match.group(1)) > 0:
                    return True
    except OSError:  # ended, or the fd closed meanwhile
        pass
    return False


def group_of(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except OSError:
        return None


def wait_until_reading(proc: subprocess.Popen, path: Path, *, group: bool = False) -> None:
    """Wait until ``proc`` (or, with ``group``, a process of the process
    group it leads) has read part of ``path``: it is then in the middle of
    its run. Where /proc does not tell, wait a generous second and a half."""
    if not Path("/proc/self/fdinfo").is_dir():
        time.sleep(1.5)
        return
    target = os.path.realpath(path)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the run ended before it was under way"
        pids = [proc.pid]
        if group:
            pids = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]
            pids = [pid for pid in pids if group_of(pid) == proc.pid]
        if any(reads(pid, target) for pid in pids):
            return
        time.sleep(0.02)
    raise AssertionError("the run did not start reading its input")


SIGNAL_CASES = {
    # case: (arguments, file on stdin, the input the run reads)
    "compress -j 2": (
        ["compress", "--memory", MEM, "-j", "2", "--block-size", "256K", "big.txt"],
        None,
        "big.txt",
    ),
    "Ctrl-C twice": (["compress", "--memory", MEM, "-j", "2", "big.txt"], None, "big.txt"),
    "decompress -j 2": (["decompress", "-j", "2", "many.mdc"], None, "many.mdc"),
    "stdin to stdout": (["--memory", MEM], "big.txt", "big.txt"),
    "test": (["test", "-j", "2", "many.mdc"], None, "many.mdc"),
}


def start(program: list, args: list, stdin_path: Path | None) -> subprocess.Popen:
    with open(stdin_path or os.devnull, "rb") as stdin:
        return subprocess.Popen(
            [*program, *args], stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )


@contextlib.contextmanager
def running(program: list, args: list, stdin_path: Path | None) -> Iterator[subprocess.Popen]:
    """The program, started; killed at the end if still running."""
    proc = start(program, args, stdin_path)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def digests(directory: Path) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in directory.iterdir()}


@posix_signals
@pytest.mark.parametrize(
    ("case", "signame"),
    [
        ("compress -j 2", "SIGINT"),
        ("Ctrl-C twice", "SIGINT"),
        ("decompress -j 2", "SIGTERM"),
        ("stdin to stdout", "SIGHUP"),
        ("test", "SIGINT"),
    ],
)
def test_a_signal_ends_the_run_at_once(
    work: Path, big_inputs: dict, case: str, signame: str
) -> None:
    """SIGINT, SIGTERM and SIGHUP end a busy run within moments in every
    mode, worker threads mid-block or not: status 128 + signal, one line,
    no output (nor a hidden temporary file), the input untouched; a second
    Ctrl-C changes nothing."""
    signum = getattr(signal, signame)
    for name, data in big_inputs.items():
        (work / name).write_bytes(data)
    before = digests(work)
    args, stdin_name, reading = SIGNAL_CASES[case]
    with running(MIDICOTH, args, stdin_name and work / stdin_name) as proc:
        wait_until_reading(proc, work / reading)
        time.sleep(0.3)  # the workers well into their blocks
        if unnamed_files_in(work):
            assert listing(work) == sorted(before)  # under way, and nothing to see
        sent = time.monotonic()
        proc.send_signal(signum)
        if case == "Ctrl-C twice":
            proc.send_signal(signum)
        _, err = proc.communicate(timeout=60)
        took = time.monotonic() - sent
    assert proc.returncode == -signum  # died of it, as xz: the shell says 128 + signum
    assert took < PROMPT
    word = "interrupted" if signame == "SIGINT" else f"terminated by {signame}"
    assert err.decode().splitlines() == [f"midicoth: {word}"]
    assert digests(work) == before


@posix_signals
@pytest.mark.parametrize("unnamed", [True, False], ids=["unnamed-file", "named-part-file"])
def test_terminated_run_leaves_no_partial_output(
    work: Path, big_inputs: dict, unnamed: bool
) -> None:
    """SIGTERM while writing -o out.mdc from stdin leaves nothing, also
    where output goes through a hidden .part file (no unnamed files)."""
    (work / "big.txt").write_bytes(big_inputs["big.txt"])
    program = MIDICOTH
    if not unnamed:
        program = [
            sys.executable,
            "-c",
            "import midicoth.cli as c; c._unnamed_file = lambda d: None; c.main(prog_name='m')",
        ]
    args = ["compress", "--memory", MEM, "-o", "out.mdc", "-"]
    with running(program, args, work / "big.txt") as proc:
        wait_until_reading(proc, work / "big.txt")
        parts = [name for name in listing(work) if name.endswith(".part")]
        if not unnamed:
            assert len(parts) == 1 and parts[0].startswith(".out.mdc.")  # as documented
        elif unnamed_files_in(work):
            assert parts == []
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGTERM
    assert err == b"midicoth: terminated by SIGTERM\n"
    assert listing(work) == ["a.txt", "big.txt"]


@posix_signals
def test_ctrl_c_stops_a_shell_loop(work: Path, big_inputs: dict) -> None:
    """Ctrl-C reaches the terminal's whole foreground process group, shell
    included; midicoth dies of it, as xz does, so bash stops the loop (after
    a plain exit with status 130 it would go on to the next file)."""
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash")
    for name in ("big.txt", "big2.txt"):
        (work / name).write_bytes(big_inputs["big.txt"])
    program = shlex.join(MIDICOTH)
    script = (
        f'for f in big.txt big2.txt; do {program} -k --memory {MEM} "$f"; '
        'echo "went on after $f: $?"; done'
    )
    # bash with SIGINT at its default, as a terminal's shell has it: a test
    # run started in the background (`cmd &`) ignores SIGINT, and a shell
    # that starts so cannot take it back
    launch = (
        "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
        "os.execv(sys.argv[1], sys.argv[1:])"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", launch, bash, "-c", script],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        wait_until_reading(proc, work / "big.txt", group=True)
        os.killpg(proc.pid, signal.SIGINT)  # as the terminal's Ctrl-C
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert (out, err) == (b"", b"midicoth: interrupted\n")
    assert proc.returncode == -signal.SIGINT  # bash too ended by the signal
    assert listing(work) == ["a.txt", "big.txt", "big2.txt"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="O_TMPFILE is Linux's")
@pytest.mark.parametrize(
    "args",
    [["compress", "--memory", MEM, "big.txt"], ["decompress", "-f", "many.mdc"]],
    ids=["compress", "decompress-over-existing"],
)
def test_killed_run_leaves_nothing(work: Path, big_inputs: dict, args: list) -> None:
    """SIGKILL cannot be caught: the output has no name until complete, so
    none is left behind (where the file system has unnamed files)."""
    if not unnamed_files_in(work):
        pytest.skip("no unnamed files here: a killed run leaves .NAME.XXXXXXXX.part (documented)")
    for name, data in big_inputs.items():
        (work / name).write_bytes(data)
    (work / "many").write_bytes(b"the old output, replaced only when the new one is complete")
    before = digests(work)
    with running(MIDICOTH, args, None) as proc:
        wait_until_reading(proc, work / args[-1])
        proc.kill()
        proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert digests(work) == before


# --- the README's main job --------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent


def readme_main_job() -> list:
    """The commands of the README's first command line (the main job),
    after its install step, each split into its words."""
    readme = ROOT / "README.md"
    if not readme.exists():
        pytest.skip("no README.md here")
    text = readme.read_text(encoding="utf-8")
    block = re.search(r"## Set up\n.*?```sh\n(.*?)\n```", text, re.DOTALL)
    assert block is not None
    commands = [shlex.split(part) for part in block.group(1).split("&&")]
    assert commands[0][:2] == ["pip", "install"]
    return commands[1:]


def test_readme_main_job_runs_again_and_again(tmp_path: Path) -> None:
    """The README's main job, run twice in the same place, succeeds both
    times (the second time replacing the output with -f)."""
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    for attempt in range(2):
        for command in readme_main_job():
            assert command[0] == "midicoth"
            done = midicoth_process(*command[1:], cwd=tmp_path)
            assert done.returncode == 0, (attempt, command, done.stderr)
    assert listing(tmp_path) == ["README.md", "README.md.mdc"]


def test_gitignore_keeps_the_main_job_out_of_git() -> None:
    """What the main job writes in a checkout is ignored; golden files are not."""
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")

    def ignored(path: str) -> bool:
        done = subprocess.run(
            [git, "check-ignore", "--no-index", "-q", path], cwd=ROOT, check=False
        )
        assert done.returncode in (0, 1), done
        return done.returncode == 0

    assert ignored("README.md.mdc")
    assert ignored("docs/notes.txt.mdc")
    assert not ignored("tests/golden/empty.mdc")
    assert not ignored("tests/golden/format-2/new.mdc")
