"""Tables of benchmark results: Markdown for people, CSV for programs.

Aggregates over a set of files:

- ``bpb`` is the total compressed bits over the total input bytes (big files
  weigh more), ``mean bpb`` the plain average of the files' bpb (the
  convention of the Calgary-corpus literature, where every file counts the
  same);
- speeds are total input bytes over the total of the per-file median times;
- peak memory is the largest of the per-file peaks.

Where a file appears in two sets with the same contents (``calgary/pic`` is
``canterbury/ptt5``), each set's table counts it, the combined table once.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.codecs import Codec
from bench.compare import Measurement
from bench.inputs import Input

MIB = float(1 << 20)
DASH = "–"


@dataclass
class Aggregate:
    """One codec over a group of files."""

    files: int = 0
    failed: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    bpb_sum: float = 0.0
    c_seconds: float = 0.0
    d_seconds: float = 0.0
    c_peak: int | None = None
    d_peak: int | None = None

    @property
    def bpb(self) -> float | None:
        return 8.0 * self.bytes_out / self.bytes_in if self.bytes_in else None

    @property
    def mean_bpb(self) -> float | None:
        return self.bpb_sum / self.files if self.files else None

    def speed(self, seconds: float) -> float | None:
        return self.bytes_in / seconds / 1e6 if seconds > 0 else None


def aggregate(measurements: Iterable[Measurement]) -> Aggregate:
    """Totals of one codec's measurements (failed ones are only counted)."""
    agg = Aggregate()
    for m in measurements:
        if not m.ok or m.bpb is None:
            agg.failed += 1
            continue
        agg.files += 1
        agg.bytes_in += m.input.size
        agg.bytes_out += m.compressed or 0
        agg.bpb_sum += m.bpb
        agg.c_seconds += m.compress.seconds or 0.0
        agg.d_seconds += m.decompress.seconds or 0.0
        for attr, peak in (("c_peak", m.compress.peak_bytes), ("d_peak", m.decompress.peak_bytes)):
            if peak is not None:
                setattr(agg, attr, max(getattr(agg, attr) or 0, peak))
    return agg


def distinct(inputs: Iterable[Input]) -> list[Input]:
    """Inputs with distinct contents (first occurrence kept)."""
    seen: set[str] = set()
    out = []
    for inp in inputs:
        if inp.sha256 not in seen:
            seen.add(inp.sha256)
            out.append(inp)
    return out


def codecs_of(measurements: Sequence[Measurement]) -> list[Codec]:
    out: list[Codec] = []
    for m in measurements:
        if m.codec not in out:
            out.append(m.codec)
    return out


def inputs_of(measurements: Sequence[Measurement]) -> list[Input]:
    out: list[Input] = []
    for m in measurements:
        if m.input not in out:
            out.append(m.input)
    return out


def sets_of(measurements: Sequence[Measurement]) -> list[str]:
    out: list[str] = []
    for m in measurements:
        if m.input.set not in out:
            out.append(m.input.set)
    return out


def _fmt_int(value: int | None) -> str:
    return DASH if value is None else f"{value:,}"


def _fmt_bpb(value: float | None) -> str:
    return DASH if value is None else f"{value:.3f}"


def _fmt_speed(value: float | None) -> str:
    if value is None:
        return DASH
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _fmt_mib(value: int | None) -> str:
    return DASH if value is None else f"{value / MIB:.1f}"


def table(header: Sequence[str], rows: Iterable[Sequence[str]], align: str) -> list[str]:
    """A Markdown table; `align` has one letter per column, l or r."""
    marks = {"l": ":--", "r": "--:"}
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(marks[a] for a in align) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _reference_total(inputs: Sequence[Input], attr: str) -> int | None:
    values = [getattr(inp.reference, attr) if inp.reference else None for inp in inputs]
    if not values or any(v is None for v in values):
        return None
    return sum(v for v in values if v is not None)


def summary_table(measurements: Sequence[Measurement], inputs: Sequence[Input]) -> list[str]:
    """Per codec totals over `inputs`, best bpb first, then reference rows."""
    keys = {inp.key for inp in inputs}
    rows = []
    for codec in codecs_of(measurements):
        agg = aggregate(m for m in measurements if m.codec == codec and m.input.key in keys)
        check = "ok" if not agg.failed else f"{agg.failed} failed"
        # Totals over fewer files are not comparable: say so and rank them last.
        part = f" ({agg.files} of {agg.files + agg.failed} files)" if agg.failed else ""
        rank = (1 if agg.failed else 0, agg.bpb if agg.bpb is not None else float("inf"))
        cells = [
            codec.name,
            _fmt_int(agg.bytes_out if agg.files else None) + part,
            _fmt_bpb(agg.bpb),
            _fmt_bpb(agg.mean_bpb),
            _fmt_speed(agg.speed(agg.c_seconds)),
            _fmt_speed(agg.speed(agg.d_seconds)),
            f"{_fmt_mib(agg.c_peak)} / {_fmt_mib(agg.d_peak)}",
            check,
        ]
        rows.append((rank, cells))
    rows.sort(key=lambda r: r[0])
    body = [r[1] for r in rows]
    total_in = sum(inp.size for inp in inputs)
    for label, attr in (
        ("*MDC7 (paper's program)*", "mdc_ref_bytes"),
        ("*PPMd, best setting*", "ppmd_best_bytes"),
    ):
        total = _reference_total(inputs, attr)
        if total is not None and total_in:
            mean = sum(8.0 * getattr(i.reference, attr) / i.size for i in inputs) / len(inputs)
            body.append(
                [
                    label,
                    _fmt_int(total),
                    _fmt_bpb(8.0 * total / total_in),
                    _fmt_bpb(mean),
                    DASH,
                    DASH,
                    DASH,
                    DASH,
                ]
            )
    header = [
        "Codec",
        "Bytes",
        "bpb",
        "Mean bpb",
        "Compress MB/s",
        "Decompress MB/s",
        "Peak MiB (c / d)",
        "Round trip",
    ]
    return table(header, body, "lrrrrrrl")


def _cell(m: Measurement | None, what: str) -> str:
    if m is None:
        return DASH
    if not m.ok:
        return "error"
    if what == "bytes":
        return _fmt_int(m.compressed)
    if what == "bpb":
        return _fmt_bpb(m.bpb)
    return f"{_fmt_speed(m.speed('compress'))} / {_fmt_speed(m.speed('decompress'))}"


def per_file_table(
    measurements: Sequence[Measurement], inputs: Sequence[Input], what: str
) -> list[str]:
    """One row per file, one column per codec; `what` is bytes, bpb or speed.

    The best codec of each row is in bold. Size tables add the reference
    sizes, and Midicoth's difference to the paper's program when both exist.
    """
    codecs = codecs_of(measurements)
    by_key = {(m.input.key, m.codec): m for m in measurements}
    with_refs = what != "speed" and any(inp.reference for inp in inputs)
    midicoth = next((c for c in codecs if c.family == "midicoth"), None)
    header = ["File", "Size"] + [c.name for c in codecs]
    if with_refs:
        header += ["MDC7 ref", "PPMd best"]
        if midicoth is not None:
            header.append(f"{midicoth.name} vs MDC7")
    rows = []
    for inp in inputs:
        cells = [by_key.get((inp.key, c)) for c in codecs]
        row = [inp.name, _fmt_int(inp.size)] + [_cell(m, what) for m in cells]
        if what != "speed":
            sizes = [m.compressed if m and m.ok else None for m in cells]
            best = min((s for s in sizes if s is not None), default=None)
            for i, size in enumerate(sizes):
                if size is not None and size == best:
                    row[2 + i] = f"**{row[2 + i]}**"
        if with_refs:
            ref = inp.reference
            for attr in ("mdc_ref_bytes", "ppmd_best_bytes"):
                value = getattr(ref, attr) if ref else None
                if value is None:
                    row.append(DASH)
                elif what == "bytes":
                    row.append(_fmt_int(value))
                else:
                    row.append(_fmt_bpb(8.0 * value / inp.size))
            if midicoth is not None:
                m = by_key.get((inp.key, midicoth))
                mdc = ref.mdc_ref_bytes if ref else None
                if m is not None and m.ok and mdc and m.compressed is not None:
                    row.append(f"{100.0 * (m.compressed - mdc) / mdc:+.2f} %")
                else:
                    row.append(DASH)
        rows.append(row)
    return table(header, rows, "lr" + "r" * (len(header) - 2))


def codec_table(codecs: Sequence[Codec]) -> list[str]:
    rows = [[c.name, f"`{c.label}`", c.version() or "not installed"] for c in codecs]
    return table(["Codec", "Setting", "Library"], rows, "lll")


def results_markdown(
    measurements: Sequence[Measurement],
    machine: Sequence[str],
    notes: Sequence[str] = (),
    charts: Sequence[str] = (),
    title: str = "# Benchmark results",
) -> str:
    """The whole results.md: machine, codecs, combined and per-set tables, charts."""
    inputs = inputs_of(measurements)
    sets = sets_of(measurements)
    sub = "#" * (title.count("#", 0, title.index(" ")) + 1)
    lines = [title, "", *machine, ""]
    lines += [
        (
            "Sizes are exact; speeds are MB/s of uncompressed data (median of repeated runs), "
            "peak memory is resident-set growth per direction (see `bench/compare.py` for how "
            "far to trust each). bpb = bits per input byte, lower is better; the best of each "
            "row is in bold. *MDC7* is the paper's reference program and *PPMd best* the best "
            "PPMd setting found, from `corpora/REFERENCE.tsv`."
        ),
        "",
    ]
    lines += codec_table(codecs_of(measurements)) + [""]
    for note in notes:
        lines.append(f"> {note}")
    if notes:
        lines.append("")
    failures = [m for m in measurements if not m.ok]
    if failures:
        lines += [f"{sub} Failures", ""]
        lines += [f"- {m.input.key} {m.codec.name}: {m.error}" for m in failures] + [""]
    if len(sets) > 1:
        unique = distinct(inputs)
        lines += [
            (
                f"{sub} All sets ({len(unique)} distinct files, "
                f"{sum(i.size for i in unique):,} bytes)"
            ),
            "",
        ]
        lines += summary_table(measurements, unique) + [""]
    for set_name in sets:
        group = [inp for inp in inputs if inp.set == set_name]
        lines += [
            f"{sub} {set_name} ({len(group)} files, {sum(i.size for i in group):,} bytes)",
            "",
        ]
        lines += summary_table(measurements, group) + [""]
        for what, caption in (
            ("bpb", "Bits per byte"),
            ("bytes", "Compressed bytes"),
            ("speed", "Speed, MB/s (compress / decompress)"),
        ):
            lines += [f"{sub}# {set_name}: {caption[0].lower()}{caption[1:]}", ""]
            lines += per_file_table(measurements, group, what) + [""]
    if charts:
        lines += [f"{sub} Charts", ""]
        lines += [f"![{Path(c).stem}]({c})" for c in charts] + [""]
    return "\n".join(lines)


CSV_FIELDS = [
    "set",
    "file",
    "bytes",
    "sha256",
    "codec",
    "setting",
    "library",
    "compressed_bytes",
    "bpb",
    "compress_s",
    "decompress_s",
    "compress_cpu_s",
    "decompress_cpu_s",
    "compress_mb_s",
    "decompress_mb_s",
    "compress_runs",
    "decompress_runs",
    "compress_peak_bytes",
    "decompress_peak_bytes",
    "roundtrip_ok",
    "deterministic",
    "mdc_ref_bytes",
    "ppmd_best_bytes",
    "error",
]


def _num(value: float | None, digits: int = 6) -> str:
    return "" if value is None else f"{value:.{digits}g}"


def write_csv(measurements: Sequence[Measurement], path: Path) -> None:
    """The raw figures, one row per file and codec."""
    versions = {c: c.version() for c in codecs_of(measurements)}
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for m in measurements:
            ref = m.input.reference
            writer.writerow(
                {
                    "set": m.input.set,
                    "file": m.input.name,
                    "bytes": m.input.size,
                    "sha256": m.input.sha256,
                    "codec": m.codec.name,
                    "setting": m.codec.label,
                    "library": versions[m.codec],
                    "compressed_bytes": "" if m.compressed is None else m.compressed,
                    "bpb": _num(m.bpb),
                    "compress_s": _num(m.compress.seconds),
                    "decompress_s": _num(m.decompress.seconds),
                    "compress_cpu_s": _num(m.compress.cpu_seconds),
                    "decompress_cpu_s": _num(m.decompress.cpu_seconds),
                    "compress_mb_s": _num(m.speed("compress")),
                    "decompress_mb_s": _num(m.speed("decompress")),
                    "compress_runs": m.compress.runs,
                    "decompress_runs": m.decompress.runs,
                    "compress_peak_bytes": _num_int(m.compress.peak_bytes),
                    "decompress_peak_bytes": _num_int(m.decompress.peak_bytes),
                    "roundtrip_ok": "" if m.roundtrip is None else int(m.roundtrip),
                    "deterministic": "" if m.deterministic is None else int(m.deterministic),
                    "mdc_ref_bytes": _num_int(ref.mdc_ref_bytes if ref else None),
                    "ppmd_best_bytes": _num_int(ref.ppmd_best_bytes if ref else None),
                    "error": m.error or "",
                }
            )


def _num_int(value: int | None) -> str:
    return "" if value is None else str(value)
