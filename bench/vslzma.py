"""Midicoth's speed as a fraction of ``lzma -9e``'s, timed in one process.

The engine's speed target is stated this way (our compression and our
decompression each against ``lzma.compress(data, preset=9 | PRESET_EXTREME)``
on the same file), because a ratio measured side by side survives a shared,
noisy machine far better than MB/s do. Each repeat times lzma, then
``midicoth.compress``, then ``midicoth.decompress`` of the same data, in
turn; the table gives the medians and their ratios, for the default model,
for the paper's pipeline alone (``stages=PAPER_STAGES``) and for any other
stage sets asked for (``--stages``), each with the size it codes the file to,
so that what a faster model would cost can be read off one table.
"""

from __future__ import annotations

import lzma
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Callable

from bench.inputs import Input

# The files the target names, used when none is given.
TARGET_FILES = ("canterbury/alice29.txt", "calgary/book1")
LZMA_PRESET = 9 | lzma.PRESET_EXTREME


def _seconds(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def measure(data: bytes, stages: int, repeat: int) -> tuple[float, float, float, int]:
    """Median seconds of (lzma compress, midicoth compress, midicoth decompress),
    and the size midicoth codes `data` to."""
    import midicoth

    packed = midicoth.compress(data, stages=stages)
    if midicoth.decompress(packed) != data:
        raise RuntimeError("round trip failed")
    runs: list[tuple[float, float, float]] = []
    for _ in range(repeat):
        runs.append(
            (
                _seconds(lambda: lzma.compress(data, preset=LZMA_PRESET)),
                _seconds(lambda: midicoth.compress(data, stages=stages)),
                _seconds(lambda: midicoth.decompress(packed)),
            )
        )
    lz, comp, decomp = (statistics.median(column) for column in zip(*runs))
    return lz, comp, decomp, len(packed)


def models(extra_stages: Sequence[int]) -> list[tuple[str, int]]:
    """The (label, stage set) pairs to time: the default, the paper's, then
    each further set, named by the stages it leaves out."""
    import midicoth
    from midicoth.format import stages_name

    chosen = [("default", midicoth.ALL_STAGES), ("paper", midicoth.PAPER_STAGES)]
    for stages in extra_stages:
        if stages not in [s for _, s in chosen]:
            off = stages_name(midicoth.ALL_STAGES & ~stages).replace("+", ", ")
            chosen.append((f"stages {stages} (without {off})", stages))
    return chosen


def main(
    chosen: Sequence[Input],
    out: Path,
    machine: Sequence[str],
    repeat: int,
    log: Callable[[str], None],
    extra_stages: Sequence[int] = (),
) -> int:
    rows = [
        (
            "| File | Model | Compressed bytes | lzma -9e KB/s | Compress KB/s | Decompress KB/s "
            "| Compress / lzma | Decompress / lzma |"
        ),
        "|:--|:--|--:|--:|--:|--:|--:|--:|",
    ]
    for inp in chosen:
        data = inp.path.read_bytes()
        for label, stages in models(extra_stages):
            lz, comp, decomp, size = measure(data, stages, repeat)
            kb = len(data) / 1000
            row = (
                f"| {inp.key} | {label} | {size:,} | {kb / lz:,.0f} | {kb / comp:,.0f} "
                f"| {kb / decomp:,.0f} | {lz / comp:.3f}× | {lz / decomp:.3f}× |"
            )
            rows.append(row)
            log(row)
    text = "\n".join(
        [
            "# Midicoth's speed against lzma -9e, same process",
            "",
            *machine,
            f"- Repeats: {repeat} per file and model (medians)",
            "",
            __doc__.strip().split("\n\n")[1].replace("\n", " "),
            "",
            *rows,
            "",
        ]
    )
    path = out / "speed_vs_lzma.md"
    path.write_text(text, encoding="utf-8")
    log(f"wrote {path}")
    return 0
