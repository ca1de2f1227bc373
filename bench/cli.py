"""``python -m bench``: the benchmark's one command.

Examples, from the repository root::

    python -m bench                                 # canterbury + calgary, every codec
    python -m bench --set silesia --codec midicoth --codec lzma --out bench-out/silesia
    python -m bench --set synthetic --codec zlib --repeat 1   # seconds, no corpora needed
    python -m bench --ablation --set canterbury     # what each model stage contributes
    python -m bench --diagnose canterbury/alice29.txt    # calibrator |delta| per bin
    python -m bench --vs-lzma --repeat 5            # speed as a fraction of lzma -9e's
    python -m bench --vs-lzma --stages match+mix+apm   # ... and with that stage set too
    python -m bench --vs-lzma --blocks 2            # ... and in 2 independent blocks, 2 threads
    python -m bench --vs-lzma --reference mdc       # ... and the paper's program, timed alongside
    python -m bench --levels --out bench/results    # every level: sizes, speed against lzma -9e
    python -m bench --list                          # sets found here, codecs installed

Writes into ``--out`` (default ``bench-out/``): ``results.md``, ``results.csv``
and PNG charts (when matplotlib is installed); ``--ablation`` writes
``ablation.*``, ``--diagnose`` ``diagnose.*``, ``--vs-lzma``
``speed_vs_lzma.md``, ``--levels`` ``levels.md`` and ``levels.csv``. ``--readme`` also replaces the
"## Results" section of README.md with the tables and charts just made.
Exit status: 0 on success, 1 if any codec failed or any round trip differed,
2 for bad arguments.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import corpora
from bench import ablation, charts, compare, diagnose, inputs, levels, readme, report, vslzma
from bench.codecs import DEFAULT_CODECS, FAMILIES, available_codecs, parse
from bench.machine import REPO_ROOT, describe

DEFAULT_SETS = ["canterbury", "calgary"]


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark Midicoth against other codecs on the standard corpora.",
    )
    p.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="NAME",
        help="corpus set (repeatable): "
        + ", ".join(inputs.known_sets())
        + f"; default {' + '.join(DEFAULT_SETS)}",
    )
    p.add_argument(
        "--file",
        dest="files",
        action="append",
        default=[],
        metavar="SET/NAME|PATH",
        help="one more file (repeatable): a corpus file or any path",
    )
    p.add_argument(
        "--codec",
        dest="codecs",
        action="append",
        default=[],
        metavar="NAME[:SETTING]",
        help="codec (repeatable): "
        + ", ".join(FAMILIES)
        + "; default every one installed (see bench/codecs.py for settings)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=REPO_ROOT / "bench-out",
        help="output folder (default bench-out/)",
    )
    p.add_argument(
        "--repeat", type=int, default=3, help="timed runs per file, codec and direction (default 3)"
    )
    p.add_argument(
        "--max-time",
        type=float,
        default=2.0,
        help="stop repeating once a file's runs took this many seconds (default 2)",
    )
    p.add_argument("--no-charts", action="store_true", help="write tables only")
    p.add_argument(
        "--readme",
        nargs="?",
        const=REPO_ROOT / "README.md",
        type=Path,
        default=None,
        metavar="PATH",
        help="replace the '## Results' section of README.md (or PATH)",
    )
    p.add_argument("--list", action="store_true", help="show sets found and codecs installed")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--ablation", action="store_true", help="Midicoth's stages switched on one by one, per file"
    )
    mode.add_argument(
        "--diagnose", metavar="SET/NAME|PATH", help="calibrator statistics for one file"
    )
    mode.add_argument(
        "--vs-lzma",
        action="store_true",
        help="Midicoth's compress and decompress speed as a fraction of lzma -9e's, "
        "timed in one process (default files: alice29.txt and book1)",
    )
    mode.add_argument(
        "--levels",
        action="store_true",
        help="Midicoth's compression levels 1-9: bytes over the files (default: canterbury "
        "+ calgary), compress and decompress speed against lzma -9e on calgary/book1 (or "
        "the largest file), timed in one process",
    )
    p.add_argument(
        "--stages",
        dest="stage_sets",
        action="append",
        default=[],
        metavar="LIST",
        help="--vs-lzma: also time Midicoth with this stage set, named as for "
        "'midicoth compress --stages' (paper, ppm, names joined by +, or the "
        "number; repeatable)",
    )
    p.add_argument(
        "--blocks",
        dest="block_counts",
        action="append",
        type=int,
        default=[],
        metavar="N",
        help="--vs-lzma: also time the default model with each file cut into N "
        "independent blocks, coded and decoded on N threads (N >= 2; repeatable)",
    )
    p.add_argument(
        "--reference",
        metavar="PROGRAM",
        help="--vs-lzma: also time the paper's reference program (a path, or a name on "
        "PATH), run as PROGRAM compress IN OUT and PROGRAM decompress IN OUT",
    )
    p.add_argument(
        "--memory-mib",
        type=int,
        default=None,
        help="Midicoth memory budget for --ablation/--diagnose (default: per file, as "
        "midicoth.compress picks it)",
    )
    p.add_argument(
        "--verify",
        action="store_true",
        help="--ablation, --levels: also decode every configuration and compare",
    )
    return p


def _list() -> int:
    print("Corpus sets (files found here / in the manifest):")
    for name in corpora.set_names():
        located = corpora.locate_set(name)
        found = sum(1 for loc in located if loc.present)
        print(f"  {name:18s} {found:3d} / {len(located)}")
    print(f"  {inputs.SYNTHETIC:18s} generated")
    print("Searched: " + ", ".join(str(p) for p in corpora.search_roots()))
    print("Codecs:")
    for family in FAMILIES.values():
        codec = parse(family.name)
        state = codec.version() if codec.available() else "not installed"
        print(f"  {codec.name:14s} {codec.label:36s} {state}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    args = parser.parse_args(args_list)
    if args.list:
        return _list()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.stage_sets:
        if not args.vs_lzma:
            parser.error("--stages goes with --vs-lzma")
        from midicoth.format import parse_stages

        try:
            args.stage_sets = [parse_stages(text) for text in args.stage_sets]
        except ValueError as exc:
            parser.error(f"--stages: {exc}")
    if args.block_counts:
        if not args.vs_lzma:
            parser.error("--blocks goes with --vs-lzma")
        if min(args.block_counts) < 2:
            parser.error("--blocks: N is at least 2 (one block is the default's solid stream)")
    if args.reference is not None:
        if not args.vs_lzma:
            parser.error("--reference goes with --vs-lzma")
        found = shutil.which(args.reference)
        if found is None:
            parser.error(f"--reference: no program {args.reference!r} to run")
        args.reference = found
    unknown = [s for s in args.sets if s not in inputs.known_sets()]
    if unknown:
        parser.error(
            f"unknown set(s) {', '.join(unknown)}; known: {', '.join(inputs.known_sets())}"
        )
    machine = describe(args_list)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    make_charts = not args.no_charts and charts.available()
    if not args.no_charts and not make_charts:
        _log("matplotlib is not installed: writing tables only (pip install '.[bench]')")

    if args.diagnose:
        try:
            target = inputs.file_input(args.diagnose)
        except FileNotFoundError as exc:
            parser.error(str(exc))
        return diagnose.main(target, out, machine, args.memory_mib, make_charts, _log)

    if args.vs_lzma and not (args.sets or args.files):
        args.files = list(vslzma.TARGET_FILES)
    sets = args.sets or ([] if args.files else DEFAULT_SETS)
    with tempfile.TemporaryDirectory(prefix="midicoth-inputs-") as tmp:
        try:
            chosen, notes = inputs.gather(sets, args.files, Path(tmp))
        except FileNotFoundError as exc:
            parser.error(str(exc))
        for note in notes:
            _log(note)
        if not chosen:
            _log("nothing to benchmark: no input file was found")
            return 1
        if args.vs_lzma:
            return vslzma.main(
                chosen,
                out,
                machine,
                args.repeat,
                _log,
                args.stage_sets,
                args.reference,
                args.block_counts,
            )
        if args.levels:
            return levels.main(chosen, out, machine, args.repeat, args.verify, _log)
        if args.ablation:
            return ablation.main(
                chosen, out, machine, args.memory_mib, args.verify, make_charts, _log
            )
        try:
            codecs, missing = available_codecs(args.codecs or DEFAULT_CODECS)
        except ValueError as exc:
            parser.error(str(exc))
        if missing:
            note = f"not installed, skipped: {', '.join(missing)}"
            notes.append(note)
            _log(note)
        if not codecs:
            _log("no codec available")
            return 1
        _log(f"{len(chosen)} file(s) x {len(codecs)} codec(s) -> {out}")
        measurements = compare.run(
            chosen, codecs, repeat=args.repeat, max_time=args.max_time, progress=_log
        )
    chart_paths = charts.all_charts(measurements, out) if make_charts else []
    chart_names = [p.name for p in chart_paths]
    (out / "results.md").write_text(
        report.results_markdown(measurements, machine, notes, chart_names), encoding="utf-8"
    )
    report.write_csv(measurements, out / "results.csv")
    _log(
        f"wrote {out / 'results.md'}, {out / 'results.csv'}"
        + "".join(f", {p}" for p in chart_paths)
    )
    if args.readme:
        readme.update(args.readme, measurements, machine, chart_paths, _log, out=out)
    return 0 if all(m.ok for m in measurements) else 1
