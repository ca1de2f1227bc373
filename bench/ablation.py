"""What does each stage of Midicoth's model contribute? (the paper's ablation)

Codes every file with the stages switched on one at a time, cumulatively:
base PPM, +match, +word, +highctx, +tweedie, then any further stage of the
default model the core exports (a ``STAGE_*`` constant of ``midicoth._core``
within ``ALL_STAGES``), in the order of its bit. Each configuration runs in this process through the core's Encoder
directly (``compress`` + ``end_segment``), so sizes are raw coded bytes
without the container's framing, comparable with the paper's program.

Then, with every stage on, the block modes are allowed to the analyser one
at a time, cumulatively: +record, +sparse, +x86 (those the core exports, a
``MODE_*`` constant). These rows code the file in blocks of 1 MiB, a segment
each, as the container does: ``analyse`` picks each block's mode and record
period among those allowed, ``set_mode`` sets it, and an x86 block is coded
after ``x86_encode``. The analyser's choices are reported per file and block.

How far to trust the numbers: sizes are exact and deterministic. Times are
one run each, wall clock, in this process: a rough guide to what a stage
costs, not a speed benchmark (use ``python -m bench compare`` for that).
``--verify`` also decodes every configuration and compares it byte for byte
(an x86 block after ``x86_decode``, so the transform is checked too).
"""

from __future__ import annotations

import csv
import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from bench.inputs import Input
from bench.report import DASH, table

PAPER_ORDER = ["MATCH", "WORD", "HIGHCTX", "TWEEDIE"]
MODE_ORDER = ["RECORD", "SPARSE", "X86"]
BLOCK_SIZE = 1 << 20
NO_MODE = "-"


@dataclass
class Row:
    """One file coded with one configuration."""

    input: Input
    config: str
    stages: int
    compressed: int
    seconds: float
    verified: bool | None
    allowed: int = 0
    modes: tuple[str, ...] = ()

    @property
    def bpb(self) -> float:
        return 8.0 * self.compressed / self.input.size if self.input.size else 0.0


def configurations(core: ModuleType) -> list[tuple[str, int]]:
    """(label, stage flags) from base PPM to every stage on, cumulatively:
    the stages of the default model (``ALL_STAGES``); the lean model, which
    replaces PPM, is no step of it."""
    flags = {
        name[len("STAGE_") :]: getattr(core, name)
        for name in dir(core)
        if name.startswith("STAGE_") and getattr(core, name) & ~core.ALL_STAGES == 0
    }
    ordered = [n for n in PAPER_ORDER if n in flags]
    ordered += sorted((n for n in flags if n not in PAPER_ORDER), key=lambda n: flags[n])
    configs = [("base PPM", 0)]
    stages = 0
    for name in ordered:
        stages |= flags[name]
        configs.append((f"+{name.lower()}", stages))
    return configs


def mode_configurations(core: ModuleType) -> list[tuple[str, int]]:
    """(label, modes allowed to the analyser) for the mode rows, cumulatively.

    Empty when the core has no analyser (a core built before the modes).
    """
    if not hasattr(core, "analyse"):
        return []
    configs = []
    allowed = 0
    for name in MODE_ORDER:
        flag = getattr(core, f"MODE_{name}", 0)
        if flag:
            allowed |= flag
            configs.append((f"+{name.lower()}", allowed))
    return configs


def mode_label(core: ModuleType, mode: int, period: int) -> str:
    """A block's mode as the tables write it: ``x86+sparse``, ``record/216``,
    ``record/lines`` (record contexts by lines), ``-`` for none."""
    parts = []
    if mode & getattr(core, "MODE_X86", 0):
        parts.append("x86")
    if mode & getattr(core, "MODE_RECORD", 0):
        parts.append(f"record/{period}" if period else "record/lines")
    if mode & getattr(core, "MODE_SPARSE", 0):
        parts.append("sparse")
    return "+".join(parts) or NO_MODE


def summarize_modes(labels: Sequence[str]) -> str:
    """Block choices in order, runs of one choice counted: ``x86+sparse ×3, sparse``."""
    runs: list[list[Any]] = []
    for label in labels:
        if runs and runs[-1][0] == label:
            runs[-1][1] += 1
        else:
            runs.append([label, 1])
    return ", ".join(label if n == 1 else f"{label} ×{n}" for label, n in runs) or NO_MODE


def code_blocks(
    core: ModuleType,
    data: bytes,
    stages: int,
    memory_mib: int,
    allowed: int,
    verify: bool,
    block_size: int = BLOCK_SIZE,
    forced: tuple[int, int] | None = None,
) -> tuple[int, float, bool | None, tuple[str, ...]]:
    """(coded size, seconds to encode, decoded equal or None, mode per block) of
    `data` coded in blocks of `block_size`, a segment each, with the block
    modes the analyser picks among `allowed`.

    ``forced`` = (mode, period) codes every block in that mode instead of
    asking the analyser (ValueError from ``set_mode`` if the engine cannot).
    Seconds include the analysis and the x86 transform.
    """
    t0 = time.perf_counter()
    enc = core.Encoder(memory_mib=memory_mib, stages=stages)
    pieces: list[tuple[int, int, int, bytes]] = []  # (mode, period, block size, coded)
    for start in range(0, len(data), block_size):
        block = data[start : start + block_size]
        mode, period = forced if forced is not None else core.analyse(block, stages, allowed)
        if mode & getattr(core, "MODE_X86", 0):
            transformed = bytearray(block)
            core.x86_encode(transformed)
            block = bytes(transformed)
        enc.set_mode(mode, period)
        pieces.append((mode, period, len(block), enc.compress(block) + enc.end_segment()))
    seconds = time.perf_counter() - t0
    labels = tuple(mode_label(core, mode, period) for mode, period, _, _ in pieces)
    verified = None
    if verify:
        dec = core.Decoder(memory_mib=memory_mib, stages=stages)
        out = bytearray()
        for mode, period, size, coded in pieces:
            dec.set_mode(mode, period)
            dec.start_segment(size)
            decoded = bytearray(dec.decompress(coded, final=True))
            dec.end_segment()
            if mode & getattr(core, "MODE_X86", 0):
                core.x86_decode(decoded)
            out += decoded
        verified = out == data
    return sum(len(coded) for *_, coded in pieces), seconds, verified, labels


def code(
    core: ModuleType, data: bytes, stages: int, memory_mib: int, verify: bool
) -> tuple[int, float, bool | None]:
    """(coded size, seconds to encode, decoded equal or None) of one configuration."""
    t0 = time.perf_counter()
    enc = core.Encoder(memory_mib=memory_mib, stages=stages)
    coded = enc.compress(data) + enc.end_segment()
    seconds = time.perf_counter() - t0
    verified = None
    if verify:
        dec = core.Decoder(memory_mib=memory_mib, stages=stages)
        dec.start_segment(len(data))
        decoded = dec.decompress(coded, final=True)
        dec.end_segment()
        verified = decoded == data
    return len(coded), seconds, verified


def run(
    inputs: Sequence[Input],
    core: ModuleType,
    memory_mib: int | None,
    verify: bool,
    log: Callable[[str], None],
) -> list[Row]:
    """Code every input in every configuration; with ``memory_mib`` None the
    budget is chosen per file as ``midicoth.compress`` chooses it."""
    from midicoth import auto_memory_mib

    rows: list[Row] = []
    configs = configurations(core)
    modes = mode_configurations(core)
    for inp in inputs:
        data = inp.path.read_bytes()
        memory = memory_mib if memory_mib is not None else auto_memory_mib(len(data))
        for label, stages in configs:
            size, seconds, verified = code(core, data, stages, memory, verify)
            rows.append(Row(inp, label, stages, size, seconds, verified))
            _log_row(log, rows[-1])
        stages = configs[-1][1]
        for label, allowed in modes:
            size, seconds, verified, chosen = code_blocks(
                core, data, stages, memory, allowed, verify
            )
            rows.append(Row(inp, label, stages, size, seconds, verified, allowed, chosen))
            _log_row(log, rows[-1])
    return rows


def _log_row(log: Callable[[str], None], row: Row) -> None:
    check = "" if row.verified is None else (", verified" if row.verified else ", MISMATCH")
    chosen = f", modes {summarize_modes(row.modes)}" if row.allowed else ""
    log(
        f"{row.input.key} {row.config}: {row.compressed} bytes, {row.bpb:.3f} bpb, "
        f"{row.seconds:.2f} s{chosen}{check}"
    )


def _set_table(rows: Sequence[Row], inputs: Sequence[Input], configs: list[str]) -> list[str]:
    by = {(r.input.key, r.config): r for r in rows}
    header = ["File", "Size"] + configs + ["MDC7 ref", "full vs MDC7"]
    body = []
    totals = dict.fromkeys(configs, 0)
    for inp in inputs:
        cells = [inp.name, f"{inp.size:,}"]
        for c in configs:
            cells.append(f"{by[(inp.key, c)].bpb:.3f}")
            totals[c] += by[(inp.key, c)].compressed
        ref = inp.reference.mdc_ref_bytes if inp.reference else None
        full = by[(inp.key, configs[-1])].compressed
        cells.append(f"{8.0 * ref / inp.size:.3f}" if ref else DASH)
        cells.append(f"{100.0 * (full - ref) / ref:+.2f} %" if ref else DASH)
        body.append(cells)
    size = sum(i.size for i in inputs)
    refs = [i.reference.mdc_ref_bytes if i.reference else None for i in inputs]
    ref_total = sum(r for r in refs if r) if all(refs) else None
    total_row = ["**total**", f"{size:,}"] + [f"{8.0 * totals[c] / size:.3f}" for c in configs]
    total_row.append(f"{8.0 * ref_total / size:.3f}" if ref_total else DASH)
    total_row.append(
        f"{100.0 * (totals[configs[-1]] - ref_total) / ref_total:+.2f} %" if ref_total else DASH
    )
    body.append(total_row)
    return table(header, body, "lr" + "r" * (len(header) - 2))


def _gain_table(rows: Sequence[Row], inputs: Sequence[Input], configs: list[str]) -> list[str]:
    """Per file: how much smaller each stage makes the output than the one before."""
    by = {(r.input.key, r.config): r.compressed for r in rows}
    header = ["File"] + configs[1:] + ["all after base PPM"]
    body = []
    groups = [(inp.name, [inp]) for inp in inputs] + [("**total**", list(inputs))]
    for name, group in groups:
        sizes = [sum(by[(i.key, c)] for i in group) for c in configs]
        cells = [name]
        for before, after in itertools.pairwise(sizes):
            cells.append(f"{100.0 * (before - after) / before:+.2f} %" if before else DASH)
        cells.append(f"{100.0 * (sizes[0] - sizes[-1]) / sizes[0]:+.2f} %" if sizes[0] else DASH)
        body.append(cells)
    return table(header, body, "l" + "r" * (len(header) - 1))


def _mode_table(rows: Sequence[Row], inputs: Sequence[Input]) -> list[str]:
    """Per file: the analyser's choice for each block, under each set of modes allowed."""
    mode_rows = [r for r in rows if r.allowed]
    configs: list[str] = []
    for r in mode_rows:
        if r.config not in configs:
            configs.append(r.config)
    by = {(r.input.key, r.config): r for r in mode_rows}
    header = ["File", "Blocks"] + configs
    body = []
    for inp in inputs:
        cells = [inp.name, str(-(-inp.size // BLOCK_SIZE))]
        for c in configs:
            row = by.get((inp.key, c))
            cells.append(summarize_modes(row.modes) if row else DASH)
        body.append(cells)
    return table(header, body, "lr" + "l" * len(configs))


def markdown(
    rows: Sequence[Row],
    machine: Sequence[str],
    memory_mib: int | None,
    version: Any,
    charts: Sequence[str],
) -> str:
    inputs: list[Input] = []
    for r in rows:
        if r.input not in inputs:
            inputs.append(r.input)
    configs: list[str] = []
    for r in rows:
        if r.config not in configs:
            configs.append(r.config)
    lines = [
        "# Ablation: what each stage contributes",
        "",
        *machine,
        f"- Midicoth core: model version {version}, memory budget "
        + (f"{memory_mib} MiB" if memory_mib else "per file, as `midicoth.compress` picks it"),
        "",
        (
            "Stages are switched on cumulatively from left to right; sizes are the core's raw "
            "coded bytes (no container). Bits per byte, lower is better; *MDC7 ref* is the "
            "paper's program on the same file (`corpora/REFERENCE.tsv`). From *+mix* on, "
            "the high-order context model keeps orders 5 and 7 (5-8 before) and the "
            "calibrator takes one Tweedie step (3 before), and settled nodes skip the "
            "calibrator and the mixer for a map of their own, as the engine does whenever "
            "the mixer is on (`docs/MODEL.md`)."
        ),
        "",
    ]
    if any(r.allowed for r in rows):
        lines += [
            (
                "The last columns keep every stage on and allow the block modes to the "
                "analyser cumulatively (*+record*: contexts a record or a line up; *+sparse*: "
                "contexts that skip bytes; *+x86*: CALL/JMP targets made absolute, then sparse "
                "contexts). They code each file in blocks of 1 MiB, a segment each, with the "
                "mode `analyse` picks per block; the tables after each set say which."
            ),
            "",
        ]
    bad = [r for r in rows if r.verified is False]
    if bad:
        lines += [
            "**Round-trip failures:** " + ", ".join(f"{r.input.key} {r.config}" for r in bad),
            "",
        ]
    sets: list[str] = []
    for inp in inputs:
        if inp.set not in sets:
            sets.append(inp.set)
    for set_name in sets:
        group = [i for i in inputs if i.set == set_name]
        lines += [f"## {set_name}: bits per byte", ""]
        lines += _set_table(rows, group, configs) + [""]
        lines += [
            f"## {set_name}: size reduction by each stage",
            "",
            (
                "How much smaller the output gets when the stage is added to those on its "
                "left (negative: the stage made it larger)."
            ),
            "",
        ]
        lines += _gain_table(rows, group, configs) + [""]
        if any(r.allowed for r in rows if r.input in group):
            lines += [
                f"## {set_name}: the analyser's choice per block",
                "",
                (
                    f"Blocks of {BLOCK_SIZE >> 20} MiB in order, a run of equal choices "
                    "counted (`record/P`: records of P bytes; `record/lines`: by lines; "
                    f"`{NO_MODE}`: none, the stages alone)."
                ),
                "",
            ]
            lines += _mode_table(rows, group) + [""]
    if charts:
        lines += ["## Charts", ""] + [f"![{Path(c).stem}]({c})" for c in charts] + [""]
    return "\n".join(lines)


def write_csv(rows: Sequence[Row], path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "set",
                "file",
                "bytes",
                "config",
                "stages",
                "compressed_bytes",
                "bpb",
                "encode_s",
                "verified",
                "mdc_ref_bytes",
                "modes_allowed",
                "modes_chosen",
            ]
        )
        for r in rows:
            ref = r.input.reference.mdc_ref_bytes if r.input.reference else None
            w.writerow(
                [
                    r.input.set,
                    r.input.name,
                    r.input.size,
                    r.config,
                    r.stages,
                    r.compressed,
                    f"{r.bpb:.6f}",
                    f"{r.seconds:.4f}",
                    "" if r.verified is None else int(r.verified),
                    "" if ref is None else ref,
                    r.allowed,
                    " ".join(r.modes),
                ]
            )


def chart(rows: Sequence[Row], set_name: str, path: Path) -> Path:
    """Grouped bars per file of a set: each configuration's size relative to base PPM.

    Relative sizes make each stage's share visible on files of any ratio; the
    paper's program (MDC7) is marked, relative to the same base, where known.
    """
    from bench.charts import _pyplot

    plt = _pyplot()
    inputs: list[Input] = []
    configs: list[str] = []
    for r in rows:
        if r.input.set == set_name and r.input not in inputs:
            inputs.append(r.input)
        if r.config not in configs:
            configs.append(r.config)
    size = {(r.input.key, r.config): r.compressed for r in rows}
    base, shown = configs[0], configs[1:]
    cmap = plt.get_cmap("viridis")
    group = 0.8
    bar = group / max(1, len(shown))
    width = max(8.0, 1.5 + 0.09 * len(inputs) * max(1, len(shown)))
    fig, ax = plt.subplots(figsize=(width, 4.8))
    for j, config in enumerate(shown):
        xs = [i - group / 2 + (j + 0.5) * bar for i in range(len(inputs))]
        heights = [100.0 * size[(inp.key, config)] / size[(inp.key, base)] for inp in inputs]
        ax.bar(xs, heights, width=bar, color=cmap(j / max(1, len(shown) - 1)), label=config)
    refs = [
        (i, 100.0 * inp.reference.mdc_ref_bytes / size[(inp.key, base)])
        for i, inp in enumerate(inputs)
        if inp.reference and inp.reference.mdc_ref_bytes
    ]
    if refs:
        ax.scatter(
            [x for x, _ in refs],
            [y for _, y in refs],
            marker="_",
            s=500,
            linewidths=2,
            color="black",
            zorder=3,
            label="MDC7 (paper's program)",
        )
    ax.axhline(100.0, color="gray", linewidth=1)
    ax.set_xticks(range(len(inputs)))
    ax.set_xticklabels([inp.name for inp in inputs], rotation=35, ha="right")
    ax.set_xlim(-0.6, len(inputs) - 0.4)
    ax.set_ylim(0, ax.get_ylim()[1] * 1.2)
    ax.set_ylabel(f"size, % of {base} (lower is better)")
    ax.set_title(f"Ablation on {set_name}: stages added cumulatively")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize=8, ncol=min(5, len(shown) + 1), loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(
    inputs: Sequence[Input],
    out: Path,
    machine: Sequence[str],
    memory_mib: int | None,
    verify: bool,
    make_charts: bool,
    log: Callable[[str], None],
) -> int:
    try:
        from midicoth import _core as core
    except ImportError as exc:
        log(f"the Midicoth core is not built ({exc}): pip install -e . first")
        return 1
    rows = run(inputs, core, memory_mib, verify, log)
    sets = []
    for r in rows:
        if r.input.set not in sets:
            sets.append(r.input.set)
    charts = [chart(rows, s, out / f"ablation_{s}.png") for s in sets] if make_charts else []
    (out / "ablation.md").write_text(
        markdown(
            rows, machine, memory_mib, getattr(core, "MODEL_VERSION", "?"), [c.name for c in charts]
        ),
        encoding="utf-8",
    )
    write_csv(rows, out / "ablation.csv")
    log(f"wrote {out / 'ablation.md'}, {out / 'ablation.csv'}" + "".join(f", {c}" for c in charts))
    return 1 if any(r.verified is False for r in rows) else 0
