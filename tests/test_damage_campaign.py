"""The damaged-input campaign of tests/damage_campaign.py, in its quick setting.

It runs as a child process, so that a crash in the native core fails this
test (rather than killing pytest) and a hang is cut off by a timeout; the
child reports its counts as JSON, and they are printed here (``pytest -s``
shows them). Longer runs: see the script's docstring and docs/TESTING.md.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import damage_campaign
import pytest

import midicoth
from midicoth import MidicothError

HERE = Path(__file__).resolve().parent
PEAK_RSS_MIB = 256
"""Bound on the campaign process's peak memory: the streams declare 16 and
32 MiB budgets, and the ``memory`` cases rewrite them up to 4096 MiB, where
an engine told it decodes a few KiB touches tens of MiB, not its budget;
the interpreter, the package and click take about 40 MiB."""


@pytest.fixture(scope="module")
def campaign() -> dict:
    run = subprocess.run(
        [sys.executable, str(HERE / "damage_campaign.py"), "--json"],
        capture_output=True,
        timeout=900,
        check=False,
        cwd=HERE.parent,
    )
    assert run.returncode in (0, 1), run.stderr.decode()[-3000:]  # not killed by a signal
    return json.loads(run.stdout)


def test_every_damaged_case_is_refused(campaign: dict) -> None:
    print()
    print(json.dumps({k: v for k, v in campaign.items() if k != "failures"}, indent=1))
    assert campaign["failures"] == []
    assert campaign["cases"] >= 3000
    kinds = campaign["by_kind"]
    expected = {"bitflip", "truncate", "overwrite", "magic", "version", "header", "sizes"}
    expected |= {"method", "splice", "memory"}
    assert set(kinds) == expected
    for counts in kinds.values():
        assert counts.get("failure", 0) == 0
    # each line of defence catches something, and silent success is rare and harmless
    assert all(
        campaign["caught"].get(check, 0) > 50 for check in ("checksum", "coder", "structure")
    )
    assert campaign["intact"] < campaign["cases"] // 50
    assert campaign["cli_cases"] > 0
    # the budgets over the default memory limit are refused from the header
    assert kinds["memory"].get("limit", 0) > 0


def test_campaign_is_quick_and_small(campaign: dict) -> None:
    assert campaign["slowest_seconds"] < damage_campaign.TIME_BOUND
    if campaign["peak_rss_mib"]:  # measured where the resource module exists
        assert campaign["peak_rss_mib"] < PEAK_RSS_MIB


def test_only_the_known_gaps_pass_silently(campaign: dict) -> None:
    for label in campaign["known"]:
        assert label.rsplit(" / ", 1)[1] in damage_campaign.KNOWN_GAPS
    assert campaign["known"] == []  # format 2 has no known gap
    assert campaign["by_kind"]["splice"].get("checksum", 0) > 0  # swapped blocks, among others


@pytest.mark.parametrize("threads", [1, 2])
def test_swapped_independent_blocks_are_refused(threads: int) -> None:
    """Format 1's known gap, closed by format 2's chained block checks."""
    data = bytes(range(256)) * 4 + b"second block" * 100
    packed = midicoth.compress(data, memory_mib=16, block_size=1024, threads=threads)
    (first, n1), (second, n2), *_ = damage_campaign.block_offsets(packed)
    swapped = (
        packed[:first]
        + packed[second : second + n2]
        + packed[first : first + n1]
        + packed[second + n2 :]
    )
    assert midicoth.decompress(packed) == data
    with pytest.raises(MidicothError, match="block 0 is damaged or out of place"):
        midicoth.decompress(swapped)
    with pytest.raises(MidicothError, match="block 0"), midicoth.open(io.BytesIO(swapped)) as f:
        f.read()


@pytest.mark.parametrize("kind", ["bitflip", "sizes", "version", "truncate"])
def test_command_line_process_exits_1(kind: str, tmp_path: Path) -> None:
    """A sample through the real entry point: status 1, one line, no output file."""
    stream = damage_campaign.make_streams()[3]
    case = next(
        c
        for c in damage_campaign.all_cases(False, 1, 10, seed=3)
        if c.stream.name == stream.name and c.kind == kind
    )
    path = tmp_path / "damaged.mdc"
    path.write_bytes(case.damaged)
    run = subprocess.run(
        [sys.executable, "-m", "midicoth", "decompress", str(path)],
        capture_output=True,
        timeout=120,
        check=False,
        cwd=tmp_path,  # the installed package, not a source tree's
    )
    assert run.returncode == 1, (case.detail, run.stderr)
    assert run.stderr.count(b"\n") == 1 and b"Traceback" not in run.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["damaged.mdc"]
