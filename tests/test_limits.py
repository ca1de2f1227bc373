"""Counters, lengths and positions of the core at their limits: what a stream
of more than 2^31 or 2^32 bytes does to them, without coding gigabytes.

docs/TESTING.md ("Limits") lists every counter of the core with its type,
its bound and what it does there; two C harnesses start each next to that
bound and run the code that reads and updates it, built with
AddressSanitizer + UndefinedBehaviorSanitizer (``-fno-sanitize-recover=all``:
an overflow, a shift out of range or an index out of bounds aborts) and the
core's asserts (``-DMDC_DEBUG``):

* ``tests/c/limits_components.c`` drives the components one by one (word,
  match, record, tweedie, mixer, binctx, apm, ppm/ctxtab, analyse, x86),
  their structs set as they would be after 2^31 or 2^32 bytes, or at the
  wrap of a 64-bit position, and checks each stated bound and that every
  output stays in range (a 200,000-letter word must code as a 70-letter
  one; positions past 2^32 must tell what positions from 0 tell);
* ``tests/c/limits_engine.c`` includes engine.c to set encoder and decoder
  alike (positions from 2^31, 2^32, 2^33 and 2^64 less 5000; a match's
  streak, the calibrator's buckets, the mixers' update counts and PPM's
  counts at their limits) and round trips segments in every mode, for four
  stage sets.

The core is compiled once with the sanitizers, ``-DANALYSE_MAX_BYTES=65536``
(so that the analyser's cap is reached by a small block; only the
components harness calls the analyser), and the calloc allocator of the
sanitizer builds (tests/c/alloc_plain.c). Skips when no compiler here
builds with the sanitizers. ``tests/long_stream.py`` is the real thing: one
stream of more than 4 GiB, for the long runs.
"""

from __future__ import annotations

import os
import re
import subprocess
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sanitizer_build import (
    CFLAGS,
    CSRC,
    HARNESS,
    SANITIZE,
    build,
    compiler_with,
    core_sources,
    sanitizer_env,
)

import midicoth
from midicoth import format as fmt

POSIX_ONLY = pytest.mark.skipif(os.name != "posix", reason="POSIX C toolchains")

ANALYSE_CAP = ["-DANALYSE_MAX_BYTES=65536"]


@pytest.fixture(scope="module")
def core_objects(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Path]]:
    """The compiler, and the core's sources compiled with the sanitizers, by file name."""
    tmp = tmp_path_factory.mktemp("limits")
    cc = compiler_with(SANITIZE, tmp)

    def compile_one(source: str) -> tuple[str, Path]:
        obj = tmp / (Path(source).stem + ".o")
        cmd = [cc, *SANITIZE, *ANALYSE_CAP, *CFLAGS, f"-I{CSRC}", f"-I{HARNESS}"]
        done = subprocess.run(
            [*cmd, "-c", "-o", str(obj), source], capture_output=True, check=False
        )
        assert done.returncode == 0, done.stderr.decode()[-4000:]
        return Path(source).name, obj

    with ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        objects = dict(pool.map(compile_one, core_sources()))
    return cc, objects


def run_harness(core: tuple[str, dict[str, Path]], harness: str, included: str, tmp: Path) -> str:
    """Build ``harness`` against the core less ``included`` (which the
    harness includes); run it; return its output, failing on any report."""
    cc, objects = core
    assert included in objects
    linked = [str(obj) for name, obj in sorted(objects.items()) if name != included]
    exe = build(cc, [*SANITIZE, *ANALYSE_CAP], [str(HARNESS / harness), *linked], tmp / "harness")
    run = subprocess.run(
        [str(exe)], capture_output=True, timeout=600, env=sanitizer_env(), check=False
    )
    out = run.stdout.decode()
    print(out)
    assert run.returncode == 0, run.stderr.decode()[-6000:]
    assert b"runtime error" not in run.stderr and b"Sanitizer" not in run.stderr
    return out


@POSIX_ONLY
def test_components_at_their_limits(core_objects, tmp_path: Path) -> None:
    out = run_harness(core_objects, "limits_components.c", "x86.c", tmp_path)
    components = ["word", "match", "record", "tweedie", "mixer", "binctx", "ppm", "analyse", "x86"]
    for component in components:
        assert re.search(rf"^{component}\b", out, re.MULTILINE), f"{component} was not checked"
    assert "all checks held" in out


@POSIX_ONLY
def test_engine_at_its_limits(core_objects, tmp_path: Path) -> None:
    out = run_harness(core_objects, "limits_engine.c", "engine.c", tmp_path)
    assert len(re.findall(r"^stages +\d+: .* round trip in every mode$", out, re.MULTILINE)) == 4
    assert "all checks held" in out


# --- the container ---------------------------------------------------------------------


def test_container_totals_past_2_32() -> None:
    """The end marker's total is a varint of up to 10 bytes: any 64-bit total
    packs and parses back (past 2^32 too), one beyond 64 bits is refused
    both ways, and a decoder compares it with what it decoded exactly."""
    params = fmt.StreamParams(
        memory_mib=16,
        stages=0,
        model_version=midicoth.MODEL_VERSION,
        independent=False,
        block_size=fmt.SOLID_BLOCK_SIZE,
    )
    for total in (2**31, 2**32 - 1, 2**32, 2**32 + 1, 2**33 + 7, 2**63, 2**64 - 1):
        marker = fmt.pack_end_marker(total)
        assert len(marker) <= fmt.END_MARKER_SIZE
        header, size = fmt.read_block_header(marker + b"more", params)
        assert header.end and header.usize == total and size == len(marker)
    with pytest.raises(ValueError):
        fmt.pack_end_marker(2**64)
    for value in (2**64, 2**70 - 1):  # 10 bytes, then 11: both refused
        head = b"\x00" + fmt.pack_varint(value)
        forged = head + (zlib.crc32(head) & 0xFFFF).to_bytes(2, "little")
        with pytest.raises(fmt.MidicothError, match="beyond 64 bits|longer than 10 bytes"):
            fmt.read_block_header(forged, params)
    # A stream that claims 2^32 bytes more than its blocks hold.
    good = midicoth.compress(b"limits" * 100, stages=0)
    trailer = fmt.pack_end_marker(600)
    assert good.endswith(trailer)
    lying = good[: -len(trailer)] + fmt.pack_end_marker(600 + 2**32)
    with pytest.raises(midicoth.MidicothError, match="end marker declares 4294967896 bytes"):
        midicoth.decompress(lying)
