"""Hostile headers and misused objects: memory limits, argument checks that
come before any state changes, bounded work with threads, objects after an
error. Where lzma has the same door, both must behave alike.
"""

from __future__ import annotations

import io
import lzma
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

import midicoth
from midicoth import MidicothError, _core
from midicoth import api as midicoth_api

MEM = midicoth.MIN_MEMORY_MIB
TEXT = b"".join(b"line %d of a small text, with some words in it\n" % i for i in range(300))
PACKED = midicoth.compress(TEXT, memory_mib=MEM)
HUGE = midicoth.compress(TEXT[:900], memory_mib=midicoth.MAX_MEMORY_MIB)
"""A genuine stream of a few hundred bytes whose header asks for the largest budget."""
BLOCKS = midicoth.compress(TEXT * 4, memory_mib=MEM, block_size=1 << 12)


# --- memory limit --------------------------------------------------------------------


def test_default_limit_refuses_a_budget_over_it() -> None:
    assert midicoth.DEFAULT_MEMLIMIT < _core.model_memory(midicoth.MAX_MEMORY_MIB)
    for decode in (
        lambda: midicoth.decompress(HUGE),
        lambda: midicoth.MidicothDecompressor().decompress(HUGE),
        lambda: midicoth.open(io.BytesIO(HUGE)).read(),
    ):
        with pytest.raises(MidicothError, match=r"needs 4096 MiB .* memory limit of 1024 MiB"):
            decode()


def test_limit_can_be_raised_or_lifted() -> None:
    need = _core.model_memory(midicoth.MAX_MEMORY_MIB)
    for memlimit in (need, None):
        assert midicoth.decompress(HUGE, memlimit=memlimit) == TEXT[:900]
        assert midicoth.MidicothDecompressor(memlimit=memlimit).decompress(HUGE) == TEXT[:900]
        with midicoth.open(io.BytesIO(HUGE), memlimit=memlimit) as f:
            assert f.read() == TEXT[:900]
    with pytest.raises(MidicothError, match="memory limit"):
        midicoth.decompress(PACKED, memlimit=_core.model_memory(MEM) - 1)


@pytest.mark.parametrize(
    "memlimit, error", [(-1, ValueError), (1.5, TypeError), ("1G", TypeError), (True, TypeError)]
)
def test_limit_is_validated(memlimit: object, error: type) -> None:
    with pytest.raises(error):
        midicoth.MidicothDecompressor(memlimit=memlimit)  # type: ignore[arg-type]
    with pytest.raises(error):
        midicoth.decompress(PACKED, memlimit=memlimit)  # type: ignore[arg-type]


def test_limit_applies_only_to_reading() -> None:
    with pytest.raises(ValueError, match="only when reading"):
        midicoth.open(io.BytesIO(), "wb", memlimit=1 << 20)


def test_limit_holds_fewer_engines_at_once_with_threads() -> None:
    """threads=4 with room for one model decodes on one engine at a time."""
    one = _core.model_memory(MEM)
    started = []
    real = midicoth_api._decompress_block

    def counting(*args: object) -> bytes | None:
        started.append(threading.get_ident())
        return real(*args)  # type: ignore[arg-type]

    midicoth_api._decompress_block = counting  # type: ignore[assignment]
    try:
        assert midicoth.decompress(BLOCKS, threads=4, memlimit=one) == TEXT * 4
        assert not started  # one engine at a time: the serial path
        assert midicoth.decompress(BLOCKS, threads=4, memlimit=2 * one) == TEXT * 4
        assert len(set(started)) <= 2
    finally:
        midicoth_api._decompress_block = real


def run_limited(code: str, address_space_mib: int, cwd: Path) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter whose address space is capped
    (in ``cwd``, away from a source tree that would shadow the installed package)."""
    prelude = textwrap.dedent(f"""
        import resource
        limit = {address_space_mib} << 20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    """)
    return subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
    )


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS and /proc are Linux's")
def test_refused_before_anything_is_allocated(tmp_path) -> None:
    """Under an address space far below the header's budget the refusal is
    MidicothError, not MemoryError: nothing was allocated first."""
    path = tmp_path / "huge.mdc"
    path.write_bytes(HUGE)
    done = run_limited(
        f"""
        import midicoth
        try:
            midicoth.decompress(open({str(path)!r}, "rb").read())
        except midicoth.MidicothError as exc:
            print("refused:", exc)
        """,
        address_space_mib=1024,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "refused: the stream's model needs 4096 MiB" in done.stdout


@pytest.mark.skipif(sys.platform != "linux", reason="VmHWM is in Linux's /proc")
def test_small_stream_touches_little_memory_whatever_its_budget(tmp_path) -> None:
    """A few hundred bytes decoded with the largest budget touch tens of
    MiB, not the budget (the engine pages its tables in small pages)."""
    path = tmp_path / "huge.mdc"
    path.write_bytes(HUGE)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
                import midicoth
                data = open({str(path)!r}, "rb").read()
                for _ in range(5):
                    midicoth.decompress(data, memlimit=None)
                for line in open("/proc/self/status"):
                    if line.startswith("VmHWM:"):
                        print(int(line.split()[1]) // 1024)
            """),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) < 256  # the budget is 4096 MiB


# --- arguments are checked before anything changes ------------------------------------


@pytest.mark.parametrize("module", [midicoth, lzma], ids=["midicoth", "lzma"])
@pytest.mark.parametrize("max_length", [None, 1.5, "3"])
def test_bad_max_length_consumes_nothing(module, max_length: object) -> None:
    packed = PACKED if module is midicoth else lzma.compress(TEXT)
    dec = midicoth.MidicothDecompressor() if module is midicoth else lzma.LZMADecompressor()
    with pytest.raises(TypeError):
        dec.decompress(packed, max_length)  # type: ignore[arg-type]
    assert dec.decompress(packed) == TEXT  # once, not twice
    assert dec.eof


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.compress("text"),
        lambda m: m.decompress("text"),
        lambda m: (m.MidicothCompressor() if m is midicoth else m.LZMACompressor()).compress("x"),
        lambda m: (m.MidicothDecompressor() if m is midicoth else m.LZMADecompressor()).decompress(
            "x"
        ),
    ],
)
def test_non_bytes_get_lzmas_message(call) -> None:
    for module in (lzma, midicoth):
        with pytest.raises(TypeError, match="a bytes-like object is required, not 'str'"):
            call(module)


@pytest.mark.parametrize("module", [midicoth, lzma], ids=["midicoth", "lzma"])
def test_file_read_negative_size(module) -> None:
    packed = PACKED if module is midicoth else lzma.compress(TEXT)
    with module.open(io.BytesIO(packed)) as f:
        with pytest.raises(ValueError):
            f.read(-5)
        assert f.read(-1) == TEXT
    with module.open(io.BytesIO(packed)) as f:
        assert f.read(None) == TEXT


# --- objects after an error -------------------------------------------------------------


def test_memory_error_says_the_object_cannot_be_reused(monkeypatch) -> None:
    def no_memory(**kwargs: object) -> None:
        raise MemoryError("cannot allocate")

    dec = midicoth.MidicothDecompressor()
    monkeypatch.setattr(midicoth_api._core, "Decoder", no_memory)
    with pytest.raises(MemoryError):
        dec.decompress(PACKED)
    monkeypatch.undo()
    with pytest.raises(MidicothError, match="cannot be reused after MemoryError"):
        dec.decompress(b"")
    assert midicoth.MidicothDecompressor().decompress(PACKED) == TEXT  # a new one works


def test_closed_decompressor_refuses_calls() -> None:
    dec = midicoth.MidicothDecompressor(threads=2)
    assert dec.decompress(BLOCKS, 10) == (TEXT * 4)[:10]
    dec.close()
    dec.close()  # twice is fine
    with pytest.raises(MidicothError, match="closed"):
        dec.decompress(b"")


# --- bounded work with threads --------------------------------------------------------


def test_max_length_bounds_the_blocks_started(monkeypatch) -> None:
    """Blocks are started only until they cover what was asked, plus at most
    one per worker; max_length=0 starts none."""
    started = []
    real = midicoth_api._decompress_block

    def counting(coded, block, *args):  # type: ignore[no-untyped-def]
        started.append(block.usize)
        return real(coded, block, *args)

    monkeypatch.setattr(midicoth_api, "_decompress_block", counting)
    dec = midicoth.MidicothDecompressor(threads=2)
    assert dec.decompress(BLOCKS, 0) == b""
    assert not started
    assert dec.decompress(b"", 1) == TEXT[:1]
    assert len(started) == 1
    blocks = len(midicoth.format.scan(io.BytesIO(BLOCKS)).__next__().blocks)
    assert blocks > 4
    out = [TEXT[:1]]
    while not dec.eof:
        out.append(dec.decompress(b"", 1 << 12))
        assert len(started) <= len(b"".join(out)) // (1 << 12) + 2
    assert b"".join(out) == TEXT * 4


def test_close_stops_a_block_in_flight() -> None:
    """A block being decoded on a worker gives up once close() is called: the
    call waiting for it raises instead of returning the block's data."""
    data = (TEXT * 200)[: 2 << 20]  # one block that takes a second or more to decode
    packed = midicoth.compress(data, memory_mib=MEM, block_size=midicoth.MAX_BLOCK_SIZE)
    dec = midicoth.MidicothDecompressor(threads=2)
    outcome: list[object] = []

    def decode() -> None:
        try:
            outcome.append(dec.decompress(packed))
        except MidicothError as exc:
            outcome.append(exc)

    waiting = threading.Thread(target=decode)
    waiting.start()
    while not any(t.name.startswith("midicoth") for t in threading.enumerate()):
        time.sleep(0.001)
    dec.close()
    waiting.join(30)
    assert not waiting.is_alive()
    assert isinstance(outcome[0], MidicothError) and "closed" in str(outcome[0])
