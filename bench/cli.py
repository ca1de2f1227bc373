"""``python -m bench``: the benchmark's command, a subcommand per question.

Examples, from the repository root::

    python -m bench                                   # compare: canterbury + calgary, every codec
    python -m bench compare --set silesia --codec midicoth --codec lzma --out bench-out/silesia
    python -m bench compare --set synthetic --codec zlib --repeat 1   # seconds, no corpora needed
    python -m bench ablation --set canterbury         # what each model stage contributes
    python -m bench diagnose canterbury/alice29.txt   # calibrator |delta| per bin
    python -m bench vs-lzma --repeat 5                # speed as a fraction of lzma -9e's
    python -m bench vs-lzma --stages match+mix+apm    # ... and with that stage set too
    python -m bench vs-lzma --blocks 2                # ... and in 2 independent blocks, 2 threads
    python -m bench vs-lzma --reference mdc           # ... and the paper's program, timed alongside
    python -m bench levels --out bench/results        # every level: sizes, speed against lzma -9e
    python -m bench list                              # sets found here, codecs installed

``compare`` is the default: ``python -m bench --out DIR`` runs ``python -m
bench compare --out DIR``. Each subcommand takes only its own options
(``python -m bench SUBCOMMAND --help``). They write into ``--out`` (default
``bench-out/``): compare ``results.md``, ``results.csv`` and PNG charts
(when matplotlib is installed), and with ``--readme`` it also replaces the
"## Results" section of README.md with them; ablation ``ablation.*``;
diagnose ``diagnose_FILE.*``; vs-lzma ``speed_vs_lzma.md``; levels
``levels.md`` and ``levels.csv``. Exit status: 0 on success, 1 if any codec
failed or any round trip differed, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

import corpora
from bench import ablation, charts, compare, diagnose, inputs, levels, readme, report, vslzma
from bench.codecs import DEFAULT_CODECS, FAMILIES, available_codecs, parse
from bench.machine import COMMAND, REPO_ROOT, describe

DEFAULT_COMMAND = "compare"
DEFAULT_SETS = ["canterbury", "calgary"]


class _Stop(Exception):
    """A run that cannot go on: the message, and the exit status (2: bad arguments)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- option values: argparse reports a bad one as a usage error -----------------------


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None


def _repeat_count(text: str) -> int:
    count = _integer(text)
    if count < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return count


def _codec_spec(text: str) -> str:
    try:
        parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _stage_set(text: str) -> int:
    from midicoth.format import parse_stages

    try:
        return parse_stages(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _block_count(text: str) -> int:
    count = _integer(text)
    if count < 2:
        raise argparse.ArgumentTypeError(
            "N is at least 2 (one block is the default's solid stream)"
        )
    return count


def _program(text: str) -> str:
    found = shutil.which(text)
    if found is None:
        raise argparse.ArgumentTypeError(f"no program {text!r} to run")
    return found


# --- options that several subcommands take ---------------------------------------------


def _add_inputs(p: argparse.ArgumentParser, default: str) -> None:
    p.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        choices=inputs.known_sets(),
        metavar="NAME",
        help=f"corpus set (repeatable): {', '.join(inputs.known_sets())}; default {default}",
    )
    p.add_argument(
        "--file",
        dest="files",
        action="append",
        default=[],
        metavar="SET/NAME|PATH",
        help="one more file (repeatable): a corpus file or any path",
    )


def _add_out(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--out",
        type=Path,
        default=REPO_ROOT / "bench-out",
        help="output folder (default bench-out/)",
    )


def _add_repeat(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument(
        "--repeat", type=_repeat_count, default=3, help=f"timed runs per {what} (default 3)"
    )


def _add_memory(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--memory-mib",
        type=int,
        default=None,
        help="Midicoth memory budget (default: per file, as midicoth.compress picks it)",
    )


def _add_verify(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--verify", action="store_true", help=f"also decode {what} and compare")


def _add_no_charts(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-charts", action="store_true", help="write tables only")


# --- the subcommands: each one's options, then its run --------------------------------


def _out(args: argparse.Namespace) -> Path:
    args.out.mkdir(parents=True, exist_ok=True)
    return args.out


def _charts_wanted(args: argparse.Namespace) -> bool:
    if args.no_charts:
        return False
    if not charts.available():
        _log("matplotlib is not installed: writing tables only (pip install '.[bench]')")
        return False
    return True


@contextlib.contextmanager
def _gathered(
    args: argparse.Namespace, default_files: Sequence[str] = ()
) -> Iterator[tuple[list[inputs.Input], list[str]]]:
    """The chosen inputs (synthetic ones in a temporary folder while the block
    runs) and notes on what is missing. Without --set or --file: the
    ``default_files`` if any, else the default corpus sets."""
    files = args.files or ([] if args.sets else list(default_files))
    sets = args.sets or ([] if files else DEFAULT_SETS)
    with tempfile.TemporaryDirectory(prefix="midicoth-inputs-") as tmp:
        try:
            chosen, notes = inputs.gather(sets, files, Path(tmp))
        except FileNotFoundError as exc:
            raise _Stop(str(exc), 2) from None
        for note in notes:
            _log(note)
        if not chosen:
            raise _Stop("nothing to benchmark: no input file was found", 1)
        yield chosen, notes


def _compare_options(p: argparse.ArgumentParser) -> None:
    _add_inputs(p, " + ".join(DEFAULT_SETS))
    p.add_argument(
        "--codec",
        dest="codecs",
        action="append",
        default=[],
        type=_codec_spec,
        metavar="NAME[:SETTING]",
        help=f"codec (repeatable): {', '.join(FAMILIES)}; default every one installed "
        "(see bench/codecs.py for settings)",
    )
    _add_out(p)
    _add_repeat(p, "file, codec and direction")
    p.add_argument(
        "--max-time",
        type=float,
        default=2.0,
        help="stop repeating once a file's runs took this many seconds (default 2)",
    )
    _add_no_charts(p)
    p.add_argument(
        "--readme",
        nargs="?",
        const=REPO_ROOT / "README.md",
        type=Path,
        default=None,
        metavar="PATH",
        help="replace the '## Results' section of README.md (or PATH)",
    )


def _compare(args: argparse.Namespace, machine: list[str]) -> int:
    out, make_charts = _out(args), _charts_wanted(args)
    with _gathered(args) as (chosen, notes):
        codecs, missing = available_codecs(args.codecs or DEFAULT_CODECS)
        if missing:
            notes.append(f"not installed, skipped: {', '.join(missing)}")
            _log(notes[-1])
        if not codecs:
            raise _Stop("no codec available", 1)
        _log(f"{len(chosen)} file(s) x {len(codecs)} codec(s) -> {out}")
        measurements = compare.run(
            chosen, codecs, repeat=args.repeat, max_time=args.max_time, progress=_log
        )
    chart_paths = charts.all_charts(measurements, out) if make_charts else []
    (out / "results.md").write_text(
        report.results_markdown(measurements, machine, notes, [p.name for p in chart_paths]),
        encoding="utf-8",
    )
    report.write_csv(measurements, out / "results.csv")
    _log(
        f"wrote {out / 'results.md'}, {out / 'results.csv'}"
        + "".join(f", {p}" for p in chart_paths)
    )
    if args.readme:
        readme.update(args.readme, measurements, machine, chart_paths, _log, out=out)
    return 0 if all(m.ok for m in measurements) else 1


def _ablation_options(p: argparse.ArgumentParser) -> None:
    _add_inputs(p, " + ".join(DEFAULT_SETS))
    _add_out(p)
    _add_memory(p)
    _add_verify(p, "every configuration")
    _add_no_charts(p)


def _ablation(args: argparse.Namespace, machine: list[str]) -> int:
    out, make_charts = _out(args), _charts_wanted(args)
    with _gathered(args) as (chosen, _):
        return ablation.main(chosen, out, machine, args.memory_mib, args.verify, make_charts, _log)


def _diagnose_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="SET/NAME|PATH", help="a corpus file or any path")
    _add_out(p)
    _add_memory(p)
    _add_no_charts(p)


def _diagnose(args: argparse.Namespace, machine: list[str]) -> int:
    try:
        target = inputs.file_input(args.file)
    except FileNotFoundError as exc:
        raise _Stop(str(exc), 2) from None
    out, make_charts = _out(args), _charts_wanted(args)
    return diagnose.main(target, out, machine, args.memory_mib, make_charts, _log)


def _vs_lzma_options(p: argparse.ArgumentParser) -> None:
    _add_inputs(p, " and ".join(vslzma.TARGET_FILES))
    _add_out(p)
    _add_repeat(p, "file and model")
    p.add_argument(
        "--stages",
        dest="stage_sets",
        action="append",
        default=[],
        type=_stage_set,
        metavar="LIST",
        help="also time Midicoth with this stage set, named as for 'midicoth compress "
        "--stages' (paper, ppm, names joined by +, or the number; repeatable)",
    )
    p.add_argument(
        "--blocks",
        dest="block_counts",
        action="append",
        default=[],
        type=_block_count,
        metavar="N",
        help="also time the default model with each file cut into N independent blocks, "
        "coded and decoded on N threads (N >= 2; repeatable)",
    )
    p.add_argument(
        "--reference",
        type=_program,
        metavar="PROGRAM",
        help="also time the paper's reference program (a path, or a name on PATH), run "
        "as PROGRAM compress IN OUT and PROGRAM decompress IN OUT",
    )


def _vs_lzma(args: argparse.Namespace, machine: list[str]) -> int:
    out = _out(args)
    with _gathered(args, vslzma.TARGET_FILES) as (chosen, _):
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


def _levels_options(p: argparse.ArgumentParser) -> None:
    _add_inputs(p, " + ".join(DEFAULT_SETS))
    _add_out(p)
    _add_repeat(p, "level and direction")
    _add_verify(p, "every file at every level")


def _levels(args: argparse.Namespace, machine: list[str]) -> int:
    out = _out(args)
    with _gathered(args) as (chosen, _):
        return levels.main(chosen, out, machine, args.repeat, args.verify, _log)


def _list_options(p: argparse.ArgumentParser) -> None:
    """The listing takes no option."""


def _list(args: argparse.Namespace, machine: list[str]) -> int:
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


class _Subcommand(NamedTuple):
    """A subcommand: its one-line summary, the options it takes, what runs it."""

    summary: str
    options: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, list[str]], int]
    """Runs with the parsed options and the run's description; returns the exit status."""


SUBCOMMANDS = {
    "compare": _Subcommand(
        "Midicoth against other codecs: size, speed, memory", _compare_options, _compare
    ),
    "ablation": _Subcommand(
        "Midicoth's stages switched on one by one, per file", _ablation_options, _ablation
    ),
    "diagnose": _Subcommand("calibrator statistics for one file", _diagnose_options, _diagnose),
    "vs-lzma": _Subcommand(
        "Midicoth's speed as a fraction of lzma -9e's, timed in one process",
        _vs_lzma_options,
        _vs_lzma,
    ),
    "levels": _Subcommand(
        "Midicoth's levels 1-9: bytes over the files, speed against lzma -9e on "
        "calgary/book1 (or the largest file)",
        _levels_options,
        _levels,
    ),
    "list": _Subcommand("corpus sets found here and codecs installed", _list_options, _list),
}
"""The subcommands by name, in the order the help lists them."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=COMMAND,
        description="Benchmark Midicoth against other codecs on the standard corpora.",
        epilog=f"Without a subcommand: {DEFAULT_COMMAND}.",
    )
    sub = parser.add_subparsers(dest="command", metavar="SUBCOMMAND", required=True)
    for name, command in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=command.summary, description=command.summary)
        command.options(p)
        p.set_defaults(run=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the subcommand ``argv`` names (``compare`` if it names none); the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or args_list[0] not in (*SUBCOMMANDS, "-h", "--help"):
        args_list.insert(0, DEFAULT_COMMAND)
    parser = _parser()
    args = parser.parse_args(args_list)
    try:
        return args.run(args, describe(args_list))
    except _Stop as stop:
        if stop.status == 2:
            parser.error(str(stop))
        _log(str(stop))
        return stop.status
