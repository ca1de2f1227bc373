"""The lean model (STAGE_LEAN, compression level 1): which stage sets take
it, their names, and byte-exact round trips through the Python API in every
block mode."""

from __future__ import annotations

import pytest
from samples import SAMPLES

import midicoth
from corpora import synth
from midicoth import _core
from midicoth import format as fmt

LEAN = _core.STAGE_LEAN
# every valid stage set with the lean bit
LEAN_SETS = [
    LEAN,
    LEAN | _core.STAGE_MATCH,
    LEAN | _core.STAGE_APM,
    LEAN | _core.STAGE_MATCH | _core.STAGE_APM,
]
MEM = 16

INPUTS = {
    "text": SAMPLES["text"],
    "binary": SAMPLES["binary_records"],
    "random": SAMPLES["random"][:5000],
    "empty": b"",
    "one": b"x",
    "all256": SAMPLES["all256"],
    "all256x8": SAMPLES["all256x8"],
    "table": synth.generate("table", 20000),
    "numbers": synth.generate("numbers", 20000),
    "code": synth.generate("code", 20000),
}
MODES = {
    "none": 0,
    "record": _core.MODE_RECORD,
    "sparse": _core.MODE_SPARSE,
    "x86": _core.MODE_X86,
    "all": _core.MODE_ALL,
}


def test_valid_stage_sets() -> None:
    """The lean bit goes with match and apm only (mdc_check_params)."""
    for stages in range(_core.KNOWN_STAGES + 1):
        lean_ok = stages & LEAN == 0 or stages in LEAN_SETS
        assert _core.stages_valid(stages) == lean_ok, stages
    assert not _core.stages_valid(_core.KNOWN_STAGES + 1)
    assert not _core.stages_valid(-1)
    with pytest.raises(ValueError):
        midicoth.compress(b"abc", stages=LEAN | _core.STAGE_WORD)
    with pytest.raises(ValueError):
        _core.Encoder(memory_mib=MEM, stages=LEAN | _core.STAGE_MIX)


def test_names() -> None:
    for stages in LEAN_SETS:
        name = fmt.stages_name(stages)
        assert "lean" in name
        assert fmt.parse_stages(name) == stages
        assert fmt.parse_stages(str(stages)) == stages
    assert fmt.parse_stages("lean+match") == LEAN | _core.STAGE_MATCH


@pytest.mark.parametrize("stages", LEAN_SETS)
@pytest.mark.parametrize("name", sorted(INPUTS))
def test_round_trip(stages: int, name: str) -> None:
    data = INPUTS[name]
    packed = midicoth.compress(data, memory_mib=MEM, stages=stages)
    assert fmt.parse_stream_header(packed).stages == stages
    assert midicoth.decompress(packed) == data


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("name", sorted(INPUTS))
def test_round_trip_in_each_mode(mode: str, name: str) -> None:
    data = INPUTS[name]
    stages = LEAN | _core.STAGE_MATCH
    packed = midicoth.compress(data, memory_mib=MEM, stages=stages, modes=MODES[mode])
    assert midicoth.decompress(packed) == data


@pytest.mark.parametrize(
    "mode", [_core.MODE_RECORD, _core.MODE_SPARSE, _core.MODE_RECORD | _core.MODE_SPARSE]
)
def test_forced_mode_round_trips(mode: int) -> None:
    """Each structure mode set on the engine directly (the analyser may not
    choose it), with a record period, in two segments."""
    data = INPUTS["table"]
    stages = LEAN | _core.STAGE_MATCH
    period = 37 if mode & _core.MODE_RECORD else 0
    assert _core.mode_valid(mode, period, stages)
    enc = _core.Encoder(memory_mib=MEM, stages=stages)
    dec = _core.Decoder(memory_mib=MEM, stages=stages)
    half = len(data) // 2
    out = b""
    for i, piece in enumerate((data[:half], data[half:])):
        m = mode if i else 0
        enc.set_mode(m, period if m else 0)
        coded = enc.compress(piece) + enc.end_segment()
        dec.set_mode(m, period if m else 0)
        dec.start_segment(len(piece))
        out += dec.decompress(coded, final=True)
        dec.end_segment()
    assert out == data


def test_smaller_than_ppm_alone() -> None:
    text = SAMPLES["text"]
    lean = midicoth.compress(text, memory_mib=MEM, stages=LEAN | _core.STAGE_MATCH)
    ppm = midicoth.compress(text, memory_mib=MEM, stages=_core.STAGE_MATCH)
    assert len(lean) < len(ppm)
