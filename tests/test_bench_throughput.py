"""Micro-benchmarks of the core's per-byte throughput (pytest-benchmark).

Skipped in the normal test run (``--benchmark-skip`` is in pytest's addopts);
run them on demand with::

    python -m pytest tests/test_bench_throughput.py -o addopts="" --benchmark-only

Inputs are fixed synthetic data (``corpora.synth``), so results compare
across commits on one machine. Each round builds a fresh Encoder/Decoder, so
the model's set-up cost is included, as it is for a user; 64 KiB inputs keep
that share small. Skipped, not failed, when the core is not built.
"""

from __future__ import annotations

import pytest

from corpora import generate

core = pytest.importorskip("midicoth._core")

SIZE = 1 << 16
KINDS = ["text", "binary", "random"]
MEMORY_MIB = core.DEFAULT_MEMORY_MIB


def _encode(data: bytes, stages: int = core.ALL_STAGES) -> bytes:
    enc = core.Encoder(memory_mib=MEMORY_MIB, stages=stages)
    return enc.compress(data) + enc.end_segment()


def _decode(coded: bytes, size: int, stages: int = core.ALL_STAGES) -> bytes:
    dec = core.Decoder(memory_mib=MEMORY_MIB, stages=stages)
    dec.start_segment(size)
    out = dec.decompress(coded, final=True)
    dec.end_segment()
    return out


def _note_rate(benchmark, size: int) -> None:
    benchmark.extra_info["input_bytes"] = size
    stats = getattr(benchmark, "stats", None)
    if stats is not None:
        benchmark.extra_info["MB_per_s_median"] = round(size / stats.stats.median / 1e6, 4)


@pytest.mark.parametrize("kind", KINDS)
def test_compress_throughput(benchmark, kind):
    data = generate(kind, SIZE)
    benchmark.group = "compress"
    coded = benchmark.pedantic(_encode, args=(data,), rounds=5, iterations=1, warmup_rounds=1)
    assert 0 < len(coded) <= SIZE * core.MAX_EXPANSION + 8
    _note_rate(benchmark, SIZE)


@pytest.mark.parametrize("kind", KINDS)
def test_decompress_throughput(benchmark, kind):
    data = generate(kind, SIZE)
    coded = _encode(data)
    benchmark.group = "decompress"
    out = benchmark.pedantic(_decode, args=(coded, SIZE), rounds=5, iterations=1, warmup_rounds=1)
    assert out == data
    _note_rate(benchmark, SIZE)


@pytest.mark.parametrize("stages", ["ppm", "all"])
def test_stage_cost(benchmark, stages):
    """Base PPM alone against every stage on: what the extra models cost per byte."""
    data = generate("text", SIZE)
    flags = 0 if stages == "ppm" else core.ALL_STAGES
    benchmark.group = "stages"
    benchmark.pedantic(_encode, args=(data, flags), rounds=3, iterations=1)
    _note_rate(benchmark, SIZE)
