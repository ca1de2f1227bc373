"""Put the current results into README.md's "## Results" section.

Only that section is touched: from its heading to the next level-2 heading
(or the end). If the README has no such section, one is appended; if there
is no README, nothing is written.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.compare import Measurement
from bench.report import distinct, inputs_of, per_file_table, sets_of, summary_table

HEADING = "## Results"


def section(
    measurements: Sequence[Measurement],
    machine: Sequence[str],
    charts: Sequence[Path],
    readme_dir: Path,
    out: Path,
) -> str:
    """The Markdown of the results section (summaries, per-file bpb, charts)."""
    inputs = inputs_of(measurements)
    sets = sets_of(measurements)

    def rel(path: Path) -> str:
        return Path(os.path.relpath(path, readme_dir)).as_posix()

    lines = [
        HEADING,
        "",
        (
            "Sizes are exact and reproducible; speeds and memory come from one machine and are "
            "only comparable within the table (see the docstring of `bench/compare.py`). "
            "bpb = bits per input byte, lower is better; speeds are MB/s of uncompressed data. "
            "*MDC7* is the paper's reference program, *PPMd best* the best PPMd setting found "
            "for each file (both from `corpora/REFERENCE.tsv`). To reproduce: "
            '`pip install -e ".[bench]"`, then the command below from the repository root; '
            "`python -m bench ablation` adds what each stage contributes "
            f"([ablation.md]({rel(out / 'ablation.md')})), `python -m bench vs-lzma` the "
            "speed as a fraction of lzma -9e's, timed in one process (`--stages LIST`, as for "
            "`midicoth compress`, adds other stage sets; `--blocks N` the default model in N "
            "independent blocks on N threads), and with "
            "`--reference PROGRAM` as a multiple of the paper's program's "
            f"([speed_vs_lzma.md]({rel(out / 'speed_vs_lzma.md')}))."
        ),
        "",
        *machine,
        "",
    ]
    if len(sets) > 1:
        unique = distinct(inputs)
        lines += [
            (
                f"**All {len(unique)} distinct files** ({sum(i.size for i in unique):,} bytes; "
                "`calgary/pic` and `canterbury/ptt5` are the same file, counted once):"
            ),
            "",
        ]
        lines += summary_table(measurements, unique) + [""]
    for set_name in sets:
        group = [inp for inp in inputs if inp.set == set_name]
        lines += [f"**{set_name}** ({len(group)} files, {sum(i.size for i in group):,} bytes):", ""]
        lines += summary_table(measurements, group) + [""]
        lines += [f"<details><summary>{set_name}: bits per byte per file</summary>", ""]
        lines += per_file_table(measurements, group, "bpb") + ["", "</details>", ""]
    for chart in charts:
        lines += [f"![{chart.stem}]({rel(chart)})", ""]
    lines += [
        (
            f"All tables (sizes, per-file speeds): [{rel(out / 'results.md')}]"
            f"({rel(out / 'results.md')}); raw figures: [{rel(out / 'results.csv')}]"
            f"({rel(out / 'results.csv')})."
        ),
        "",
    ]
    return "\n".join(lines)


def replace_section(text: str, new_section: str) -> str:
    """`text` with its "## Results" section replaced by `new_section` (or appended)."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == HEADING), None)
    if start is None:
        body = text.rstrip("\n")
        return (body + "\n\n" if body else "") + new_section.rstrip("\n") + "\n"
    end = len(lines)
    fenced = False
    for i in range(start + 1, len(lines)):
        if lines[i].lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced and (lines[i].startswith("## ") or lines[i].startswith("# ")):
            end = i
            break
    merged = lines[:start] + new_section.rstrip("\n").splitlines() + [""] + lines[end:]
    return "\n".join(merged).rstrip("\n") + "\n"


def update(
    readme: Path,
    measurements: Sequence[Measurement],
    machine: Sequence[str],
    charts: Sequence[Path],
    log: Callable[[str], None],
    out: Path | None = None,
) -> bool:
    """Rewrite the README's results section; False (and a note) if there is no README."""
    if not readme.is_file():
        log(f"{readme} does not exist: results section not written")
        return False
    out_dir = out if out is not None else (charts[0].parent if charts else readme.parent)
    new = section(measurements, machine, charts, readme.parent, out_dir)
    readme.write_text(replace_section(readme.read_text(encoding="utf-8"), new), encoding="utf-8")
    log(f"updated the '{HEADING}' section of {readme}")
    return True
