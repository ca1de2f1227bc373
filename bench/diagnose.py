"""How large are the calibrator's corrections? (the paper's delta-versus-noise table)

Codes one file with every stage on and reads the core's diagnostics: per
calibration step and per confidence bin, the mean size of the Tweedie
correction |delta| actually applied (after shrinkage, in probability units,
weighted by observations) and the number of observations. A confidence bin
b holds the bytes whose PPM confidence C (the context's count plus the
Jeffreys prior of 128) lies in [4^b, 4^(b+1)); the paper reads the prior's
share gamma = 128 / C as the noise level that the calibrator undoes, so low
bins are noisy predictions and high bins confident ones.

The core also counts the ideal cost of the coded decisions (sum of -log2 p
of each coded bit); the gap between it and the real output is what the
arithmetic coder itself loses.

How far to trust the numbers: they are exact, deterministic statistics of
one run of the model; they describe this file only (the paper shows the
pattern changes with file size).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.inputs import Input
from bench.report import DASH, table

DELTA = "tweedie_mean_abs_delta"
COUNT = "tweedie_observations"
PRIOR = 128


def bin_range(b: int, bins: int = 8) -> tuple[int, int | None]:
    """The confidence values [low, high) of bin b of `bins`; the last is open-ended."""
    return (0 if b == 0 else 4**b), (None if b == bins - 1 else 4 ** (b + 1))


def c_range(b: int, bins: int = 8) -> str:
    low, high = bin_range(b, bins)
    return f"≥ {low:,}" if high is None else f"{low:,}–{high:,}"


def gamma_range(b: int, bins: int = 8) -> str:
    """The noise level gamma = 128 / C over bin b, as text."""
    low, high = bin_range(b, bins)
    low = max(low, PRIOR)  # C includes the prior, so C >= 128
    if high is not None and low >= high:
        return DASH
    top = min(1.0, PRIOR / low)
    if high is None:
        return f"≤ {top:.3f}"
    return f"{PRIOR / high:.3f}–{top:.3f}"


def collect(core: Any, data: bytes, memory_mib: int) -> tuple[dict[str, Any], int]:
    """(the core's statistics, coded size in bytes) after coding `data`."""
    try:
        enc = core.Encoder(memory_mib=memory_mib, stages=core.ALL_STAGES, measure=True)
    except TypeError:  # a core without the ideal-cost measure
        enc = core.Encoder(memory_mib=memory_mib, stages=core.ALL_STAGES)
    coded = enc.compress(data) + enc.end_segment()
    return enc.stats(), len(coded)


def _matrices(stats: dict[str, Any]) -> dict[str, list[list[float]]]:
    return {
        k: v
        for k, v in stats.items()
        if isinstance(v, list) and v and all(isinstance(row, list) for row in v)
    }


def delta_table(stats: dict[str, Any]) -> list[str]:
    """Rows: confidence bins with observations; columns: mean |delta| per step."""
    deltas = stats[DELTA]
    counts = stats.get(COUNT)
    steps = len(deltas)
    bins = len(deltas[0])
    header = ["Conf. bin", "C range", "γ = 128/C", "Observations"] + [
        f"Step {s + 1} mean abs δ" for s in range(steps)
    ]
    rows = []
    for b in range(bins):
        seen = counts[0][b] if counts else None
        if counts is not None and not any(counts[s][b] for s in range(steps)):
            continue
        rows.append(
            [str(b), c_range(b, bins), gamma_range(b, bins)]
            + [DASH if seen is None else f"{seen:,.0f}"]
            + [f"{deltas[s][b]:.5f}" for s in range(steps)]
        )
    return table(header, rows, "lrrr" + "r" * steps)


def markdown(
    inp: Input,
    stats: dict[str, Any],
    coded: int,
    machine: Sequence[str],
    memory_mib: int,
    charts: Sequence[str],
) -> str:
    lines = [
        f"# Calibrator diagnostic: {inp.key}",
        "",
        *machine,
        (
            f"- Input: {inp.size:,} bytes, coded to {coded:,} bytes "
            f"({8.0 * coded / inp.size if inp.size else 0:.4f} bpb), memory budget "
            f"{memory_mib} MiB"
        ),
        "",
    ]
    ideal = stats.get("ideal_bits") or 0.0
    if ideal > 0:
        lines += [
            (
                f"- Ideal cost of the coded decisions: {ideal / 8:,.1f} bytes; the coder "
                f"loses {100.0 * (8 * coded - ideal) / ideal:+.4f} % on top of it"
            ),
            "",
        ]
    if DELTA in stats:
        lines += [
            "## Mean |δ| per confidence bin and step",
            "",
            (
                "The Tweedie correction applied to a node's P(right), after James–Stein "
                "shrinkage, averaged over the observations of each bin."
            ),
            "",
        ]
        lines += delta_table(stats) + [""]
    for name, matrix in _matrices(stats).items():
        if name in (DELTA, COUNT):
            continue
        lines += [f"## {name}", ""]
        header = ["Step"] + [f"bin {b}" for b in range(len(matrix[0]))]
        lines += table(
            header,
            [[str(s + 1)] + [f"{v:.6g}" for v in row] for s, row in enumerate(matrix)],
            "l" + "r" * len(matrix[0]),
        ) + [""]
    if charts:
        lines += ["## Chart", ""] + [f"![{Path(c).stem}]({c})" for c in charts] + [""]
    return "\n".join(lines)


def write_csv(inp: Input, stats: dict[str, Any], path: Path) -> None:
    """Every matrix statistic, one row per (statistic, step, bin)."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["set", "file", "statistic", "step", "confidence_bin", "value"])
        for name, matrix in _matrices(stats).items():
            for s, row in enumerate(matrix):
                for b, value in enumerate(row):
                    w.writerow([inp.set, inp.name, name, s + 1, b, repr(float(value))])
        for name, value in stats.items():
            if isinstance(value, (int, float)):
                w.writerow([inp.set, inp.name, name, "", "", repr(float(value))])


def chart(inp: Input, stats: dict[str, Any], path: Path) -> Path:
    """Mean |delta| against noise level, one line per step (the paper's figure)."""
    from bench.charts import _pyplot

    plt = _pyplot()
    deltas = stats[DELTA]
    counts = stats.get(COUNT)
    bins = [
        b
        for b in range(len(deltas[0]))
        if counts is None or any(counts[s][b] for s in range(len(deltas)))
    ]
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for s, row in enumerate(deltas):
        ax.plot(range(len(bins)), [row[b] for b in bins], marker="o", label=f"step {s + 1}")
    ax.set_xticks(range(len(bins)))
    ax.set_xticklabels([f"{b}\nγ {gamma_range(b, len(deltas[0]))}" for b in bins], fontsize=8)
    ax.set_xlabel("confidence bin (noise level γ = 128 / C falls to the right)")
    ax.set_ylabel("mean |δ| applied")
    ax.set_title(f"Calibrator correction vs noise level: {inp.name}")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(
    inp: Input,
    out: Path,
    machine: Sequence[str],
    memory_mib: int | None,
    make_charts: bool,
    log: Callable[[str], None],
) -> int:
    try:
        from midicoth import _core as core
    except ImportError as exc:
        log(f"the Midicoth core is not built ({exc}): pip install -e . first")
        return 1
    data = inp.path.read_bytes()
    if memory_mib is None:
        from midicoth import auto_memory_mib

        memory_mib = auto_memory_mib(len(data))
    log(f"coding {inp.key} ({inp.size:,} bytes) with statistics on")
    stats, coded = collect(core, data, memory_mib)
    stem = f"diagnose_{inp.name}"
    charts = [chart(inp, stats, out / f"{stem}.png")] if make_charts and DELTA in stats else []
    (out / f"{stem}.md").write_text(
        markdown(inp, stats, coded, machine, memory_mib, [c.name for c in charts]), encoding="utf-8"
    )
    write_csv(inp, stats, out / f"{stem}.csv")
    log(
        f"wrote {out / (stem + '.md')}, {out / (stem + '.csv')}" + "".join(f", {c}" for c in charts)
    )
    return 0
