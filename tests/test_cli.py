"""The `midicoth` command line, through click's runner and as a real process.

Checks the gzip-like contract: FILE -> FILE.mdc and back, input removed only
after success, no partial output on failure, metadata kept, exit status
0 / 1 (data or I/O error) / 2 (usage error), one-line errors.
"""

from __future__ import annotations

import os
import random
import re
import signal
import stat
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import midicoth
from midicoth import format as fmt
from midicoth.cli import main

MEM = str(midicoth.MIN_MEMORY_MIB)


def sample_text(size: int, seed: int = 0) -> bytes:
    rng = random.Random(seed)
    words = [
        "".join(rng.choice("lorem ipsum") for _ in range(rng.randint(1, 8))) for _ in range(60)
    ]
    return " ".join(rng.choice(words) for _ in range(size)).encode()[:size]


DATA = sample_text(4000)


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
    # an option with a value is not guessed at, and a bare word naming no
    # file is a mistyped command: click reports both
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
    data = sample_text(6000, seed=2)
    (work / "b.txt").write_bytes(data)
    one = run("compress", "--memory", MEM, "-c", "--block-size", "1K", "-j", "1", "b.txt")
    two = run("compress", "--memory", MEM, "-c", "--block-size", "1024", "-j", "2", "b.txt")
    assert one.exit_code == two.exit_code == 0
    assert one.stdout_bytes == two.stdout_bytes
    assert midicoth.decompress(two.stdout_bytes) == data
    auto = run("compress", "--memory", MEM, "-c", "-j", "2", "b.txt")
    assert midicoth.decompress(auto.stdout_bytes) == data


def test_threads_decode_independent_blocks(work: Path) -> None:
    data = sample_text(6000, seed=3)
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
        ["compress", "--stages", "64", "a.txt"],
        ["frobnicate"],
        ["-c", "info", "a.txt"],
    ],
)
def test_usage_errors_exit_2(work: Path, args: list) -> None:
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert listing(work) == ["a.txt"]


# --- as a real process ----------------------------------------------------------------


def midicoth_process(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "midicoth", *args],
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


@pytest.mark.skipif(not hasattr(signal, "SIGTERM") or os.name != "posix", reason="POSIX signals")
def test_terminated_run_leaves_no_partial_output(work: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "midicoth", "compress", "--memory", MEM, "-o", "out.mdc", "-"],
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None
    proc.stdin.write(DATA)
    proc.stdin.flush()
    deadline = time.monotonic() + 30
    while not any(name.endswith(".part") for name in listing(work)):  # output under way
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    proc.stdin.close()
    assert proc.returncode == 128 + signal.SIGTERM
    assert b"terminated" in err
    assert listing(work) == ["a.txt"]


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
