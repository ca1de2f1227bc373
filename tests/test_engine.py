"""The native core through its binding (midicoth._core): segments round-trip
byte for byte, the model carries across segments, stages switch off, damaged
segments are refused, and the coder's own loss is negligible."""

from __future__ import annotations

import random

import pytest
from samples import SAMPLES

from corpora import synth
from midicoth import _core

SMALL = _core.MIN_MEMORY_MIB


def encode(data: bytes, stages: int = _core.ALL_STAGES, memory_mib: int = SMALL) -> bytes:
    enc = _core.Encoder(memory_mib=memory_mib, stages=stages)
    return enc.compress(data) + enc.end_segment()


def decode(
    coded: bytes, size: int, stages: int = _core.ALL_STAGES, memory_mib: int = SMALL
) -> bytes:
    dec = _core.Decoder(memory_mib=memory_mib, stages=stages)
    dec.start_segment(size)
    out = dec.decompress(coded, final=True)
    dec.end_segment()
    return out


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_round_trip(name: str) -> None:
    data = SAMPLES[name]
    coded = encode(data)
    assert decode(coded, len(data)) == data


def test_empty_segment_codes_to_nothing() -> None:
    assert encode(b"") == b""


def test_compresses_text_and_runs() -> None:
    assert len(encode(SAMPLES["text"])) < len(SAMPLES["text"]) / 3
    assert len(encode(SAMPLES["run"])) < 60


def test_random_data_expands_little() -> None:
    data = SAMPLES["random"]
    assert len(encode(data)) < len(data) * 1.04 + 16


@pytest.mark.parametrize("stages", range(_core.ALL_STAGES + 1))
def test_every_stage_combination(stages: int) -> None:
    data = SAMPLES["text"][:8000] + SAMPLES["binary_records"][:4000]
    coded = encode(data, stages)
    assert decode(coded, len(data), stages) == data


def test_stages_change_the_output() -> None:
    data = SAMPLES["text"]
    sizes = {stages: len(encode(data, stages)) for stages in (0, _core.ALL_STAGES)}
    assert sizes[_core.ALL_STAGES] < sizes[0]


def test_memory_budget_is_part_of_the_model() -> None:
    data = SAMPLES["text"]
    for memory in (16, 32):
        assert decode(encode(data, memory_mib=memory), len(data), memory_mib=memory) == data
    assert _core.model_memory(16) <= 16 << 20
    assert _core.model_memory(256) <= 256 << 20


def test_streamed_input_gives_the_same_bytes() -> None:
    data = SAMPLES["text"] + SAMPLES["binary_records"]
    enc = _core.Encoder(memory_mib=SMALL)
    rng = random.Random(3)
    pieces, pos = [], 0
    while pos < len(data):
        step = rng.choice([1, 2, 7, 100, 4096, 70000])
        pieces.append(enc.compress(data[pos : pos + step]))
        pos += step
    pieces.append(enc.end_segment())
    assert b"".join(pieces) == encode(data)
    assert enc.bytes_in == len(data)


def test_streamed_decoding_in_small_pieces() -> None:
    data = SAMPLES["text"]
    coded = encode(data)
    dec = _core.Decoder(memory_mib=SMALL)
    dec.start_segment(len(data))
    out = []
    rng = random.Random(5)
    pos = 0
    while pos < len(coded):
        step = rng.choice([1, 3, 33, 500])
        out.append(
            dec.decompress(
                coded[pos : pos + step],
                final=pos + step >= len(coded),
                max_length=rng.choice([-1, 0, 1, 50, 1000]),
            )
        )
        pos += step
    while dec.segment_remaining:
        piece = dec.decompress(b"", max_length=777)
        assert piece
        out.append(piece)
    dec.end_segment()
    assert b"".join(out) == data


def test_segments_share_the_model() -> None:
    """A second segment of the same text is much cheaper: the model remembers."""
    data = SAMPLES["text"][:10000]
    enc = _core.Encoder(memory_mib=SMALL)
    first = enc.compress(data) + enc.end_segment()
    second = enc.compress(data) + enc.end_segment()
    assert len(second) < len(first) / 4
    dec = _core.Decoder(memory_mib=SMALL)
    for coded in (first, second):
        dec.start_segment(len(data))
        assert dec.decompress(coded, final=True) == data
        dec.end_segment()


def test_truncated_segment_is_refused() -> None:
    data = SAMPLES["text"][:5000]
    coded = encode(data)
    dec = _core.Decoder(memory_mib=SMALL)
    dec.start_segment(len(data))
    with pytest.raises(ValueError):
        dec.decompress(coded[:-20], final=True)
        dec.end_segment()


def test_extra_coded_bytes_are_refused() -> None:
    data = SAMPLES["text"][:5000]
    coded = encode(data)
    dec = _core.Decoder(memory_mib=SMALL)
    dec.start_segment(len(data))
    dec.decompress(coded + b"\0" * 40, final=True)
    with pytest.raises(ValueError):
        dec.end_segment()


def test_garbage_is_mostly_refused_without_crashing() -> None:
    """Junk decodes to something or stops early; the coder's own check
    refuses most of it (the container's checksum catches the rest)."""
    rng = random.Random(11)
    refused = 0
    for _ in range(40):
        junk = rng.randbytes(rng.randrange(0, 300))
        dec = _core.Decoder(memory_mib=SMALL)
        dec.start_segment(2000)
        try:
            out = dec.decompress(junk, final=True)
            dec.end_segment()
            assert len(out) == 2000
        except ValueError:
            refused += 1
    assert refused >= 35


def test_lying_size_fails_fast() -> None:
    """A segment that claims far more bytes than its coded bytes can hold
    stops as soon as the decoder runs past them."""
    coded = encode(b"abc" * 10)
    dec = _core.Decoder(memory_mib=SMALL)
    dec.start_segment(50_000_000)
    with pytest.raises(ValueError, match="ends too early"):
        dec.decompress(coded, final=True)


@pytest.mark.parametrize(
    "memory, stages",
    [(15, 15), (24, 15), (8, 15), (16, 128), (16, 64 | 2), (16, 64 | 16), (16, -1), (1 << 20, 15)],
)
def test_invalid_parameters(memory: int, stages: int) -> None:
    with pytest.raises((ValueError, OverflowError)):
        _core.Encoder(memory_mib=memory, stages=stages)


def test_decoder_refuses_a_new_segment_mid_way() -> None:
    dec = _core.Decoder(memory_mib=SMALL)
    dec.start_segment(10)
    with pytest.raises(ValueError):
        dec.start_segment(10)


def test_coding_loss_is_negligible() -> None:
    """The coded size is within 0.1 % of the model's ideal code length."""
    data = synth.generate("text", 200000, 2) + SAMPLES["binary_records"]
    enc = _core.Encoder(memory_mib=SMALL, measure=True)
    coded = enc.compress(data) + enc.end_segment()
    ideal = enc.stats()["ideal_bits"]
    assert ideal > 0
    loss = (8 * len(coded) - ideal) / ideal
    assert -0.0001 < loss < 0.001, loss


@pytest.mark.parametrize(
    ("stages", "steps"), [(_core.PAPER_STAGES, 3), (_core.ALL_STAGES, 1)], ids=["paper", "mixed"]
)
def test_calibrator_statistics(stages: int, steps: int) -> None:
    """Every node on every byte's path is calibrated once per step: three steps
    in the paper's pipeline, one when the mixer follows, except the settled
    nodes, which only the mixed pipeline has and which skip the calibrator."""
    enc = _core.Encoder(memory_mib=SMALL, stages=stages)
    enc.compress(SAMPLES["text"])
    stats = enc.stats()
    assert stats["bytes"] == len(SAMPLES["text"])
    observed = stats["tweedie_observations"]
    assert len(observed) == 3 and all(len(row) == 8 for row in observed)
    per_step = [sum(row) for row in observed]
    settled = stats["settled_nodes"]
    if stages & _core.STAGE_MIX:
        assert 0 < settled < 8 * len(SAMPLES["text"])
    else:
        assert settled == 0
    assert per_step == [8 * len(SAMPLES["text"]) - settled] * steps + [0] * (3 - steps)
    deltas = [d for row in stats["tweedie_mean_abs_delta"][:steps] for d in row]
    assert all(0 <= d < 0.5 for d in deltas) and any(d > 0 for d in deltas)


def test_gil_is_released() -> None:
    """Two threads compressing at once both finish with correct output."""
    import threading

    data = SAMPLES["text"]
    results: dict[int, bytes] = {}

    def work(i: int) -> None:
        results[i] = encode(data)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results[0] == results[1] == encode(data)


CORPUS_SETS = ["canterbury", "calgary"]


@pytest.mark.parametrize("set_name", CORPUS_SETS)
def test_corpora_round_trip(set_name: str, corpus_set) -> None:
    """Every file of the standard sets round-trips byte for byte (default budget)."""
    for path in corpus_set(set_name):
        data = path.read_bytes()
        coded = encode(data, memory_mib=64)
        assert decode(coded, len(data), memory_mib=64) == data, path.name
        assert len(coded) < len(data)
