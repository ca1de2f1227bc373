"""Memory safety: the core and the extension under AddressSanitizer and
UndefinedBehaviorSanitizer, and coverage-guided fuzzing of the decoder.

* ``test_core_under_sanitizers`` builds the C core with the harness
  tests/c/sanitize_engine.c (round trips of varied inputs, then truncated,
  flipped, overwritten, extended, garbage and size-lying segments fed to
  the decoder) with ``-fsanitize=address,undefined`` and the core's own
  asserts (``-DMDC_DEBUG``); any report aborts the run.
* ``test_extension_under_sanitizers`` compiles the Cython extension the same
  way into a temporary copy of the package and runs, against it, the engine,
  API, format and round-trip tests and a lighter damaged-input campaign
  (the interpreter is not instrumented, so the sanitizer runtime is
  preloaded; leak checking is off, as CPython keeps memory until exit).
* ``test_fuzz_targets`` builds tests/c/fuzz_decode.c and
  tests/c/fuzz_roundtrip.c with libFuzzer (clang), seeds their corpora from
  valid segments made by the installed extension, and runs both at once
  for a bounded time; ``test_fuzz_smoke_without_libfuzzer`` runs the same
  targets under tests/c/fuzz_main.c (random mutants of the seeds, no
  coverage guidance) with any compiler, so that CI always fuzzes.

Each test skips when its toolchain is missing. The tables of the core come
from tests/c/alloc_plain.c (calloc) instead of csrc/alloc.c (mmap), so that
AddressSanitizer guards each of them.

Knobs for long runs (docs/TESTING.md): ``MIDICOTH_FUZZ_SECONDS`` (per target,
default 20 with libFuzzer, 10 for the smoke run), ``MIDICOTH_FUZZ_CORPUS`` (a directory that keeps the corpora
between runs), ``MIDICOTH_SANITIZE_SCALE`` (sanitize_engine's SCALE, default 1).
"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from sanitizer_build import (
    CSRC,
    HARNESS,
    SANITIZE,
    build,
    compiler_with,
    core_sources,
    sanitizer_env,
)

from corpora import synth
from midicoth import _core

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    os.name != "posix", reason="needs a POSIX C toolchain (gcc or clang)"
)


# --- the core -------------------------------------------------------------------------


def test_core_under_sanitizers(tmp_path: Path) -> None:
    cc = compiler_with(SANITIZE, tmp_path)
    exe = build(
        cc, SANITIZE, [str(HARNESS / "sanitize_engine.c"), *core_sources()], tmp_path / "sc"
    )
    scale = os.environ.get("MIDICOTH_SANITIZE_SCALE", "1")
    run = subprocess.run(
        [str(exe), scale], capture_output=True, timeout=3600, env=sanitizer_env(), check=False
    )
    print(run.stdout.decode())
    assert run.returncode == 0, run.stderr.decode()[-6000:]
    assert b"runtime error" not in run.stderr and b"Sanitizer" not in run.stderr
    trips = int(re.search(rb"round trips: (\d+)", run.stdout).group(1))
    damaged = int(re.search(rb"damaged segments: (\d+)", run.stdout).group(1))
    assert trips >= 100 and damaged >= 3000


# --- the extension --------------------------------------------------------------------

EXTENSION_TESTS = [
    "tests/test_engine.py",
    "tests/test_api.py",
    "tests/test_format.py",
    "tests/test_format_golden.py",
    "tests/test_roundtrip_fuzzing.py",
]
# the exhaustive damage tests of test_format are covered by the campaign below
EXTENSION_DESELECT = "not corpora and not every_truncation and not every_bit_flip and not process"


def runtime_library(cc: str, name: str) -> str | None:
    found = subprocess.run(
        [cc, f"-print-file-name={name}"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return found if os.path.isabs(found) and os.path.exists(found) else None


def test_extension_under_sanitizers(tmp_path: Path) -> None:
    cython = pytest.importorskip(
        "Cython.Build", reason="Cython is not installed (the test extra brings it)"
    )
    del cython
    cc = compiler_with(SANITIZE, tmp_path, names=("gcc",))
    preload = [runtime_library(cc, "libasan.so"), runtime_library(cc, "libubsan.so")]
    if None in preload:
        pytest.skip(f"{cc} has no shared ASan/UBSan runtime (libasan.so, libubsan.so) to preload")
    package = tmp_path / "site" / "midicoth"
    shutil.copytree(
        ROOT / "midicoth", package, ignore=shutil.ignore_patterns("*.so", "*.c", "__pycache__")
    )
    c_file = tmp_path / "_core.c"
    cythonized = subprocess.run(
        [
            sys.executable,
            "-m",
            "cython",
            "-3",
            "-I",
            str(CSRC),
            "-o",
            str(c_file),
            str(package / "_core.pyx"),
        ],
        capture_output=True,
        check=False,
    )
    assert cythonized.returncode == 0, cythonized.stderr.decode()[-3000:]
    include = sysconfig.get_paths()["include"]
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    build(
        cc,
        [*SANITIZE, f"-I{include}"],
        [str(c_file), *core_sources()],
        package / f"_core{suffix}",
        shared=True,
    )

    env = sanitizer_env(
        LD_PRELOAD=" ".join(p for p in preload if p),
        ASAN_OPTIONS="detect_leaks=0:halt_on_error=1",
        PYTHONPATH=str(package.parent),
    )
    where = subprocess.run(
        [sys.executable, "-c", "import midicoth._core as c; print(c.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert where.returncode == 0, where.stderr[-3000:]
    assert where.stdout.strip().startswith(str(package)), where.stdout  # the instrumented build

    # Two children at once (two cores): the tests, and the damaged-input campaign.
    tests = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-x",
            "-k",
            EXTENSION_DESELECT,
            *(str(ROOT / t) for t in EXTENSION_TESTS),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=tmp_path,
    )
    campaign = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "tests" / "damage_campaign.py"),
            "--sample",
            "-20",
            "--overwrites",
            "5",
            "--cli",
            "2",
            # an instrumented engine of 1-4 GiB (the memory cases) takes seconds to set up
            "--time-bound",
            "30",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=tmp_path,
    )
    test_out, _ = tests.communicate(timeout=1800)
    campaign_out, _ = campaign.communicate(timeout=1800)
    print(test_out.decode()[-1500:])
    print(campaign_out.decode()[-1500:])
    for out in (test_out, campaign_out):
        assert b"ERROR: AddressSanitizer" not in out and b"runtime error" not in out
    assert tests.returncode == 0, test_out.decode()[-6000:]
    assert campaign.returncode == 0, campaign_out.decode()[-6000:]
    assert re.search(rb"\d+ passed", test_out)


# --- coverage-guided fuzzing ----------------------------------------------------------


def seed_inputs(rng: random.Random) -> tuple[list[bytes], list[bytes]]:
    """Seeds for fuzz_decode ([stages][size lo][size hi][hand-over] + segment)
    and fuzz_roundtrip ([stages][pieces] + data), from valid segments."""
    texts = [
        b"",
        b"x",
        bytes(range(256)),
        b"a" * 1500,
        rng.randbytes(600),
        synth.generate("text", 2000, rng.randrange(1 << 16)),
        b"".join(i.to_bytes(4, "little") + b"\x01\x00" for i in range(200)),
    ]
    decode_seeds, trip_seeds = [], []
    for i, data in enumerate(texts):
        for stages in (_core.ALL_STAGES, _core.PAPER_STAGES, 0, rng.randrange(64)):
            enc = _core.Encoder(memory_mib=_core.MIN_MEMORY_MIB, stages=stages)
            segment = enc.compress(data) + enc.end_segment()
            size = len(data) & 0xFFF
            hand = rng.randrange(256)
            decode_seeds.append(bytes([stages, size & 0xFF, size >> 8, hand]) + segment)
            trip_seeds.append(bytes([stages, (i * 37 + stages) & 0xFF]) + data[:1000])
    return decode_seeds, trip_seeds


def test_fuzz_targets(tmp_path: Path) -> None:
    flags = ["-fsanitize=fuzzer,address,undefined", "-fno-sanitize-recover=all"]
    probe = tmp_path / "probe.c"
    probe.write_text(
        "#include <stddef.h>\n#include <stdint.h>\n"
        "int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n"
    )
    if shutil.which("clang") is None:
        pytest.skip("clang is not installed: libFuzzer comes with clang only (Debian: clang)")
    linked = subprocess.run(
        ["clang", *flags, "-o", str(tmp_path / "probe"), str(probe)],
        capture_output=True,
        check=False,
    )
    if linked.returncode != 0:
        pytest.skip("clang here cannot link -fsanitize=fuzzer (Debian: libclang-rt-dev)")

    seconds = int(os.environ.get("MIDICOTH_FUZZ_SECONDS", "20"))
    keep = os.environ.get("MIDICOTH_FUZZ_CORPUS")
    corpus_root = Path(keep) if keep else tmp_path / "corpus"
    decode_seeds, trip_seeds = seed_inputs(random.Random(1))
    runs = {}
    for name, seeds in (("fuzz_decode", decode_seeds), ("fuzz_roundtrip", trip_seeds)):
        exe = build("clang", flags, [str(HARNESS / f"{name}.c"), *core_sources()], tmp_path / name)
        corpus = corpus_root / name
        corpus.mkdir(parents=True, exist_ok=True)
        for i, seed in enumerate(seeds):
            (corpus / f"seed-{i:03d}").write_bytes(seed)
        artifacts = tmp_path / f"{name}-artifacts"
        artifacts.mkdir()
        runs[name] = subprocess.Popen(
            [
                str(exe),
                str(corpus),
                f"-max_total_time={seconds}",
                "-max_len=4096",
                "-timeout=20",
                "-rss_limit_mb=2048",
                "-print_final_stats=1",
                f"-artifact_prefix={artifacts}/",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=sanitizer_env(),
        )
    failures = []
    for name, proc in runs.items():
        out, _ = proc.communicate(timeout=seconds + 600)
        text = out.decode(errors="replace")
        done = re.search(r"Done (\d+) runs in (\d+) second", text)
        cov = re.findall(r"cov: (\d+) ft: (\d+) corp: (\d+)", text)
        print(
            f"{name}: {done.group(0) if done else 'no summary'}; last cov/ft/corpus: "
            f"{cov[-1] if cov else '?'}"
        )
        if proc.returncode != 0 or not done:
            failures.append(f"{name} (exit {proc.returncode}):\n{text[-5000:]}")
    assert not failures, "\n\n".join(failures)


def test_fuzz_smoke_without_libfuzzer(tmp_path: Path) -> None:
    """The fuzz targets under ASan/UBSan on any compiler: tests/c/fuzz_main.c
    runs every seed and then random mutants of them (no coverage guidance)
    for a bounded time, both targets at once. Where clang is, the libFuzzer
    run above goes further; this one runs on every CI machine."""
    cc = compiler_with(SANITIZE, tmp_path)
    seconds = os.environ.get("MIDICOTH_FUZZ_SECONDS", "10")
    decode_seeds, trip_seeds = seed_inputs(random.Random(2))
    runs = {}
    for name, seeds in (("fuzz_decode", decode_seeds), ("fuzz_roundtrip", trip_seeds)):
        exe = build(
            cc,
            SANITIZE,
            [str(HARNESS / "fuzz_main.c"), str(HARNESS / f"{name}.c"), *core_sources()],
            tmp_path / name,
        )
        paths = []
        for i, seed in enumerate(seeds):
            path = tmp_path / f"{name}-seed-{i:03d}"
            path.write_bytes(seed)
            paths.append(str(path))
        runs[name] = subprocess.Popen(
            [str(exe), seconds, "1", *paths],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=sanitizer_env(),
        )
    failures = []
    for name, proc in runs.items():
        out, _ = proc.communicate(timeout=float(seconds) + 600)
        text = out.decode(errors="replace")
        done = re.search(r"Done (\d+) runs", text)
        print(f"{name}: {done.group(0) if done else 'no summary'}")
        if proc.returncode != 0 or not done or int(done.group(1)) <= len(decode_seeds):
            failures.append(f"{name} (exit {proc.returncode}):\n{text[-5000:]}")
    assert not failures, "\n\n".join(failures)
