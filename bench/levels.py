"""Midicoth's compression levels side by side: ``python -m bench levels``.

For every level of ``midicoth.levels.LEVELS``: the model stages it runs,
its memory rule (the cap and the memory per input byte), the bytes that
``midicoth.compress(data, level=n)`` makes of the chosen files (by default
every file of Canterbury and Calgary found here, each distinct file once:
``calgary/pic`` and ``canterbury/ptt5`` are the same file), and its
compress and decompress speed as ratios to ``lzma.compress(data,
preset=9 | PRESET_EXTREME)`` on one file (``calgary/book1`` when it is
among the files, else the largest). The speeds are timed in one process
and interleaved: each repeat times, for each level in turn, lzma, then the
level's compression, then its decompression; the ratios are of the
medians (``--repeat``), so a drift of the machine's speed falls on lzma and
on the level alike. A ratio above 1 is faster than lzma -9e.

Below the table, the best PPMd setting's total over the same files (from
``corpora/REFERENCE.tsv``, ``ppmd_best_bytes``) as a reference, and whether
the totals fall level by level, as the levels promise. Writes
``levels.md`` and ``levels.csv``. ``--verify`` also decodes every file at
every level (the timed file is always checked).
"""

from __future__ import annotations

import csv
import itertools
import lzma
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.inputs import Input
from bench.report import distinct
from bench.vslzma import LZMA_PRESET, seconds

SPEED_FILE = "calgary/book1"
CSV_COLUMNS = (
    "level",
    "stages",
    "stage_names",
    "modes",
    "memory_cap_mib",
    "memory_per_byte",
    "bytes",
    "bpb",
    "speed_file",
    "lzma_seconds",
    "compress_seconds",
    "decompress_seconds",
    "compress_vs_lzma",
    "decompress_vs_lzma",
)


def speed_input(inputs: Sequence[Input]) -> Input:
    """The file the speeds are timed on: calgary/book1 if chosen, else the largest."""
    for inp in inputs:
        if inp.key == SPEED_FILE:
            return inp
    return max(inputs, key=lambda inp: inp.size)


def sizes(inputs: Sequence[Input], verify: bool, log: Callable[[str], None]) -> dict[int, int]:
    """Total container bytes of each level over ``inputs`` (distinct ones)."""
    import midicoth

    datas = [inp.path.read_bytes() for inp in inputs]
    totals = {}
    for number in sorted(midicoth.LEVELS):
        started = time.perf_counter()
        total = 0
        for inp, data in zip(inputs, datas):
            packed = midicoth.compress(data, level=number)
            if verify and midicoth.decompress(packed) != data:
                raise RuntimeError(f"level {number}: {inp.key} did not round-trip")
            total += len(packed)
        totals[number] = total
        log(f"level {number}: {total:,} bytes ({time.perf_counter() - started:.1f} s)")
    return totals


def speeds(
    data: bytes, repeat: int, log: Callable[[str], None]
) -> dict[int, tuple[float, float, float]]:
    """Median seconds of (lzma -9e compress, compress, decompress) of ``data``
    at each level; each repeat times every level in turn, lzma just before it."""
    import midicoth

    numbers = sorted(midicoth.LEVELS)
    packed = {}
    for number in numbers:  # untimed: the round trip is checked once
        packed[number] = midicoth.compress(data, level=number)
        if midicoth.decompress(packed[number]) != data:
            raise RuntimeError(f"level {number} did not round-trip")
    runs: dict[int, list[tuple[float, float, float]]] = {number: [] for number in numbers}
    for turn in range(repeat):
        for number in numbers:
            runs[number].append(
                (
                    seconds(lambda: lzma.compress(data, preset=LZMA_PRESET)),
                    seconds(lambda n=number: midicoth.compress(data, level=n)),
                    seconds(lambda n=number: midicoth.decompress(packed[n])),
                )
            )
        log(f"timed every level on the speed file ({turn + 1} of {repeat})")
    medians = {}
    for number, timed in runs.items():
        lz, comp, decomp = (statistics.median(column) for column in zip(*timed))
        medians[number] = (lz, comp, decomp)
    return medians


def ppmd_reference(inputs: Sequence[Input]) -> tuple[int, int]:
    """The best PPMd setting's total over ``inputs`` and how many of them
    have one (corpora/REFERENCE.tsv)."""
    known = [
        inp.reference.ppmd_best_bytes
        for inp in inputs
        if inp.reference is not None and inp.reference.ppmd_best_bytes is not None
    ]
    return sum(known), len(known)


def falling(totals: dict[int, int]) -> list[tuple[int, int]]:
    """The (level, next level) pairs where the total does not fall; empty if
    every level codes smaller than the one below."""
    numbers = sorted(totals)
    return [(a, b) for a, b in itertools.pairwise(numbers) if totals[b] >= totals[a]]


def markdown(
    inputs: Sequence[Input],
    timed: Input,
    totals: dict[int, int],
    medians: dict[int, tuple[float, float, float]],
    machine: Sequence[str],
    repeat: int,
) -> str:
    import midicoth
    from midicoth.format import stages_name

    size = sum(inp.size for inp in inputs)
    sets = sorted({inp.set for inp in inputs})
    rows = [
        "| Level | Stages | Memory rule | Bytes | bpb | Compress / lzma | Decompress / lzma |",
        "|--:|:--|:--|--:|--:|--:|--:|",
    ]
    for number, level in sorted(midicoth.LEVELS.items()):
        lz, comp, decomp = medians[number]
        default = " (default)" if number == midicoth.DEFAULT_LEVEL else ""
        rows.append(
            f"| {number}{default} | {stages_name(level.stages)} "
            f"| ≤ {level.memory_cap_mib} MiB, {level.memory_per_byte} B/byte "
            f"| {totals[number]:,} | {8 * totals[number] / size:.3f} "
            f"| {lz / comp:.3f}× | {lz / decomp:.3f}× |"
        )
    reference, known = ppmd_reference(inputs)
    if known:
        partial = "" if known == len(inputs) else f" ({known} of the {len(inputs)} files)"
        rows.append(
            f"| *PPMd, best setting* | | | {reference:,} | {8 * reference / size:.3f} | – | – |"
        )
        note = (
            f"*PPMd, best setting*: `corpora/REFERENCE.tsv`, summed over the same files{partial}."
        )
    else:
        note = "No PPMd reference: none of these files is in `corpora/REFERENCE.tsv`."
    bad = falling(totals)
    verdict = (
        "Every level codes these files smaller than the level below it."
        if not bad
        else "Not monotone: "
        + ", ".join(f"level {b} is not smaller than level {a}" for a, b in bad)
        + "."
    )
    lines = [
        "# Midicoth's compression levels",
        "",
        *machine,
        f"- Files: {len(inputs)} distinct files of {', '.join(sets)} ({size:,} bytes)",
        f"- Speed: on {timed.key} ({timed.size:,} bytes), {repeat} repeat(s), medians",
        "",
        __doc__.strip().split("\n\n")[1].replace("\n", " "),
        "",
        *rows,
        "",
        note,
        "",
        verdict,
        "",
    ]
    return "\n".join(lines)


def write_csv(
    path: Path,
    inputs: Sequence[Input],
    timed: Input,
    totals: dict[int, int],
    medians: dict[int, tuple[float, float, float]],
) -> None:
    import midicoth
    from midicoth.format import stages_name

    size = sum(inp.size for inp in inputs)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_COLUMNS)
        for number, level in sorted(midicoth.LEVELS.items()):
            lz, comp, decomp = medians[number]
            writer.writerow(
                (
                    number,
                    level.stages,
                    stages_name(level.stages),
                    level.modes,
                    level.memory_cap_mib,
                    level.memory_per_byte,
                    totals[number],
                    f"{8 * totals[number] / size:.4f}",
                    timed.key,
                    f"{lz:.4f}",
                    f"{comp:.4f}",
                    f"{decomp:.4f}",
                    f"{lz / comp:.4f}",
                    f"{lz / decomp:.4f}",
                )
            )


def main(
    chosen: Sequence[Input],
    out: Path,
    machine: Sequence[str],
    repeat: int,
    verify: bool,
    log: Callable[[str], None],
) -> int:
    inputs = distinct(chosen)
    timed = speed_input(inputs)
    log(f"{len(inputs)} file(s), every level; speeds on {timed.key}")
    totals = sizes(inputs, verify, log)
    medians = speeds(timed.path.read_bytes(), repeat, log)
    text = markdown(inputs, timed, totals, medians, machine, repeat)
    (out / "levels.md").write_text(text, encoding="utf-8")
    write_csv(out / "levels.csv", inputs, timed, totals, medians)
    log(f"wrote {out / 'levels.md'}, {out / 'levels.csv'}")
    return 0
