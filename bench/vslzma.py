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
``--blocks N`` also times the default model with the file cut into N
independent blocks, coded (and decoded) on N threads: what more cores buy,
and what the blocks cost in size, since each starts with a fresh model. With
``--reference PROGRAM``, each repeat also times the paper's program on the
same file, run as its own command line has it (``PROGRAM compress IN OUT``,
then ``PROGRAM decompress OUT COPY``), and a second table gives each model's
speed as a multiple of that program's. The program is built from the
paper's public sources (github.com/robtacconelli/midicoth); its size column
shows whether that build codes as the sizes in ``corpora/REFERENCE.tsv`` say.

The speed target was first set as 20 times the reference program's
throughput, and then put in lzma's terms from alice29.txt alone (where the
reference runs at about 0.023 times lzma -9e's speed). How fast the
reference runs against lzma differs from file to file, so this table shows
the multiple itself. Each of its cells divides two ratios to lzma, each from
its own row's repeats, not two raw times, so that a drift of the machine's
speed between the rows cancels.
"""

from __future__ import annotations

import lzma
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.inputs import Input

# The files the target names, used when none is given.
TARGET_FILES = ("canterbury/alice29.txt", "calgary/book1")
LZMA_PRESET = 9 | lzma.PRESET_EXTREME


def seconds(action: Callable[[], object]) -> float:
    """Wall-clock seconds ``action`` takes."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _medians(
    data: bytes,
    repeat: int,
    compress: Callable[[], object],
    decompress: Callable[[], object],
    check: Callable[[], None] = lambda: None,
) -> tuple[float, float, float]:
    """Median seconds of (lzma compress, `compress`, `decompress`), each
    repeat timing the three in turn, then `check`ing, untimed."""
    runs: list[tuple[float, float, float]] = []
    for _ in range(repeat):
        lz = seconds(lambda: lzma.compress(data, preset=LZMA_PRESET))
        runs.append((lz, seconds(compress), seconds(decompress)))
        check()
    lz, comp, decomp = (statistics.median(column) for column in zip(*runs))
    return lz, comp, decomp


def block_size(length: int, blocks: int) -> int | None:
    """The block size that cuts `length` bytes into `blocks` independent
    blocks (fewer when the smallest block size allows no more); None for a
    solid stream."""
    import midicoth

    if blocks <= 1:
        return None
    size = -(-length // blocks)
    return min(max(size, midicoth.MIN_BLOCK_SIZE), midicoth.MAX_BLOCK_SIZE)


def measure(
    data: bytes, stages: int, repeat: int, blocks: int = 1
) -> tuple[float, float, float, int]:
    """Median seconds of (lzma compress, midicoth compress, midicoth decompress),
    and the size midicoth codes `data` to: one solid stream, or `blocks`
    independent blocks coded and decoded on as many threads."""
    import midicoth

    size = block_size(len(data), blocks)

    def compress() -> bytes:
        return midicoth.compress(data, stages=stages, block_size=size, threads=blocks)

    packed = compress()
    if midicoth.decompress(packed, threads=blocks) != data:
        raise RuntimeError("round trip failed")
    times = _medians(data, repeat, compress, lambda: midicoth.decompress(packed, threads=blocks))
    return (*times, len(packed))


class ReferenceFailed(RuntimeError):
    """The reference program failed, or did not give back the input."""


def _run(program: str, verb: str, source: Path, target: Path) -> None:
    try:
        done = subprocess.run(
            [program, verb, str(source), str(target)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=False,
        )
    except OSError as exc:
        raise ReferenceFailed(f"cannot run {program}: {exc.strerror or exc}") from exc
    if done.returncode != 0:
        # The reference prints progress with carriage returns; its last words
        # are what explains a failure.
        said = done.stderr.decode("utf-8", "replace").replace("\r", "\n").strip()
        last = said.splitlines()[-1] if said else "no message"
        raise ReferenceFailed(f"{program} {verb} exited with {done.returncode}: {last}")


def measure_reference(
    data: bytes, source: Path, program: str, repeat: int
) -> tuple[float, float, float, int]:
    """Median seconds of (lzma compress, `program` compress, `program`
    decompress) of the file `source` holding `data`, and its compressed size.
    Each run is a new process that reads and writes files, as its users run it."""
    with tempfile.TemporaryDirectory(prefix="midicoth-reference-") as tmp:
        packed, restored = Path(tmp) / "packed", Path(tmp) / "restored"

        def check() -> None:
            if not restored.is_file() or restored.read_bytes() != data:
                raise ReferenceFailed(f"{program} did not restore {source.name}")

        times = _medians(
            data,
            repeat,
            lambda: _run(program, "compress", source, packed),
            lambda: _run(program, "decompress", packed, restored),
            check,
        )
        return (*times, packed.stat().st_size)


def models(
    length: int, extra_stages: Sequence[int] = (), extra_blocks: Sequence[int] = ()
) -> list[tuple[str, int, int]]:
    """The (label, stage set, blocks) to time on `length` bytes: the default,
    the paper's, each further set, named by the stages it leaves out, then
    the default model in each number of independent blocks asked for."""
    import midicoth
    from midicoth.format import stages_name

    chosen = [("default", midicoth.ALL_STAGES, 1), ("paper", midicoth.PAPER_STAGES, 1)]
    for stages in extra_stages:
        if stages not in [s for _, s, _ in chosen]:
            off = stages_name(midicoth.ALL_STAGES & ~stages).replace("+", ", ")
            chosen.append((f"stages {stages} (without {off})", stages, 1))
    for blocks in dict.fromkeys(extra_blocks):
        size = block_size(length, blocks)
        if size is not None:
            made = max(1, -(-length // size))
            cut = f"{made} block" if made == 1 else f"{made} blocks"
            chosen.append((f"default, {cut} on {blocks} threads", midicoth.ALL_STAGES, blocks))
    return chosen


def main(
    chosen: Sequence[Input],
    out: Path,
    machine: Sequence[str],
    repeat: int,
    log: Callable[[str], None],
    extra_stages: Sequence[int] = (),
    reference: str | None = None,
    extra_blocks: Sequence[int] = (),
) -> int:
    rows = [
        (
            "| File | Model | Compressed bytes | lzma -9e KB/s | Compress KB/s | Decompress KB/s "
            "| Compress / lzma | Decompress / lzma |"
        ),
        "|:--|:--|--:|--:|--:|--:|--:|--:|",
    ]
    multiples = [
        "| File | Model | Compress / reference | Decompress / reference |",
        "|:--|:--|--:|--:|",
    ]
    for inp in chosen:
        data = inp.path.read_bytes()
        kb = len(data) / 1000
        timed = [
            (label, measure(data, stages, repeat, blocks))
            for label, stages, blocks in models(len(data), extra_stages, extra_blocks)
        ]
        if reference is not None:
            try:
                timed.append(
                    ("reference program", measure_reference(data, inp.path, reference, repeat))
                )
            except ReferenceFailed as exc:
                log(f"reference program: {exc}")
                return 1
        for label, (lz, comp, decomp, size) in timed:
            row = (
                f"| {inp.key} | {label} | {size:,} | {kb / lz:,.0f} | {kb / comp:,.0f} "
                f"| {kb / decomp:,.0f} | {lz / comp:.3f}× | {lz / decomp:.3f}× |"
            )
            rows.append(row)
            log(row)
        if reference is not None:
            ref_lz, ref_comp, ref_decomp, _ = timed[-1][1]
            for label, (lz, comp, decomp, _) in timed[:-1]:
                multiples.append(
                    f"| {inp.key} | {label} | {(lz / comp) / (ref_lz / ref_comp):.1f}× "
                    f"| {(lz / decomp) / (ref_lz / ref_decomp):.1f}× |"
                )
                log(multiples[-1])
    text = [
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
    if reference is not None:
        text += [
            "## Against the reference program",
            "",
            __doc__.strip().split("\n\n")[2].replace("\n", " "),
            "",
            *multiples,
            "",
        ]
    path = out / "speed_vs_lzma.md"
    path.write_text("\n".join(text), encoding="utf-8")
    log(f"wrote {path}")
    return 0
