"""PNG charts of benchmark results (needs matplotlib, the ``bench`` extra).

Every function returns the paths it wrote; ``available()`` says whether
matplotlib can be imported, so callers can skip charts without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.compare import Measurement
from bench.report import aggregate, codecs_of, distinct, inputs_of, sets_of


def available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


_COLORS = {
    "midicoth": "#d62728",
    "zlib": "#7f7f7f",
    "bz2": "#8c564b",
    "lzma": "#1f77b4",
    "zstd": "#2ca02c",
    "brotli": "#ff7f0e",
    "ppmd": "#9467bd",
}


def color(family: str) -> str:
    return _COLORS.get(family, "#17becf")


def bpb_vs_speed(measurements: Sequence[Measurement], path: Path) -> Path:
    """Scatter of total bpb against compression and decompression speed."""
    plt = _pyplot()
    inputs = distinct(inputs_of(measurements))
    keys = {inp.key for inp in inputs}
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
    for ax, direction in zip(axes, ("compress", "decompress")):
        for codec in codecs_of(measurements):
            agg = aggregate(m for m in measurements if m.codec == codec and m.input.key in keys)
            seconds = agg.c_seconds if direction == "compress" else agg.d_seconds
            speed = agg.speed(seconds)
            if agg.bpb is None or speed is None:
                continue
            ax.scatter([speed], [agg.bpb], s=60, color=color(codec.family), zorder=3)
            ax.annotate(
                codec.name, (speed, agg.bpb), textcoords="offset points", xytext=(6, 4), fontsize=9
            )
        ax.set_xscale("log")
        ax.set_xlabel(f"{direction} speed, MB/s (log scale)")
        ax.grid(True, which="both", alpha=0.3)
        ax.set_title(direction.capitalize())
    axes[0].set_ylabel("bits per byte (lower is better)")
    sets = ", ".join(sets_of(measurements))
    fig.suptitle(f"Size against speed: {sets} ({len(inputs)} files)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def bpb_per_file(measurements: Sequence[Measurement], set_name: str, path: Path) -> Path:
    """Grouped bars: bpb of every codec on every file of a set.

    The paper's program (MDC7) is marked by a black tick where its size is known.
    """
    plt = _pyplot()
    inputs = [inp for inp in inputs_of(measurements) if inp.set == set_name]
    codecs = codecs_of(measurements)
    by_key = {(m.input.key, m.codec): m for m in measurements}
    group = 0.8
    bar = group / max(1, len(codecs))
    width = max(8.0, 1.5 + 0.075 * len(inputs) * max(1, len(codecs)))
    fig, ax = plt.subplots(figsize=(width, 4.8))
    for j, codec in enumerate(codecs):
        xs, heights = [], []
        for i, inp in enumerate(inputs):
            m = by_key.get((inp.key, codec))
            if m is not None and m.ok and m.bpb is not None:
                xs.append(i - group / 2 + (j + 0.5) * bar)
                heights.append(m.bpb)
        ax.bar(xs, heights, width=bar, color=color(codec.family), label=codec.name)
    ref_x, ref_y = [], []
    for i, inp in enumerate(inputs):
        if inp.reference and inp.reference.mdc_ref_bytes:
            ref_x.append(i)
            ref_y.append(8.0 * inp.reference.mdc_ref_bytes / inp.size)
    if ref_x:
        ax.scatter(
            ref_x,
            ref_y,
            marker="_",
            s=500,
            linewidths=2,
            color="black",
            zorder=3,
            label="MDC7 (paper's program)",
        )
    ax.set_xticks(range(len(inputs)))
    ax.set_xticklabels([inp.name for inp in inputs], rotation=35, ha="right")
    ax.set_xlim(-0.6, len(inputs) - 0.4)
    ax.set_ylim(0, ax.get_ylim()[1] * 1.25)  # room for the legend above the bars
    ax.set_ylabel("bits per byte (lower is better)")
    ax.set_title(f"{set_name}: bits per byte per file")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize=8, ncol=min(4, len(codecs) + 1), loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def all_charts(measurements: Sequence[Measurement], out: Path) -> list[Path]:
    """Every chart of a comparison run, written into `out`."""
    if not measurements:
        return []
    paths = [bpb_vs_speed(measurements, out / "bpb_vs_speed.png")]
    for set_name in sets_of(measurements):
        paths.append(bpb_per_file(measurements, set_name, out / f"bpb_{set_name}.png"))
    return paths
