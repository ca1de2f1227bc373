"""The ``midicoth`` command line: compress, decompress, test and info.

Behaves like gzip and xz where they agree: ``compress FILE`` writes
``FILE.mdc`` and removes FILE once the output is safely written (``-k``
keeps it); ``decompress FILE.mdc`` writes ``FILE``; ``-`` is stdin/stdout.
Output goes to a temporary file in the destination directory that is
renamed into place only on success, so a failed or interrupted run leaves
no partial output and never touches the input. Exit status: 0 success,
1 data or I/O error, 2 usage error.

With no command, ``midicoth`` compresses stdin to stdout and ``midicoth -d``
decompresses stdin to stdout (``-c`` and ``-dc`` are accepted, as in gzip);
given files, ``midicoth [-d] [-ckfqv] FILE...`` means ``compress`` (or
``decompress``) with those flags, so ``midicoth -dc FILE.mdc`` works as it
does with gzip.
"""

from __future__ import annotations

import collections
import os
import re
import signal
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import IO, Any, TypeVar

import click

from . import __version__, _core
from .api import DEFAULT_MEMLIMIT, MidicothCompressor, MidicothFile
from .format import (
    FORMAT_VERSION,
    MAX_BLOCK_SIZE,
    MIN_BLOCK_SIZE,
    READ_VERSIONS,
    MidicothError,
    StreamLayout,
    memory_mib_valid,
    modes_name,
    parse_modes,
    parse_stages,
    scan,
    stages_name,
    written_by,
)

__all__ = ["main"]

SUFFIX = ".mdc"
_CHUNK = 1 << 20  # bytes read from the input at a time
_PROGRESS_MIN = 4 << 20  # inputs at least this long get a progress bar on a terminal
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
_T = TypeVar("_T")
_READ_FORMATS = ", ".join(map(str, sorted({fmt for fmt, _ in READ_VERSIONS})))
_SIZE_RE = re.compile(r"(\d+)\s*([kKmMgG]?)(?:i?B)?$")


class _Failure(Exception):
    """A per-file error: reported in one line, the run goes on, exit status 1."""


class _Interrupted(BaseException):
    """Raised by the SIGTERM/SIGHUP handler so that clean-up code runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class _SizeType(click.ParamType):
    """A byte count with an optional K, M or G suffix (powers of 1024)."""

    name = "SIZE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: Any) -> int:
        if isinstance(value, int):
            size = value
        else:
            match = _SIZE_RE.match(str(value).strip())
            if match is None:
                self.fail(f"{value!r} is not a size like 65536, 64K or 4M", param, ctx)
            size = int(match.group(1)) * _UNITS[match.group(2).upper()]
        if not MIN_BLOCK_SIZE <= size <= MAX_BLOCK_SIZE:
            self.fail(
                f"{value} is out of range ({_human(MIN_BLOCK_SIZE)} to {_human(MAX_BLOCK_SIZE)})",
                param,
                ctx,
            )
        return size


class _MemlimitType(click.ParamType):
    """A memory limit: a byte count with an optional K, M or G suffix, a
    percentage of the machine's memory, or ``max`` for none (as ``xz -M``)."""

    name = "LIMIT"

    def convert(self, value: Any, param: click.Parameter | None, ctx: Any) -> int | None:
        if value is None or isinstance(value, int):
            return value
        text = str(value).strip()
        if text.lower() == "max":
            return None
        if text.endswith("%"):
            percent = text[:-1].strip()
            if not percent.isdigit() or not 1 <= int(percent) <= 100:
                self.fail(f"{value!r} is not a percentage from 1% to 100%", param, ctx)
            try:
                total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
            except (AttributeError, ValueError, OSError):
                self.fail("this system does not tell its memory size; give a size", param, ctx)
            return total * int(percent) // 100
        match = _SIZE_RE.match(text)
        if match is None or int(match.group(1)) == 0:
            self.fail(f"{value!r} is not a size like 512M or 2G, a percentage or max", param, ctx)
        return int(match.group(1)) * _UNITS[match.group(2).upper()]


def _memlimit(function: Callable[..., Any]) -> Callable[..., Any]:
    """The -M option of a command that decodes."""
    return click.option(
        "-M",
        "--memlimit",
        type=_MemlimitType(),
        default=str(DEFAULT_MEMLIMIT >> 20) + "M",
        show_default=True,
        help="Refuse streams whose model needs more memory than this (e.g. 2G, 50%, max); "
        "with -j, decode fewer blocks at once where that keeps within it.",
    )(function)


def _check_memory(ctx: click.Context, param: click.Parameter, value: int | None) -> int | None:
    if value is not None and not memory_mib_valid(value):
        raise click.BadParameter(
            f"{value} is not a power of two from {_core.MIN_MEMORY_MIB} to {_core.MAX_MEMORY_MIB}"
        )
    return value


def _parse_stages(ctx: click.Context, param: click.Parameter, value: str) -> int:
    try:
        return parse_stages(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _parse_modes(ctx: click.Context, param: click.Parameter, value: str) -> int:
    try:
        return parse_modes(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _cores(ctx: click.Context, param: click.Parameter, value: int) -> int:
    return value if value else os.cpu_count() or 1


def _threads(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The -j option of a command that codes independent blocks ("Compress", "Decode")."""
    return click.option(
        "-j",
        "--threads",
        type=click.IntRange(min=0),
        callback=_cores,
        metavar="N",
        default=1,
        show_default=True,
        help=f"{what} independent blocks on N cores (0: all cores).",
    )


def _human(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale and n % scale == 0:
            return f"{n // scale} {unit}"
    return f"{n} bytes"


@dataclass
class _Options:
    """The options one command run applies to each of its files."""

    output: str | None = None
    to_stdout: bool = False
    keep: bool = False
    force: bool = False
    quiet: bool = False
    verbose: bool = False
    threads: int = 1
    block_size: int | None = None
    memory: int | None = None
    stages: int = _core.ALL_STAGES
    modes: int = _core.MODE_ALL
    memlimit: int | None = DEFAULT_MEMLIMIT


def _stdin() -> IO[bytes]:
    return sys.stdin.buffer


def _stdout() -> IO[bytes]:
    return sys.stdout.buffer


def _display(path: str) -> str:
    return "(stdin)" if path == "-" else path


def _note(opts: _Options, message: str) -> None:
    if opts.verbose:
        click.echo(message, err=True)


class _NoProgress:
    def update(self, n: int) -> None:
        pass


class _Progress:
    """A progress bar on stderr for long inputs when stderr is a terminal."""

    def __init__(self, total: int | None, label: str, opts: _Options) -> None:
        show = (
            total is not None and total >= _PROGRESS_MIN and not opts.quiet and sys.stderr.isatty()
        )
        self._bar = click.progressbar(length=total, label=label, file=sys.stderr) if show else None

    def __enter__(self) -> Any:
        return self._bar.__enter__() if self._bar is not None else _NoProgress()

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)


def _input_size(path: str) -> int | None:
    """Size of a regular input file, None for stdin; fails for other kinds."""
    if path == "-":
        return None
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise _Failure("not a regular file")
    return st.st_size


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _copy_metadata(src: str, dest_fd: int) -> None:
    """Give the output the input's permission bits, times and (if allowed) owner."""
    if not hasattr(os, "fchmod"):  # Windows: mkstemp's default mode stays
        return
    if src == "-":
        os.fchmod(dest_fd, 0o666 & ~_umask())
        return
    st = os.stat(src)
    try:
        os.fchown(dest_fd, st.st_uid, st.st_gid)
    except OSError:  # not allowed to give the file away: keep our ownership
        pass
    os.fchmod(dest_fd, stat.S_IMODE(st.st_mode))


def _write_output(
    src: str, dest: str | None, opts: _Options, produce: Callable[[IO[bytes]], _T]
) -> _T:
    """Run ``produce`` on the output and return its result. The output is
    stdout when ``dest`` is None, else a temporary file beside ``dest`` that
    is renamed over it only once complete."""
    if dest is None:
        out = _stdout()
        result = produce(out)
        out.flush()
        return result
    if src != "-" and _same_file(src, dest):
        raise _Failure(f"output {dest} is the input file")
    if os.path.lexists(dest) and not opts.force:
        raise _Failure(f"{dest} already exists; use -f to overwrite")
    directory = os.path.dirname(dest) or "."
    prefix = "." + os.path.basename(dest)[:200] + "."  # stays within NAME_MAX
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=prefix, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            result = produce(out)
            out.flush()
            _copy_metadata(src, out.fileno())
            os.fsync(out.fileno())
        if src != "-":
            st = os.stat(src)
            os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
        if os.path.lexists(dest) and not opts.force:
            raise _Failure(f"{dest} appeared while writing it; use -f to overwrite")
        os.replace(tmp, dest)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return result


def _finish_input(src: str, dest: str | None, opts: _Options) -> None:
    """Remove the input after a successful run, unless kept."""
    if src != "-" and dest is not None and not opts.keep:
        os.unlink(src)


def _open_input(src: str) -> AbstractContextManager[IO[bytes]]:
    """The input file, opened; stdin is used but not closed."""
    return nullcontext(_stdin()) if src == "-" else open(src, "rb")


def _compress_one(src: str, opts: _Options) -> None:
    size = _input_size(src)
    if opts.to_stdout or (src == "-" and opts.output is None):
        dest = None
        if not opts.force and _stdout().isatty():
            raise _Failure("compressed data not written to a terminal; use -f to force")
    elif opts.output is not None:
        dest = opts.output
    else:
        if src.endswith(SUFFIX) and not opts.force:
            raise _Failure(f"already has the {SUFFIX} suffix; use -f to compress it again")
        dest = src + SUFFIX
    comp = MidicothCompressor(
        memory_mib=opts.memory,
        stages=opts.stages,
        block_size=opts.block_size,
        threads=opts.threads,
        size_hint=size,
        modes=opts.modes,
    )
    started = time.monotonic()

    def produce(out: IO[bytes]) -> tuple[int, int]:
        usize = csize = 0
        with _open_input(src) as fin, _Progress(size, _display(src), opts) as bar:
            while True:
                chunk = fin.read(_CHUNK)
                if not chunk:
                    break
                usize += len(chunk)
                coded = comp.compress(chunk)
                csize += len(coded)
                out.write(coded)
                bar.update(len(chunk))
            coded = comp.flush()
            out.write(coded)
        return usize, csize + len(coded)

    usize, csize = _write_output(src, dest, opts, produce)
    _finish_input(src, dest, opts)
    ratio = f"{100 * csize / usize:.2f} %, {8 * csize / usize:.3f} bpb" if usize else "empty"
    _note(
        opts,
        f"{_display(src)}: {usize} -> {csize} bytes ({ratio}) in "
        f"{time.monotonic() - started:.2f} s",
    )


def _decode(src: str, size: int | None, out: IO[bytes] | None, opts: _Options) -> int:
    """Decode every stream of ``src`` into ``out`` (discard if None); return the size."""
    total = 0
    with _open_input(src) as fin, _Progress(size, _display(src), opts) as bar:
        seekable = src != "-" and fin.seekable()
        done = 0
        with MidicothFile(fin, threads=opts.threads, memlimit=opts.memlimit) as reader:
            while True:
                data = reader.read(_CHUNK)
                if not data:
                    break
                total += len(data)
                if out is not None:
                    out.write(data)
                if seekable:
                    pos = fin.tell()
                    bar.update(pos - done)
                    done = pos
    return total


def _decompress_one(src: str, opts: _Options) -> None:
    size = _input_size(src)
    if opts.to_stdout or (src == "-" and opts.output is None):
        dest = None
    elif opts.output is not None:
        dest = opts.output
    elif src.endswith(SUFFIX) and len(os.path.basename(src)) > len(SUFFIX):
        dest = src[: -len(SUFFIX)]
    else:
        raise _Failure(f"unknown suffix (expected {SUFFIX}); use -o or -c")
    started = time.monotonic()
    written = _write_output(src, dest, opts, lambda out: _decode(src, size, out, opts))
    _finish_input(src, dest, opts)
    _note(
        opts,
        f"{_display(src)}: {written} bytes decompressed in {time.monotonic() - started:.2f} s",
    )


def _test_one(src: str, opts: _Options) -> None:
    total = _decode(src, _input_size(src), None, opts)
    _note(opts, f"{_display(src)}: OK ({total} bytes)")


def _info_one(src: str, opts: _Options) -> None:
    _input_size(src)
    with _open_input(src) as fin:
        streams = list(scan(fin))
    lines = [f"{_display(src)}:"]
    for number, layout in enumerate(streams, 1):
        if len(streams) > 1:
            lines.append(f"  stream {number} at byte {layout.offset}:")
        lines.extend(_describe(layout, opts.verbose))
    usize = sum(s.uncompressed_size for s in streams)
    csize = sum(s.compressed_size for s in streams)
    ratio = f"{100 * csize / usize:.2f} % ({8 * csize / usize:.3f} bits per byte)" if usize else "-"
    lines += [
        f"  uncompressed    {usize} bytes",
        f"  compressed      {csize} bytes",
        f"  ratio           {ratio}",
    ]
    if not opts.quiet:
        click.echo("\n".join(lines))


def _describe(layout: StreamLayout, verbose: bool) -> list[str]:
    p = layout.params
    mode = "independent" if p.independent else "solid"
    lines = [
        f"  format version  {p.format_version}"
        + (
            ""
            if any(fmt == p.format_version for fmt, _ in READ_VERSIONS)
            else f" (not this midicoth's: it reads format versions {_READ_FORMATS})"
        ),
        f"  model version   {p.model_version}"
        + (
            "" if (p.format_version, p.model_version) in READ_VERSIONS else " (not this midicoth's)"
        ),
        f"  written by      {written_by(p) or 'no midicoth release'}",
        f"  memory          {p.memory_mib} MiB",
        f"  stages          {stages_name(p.stages)}",
        f"  blocks          {len(layout.blocks)} {mode}, up to {_human(p.block_size)} each",
    ]
    if layout.blocks:
        lines.append(f"  methods         {_count_methods(layout)}")
    if verbose:
        for index, ((usize, csize), method) in enumerate(zip(layout.blocks, layout.methods)):
            lines.append(f"    block {index:<6} {usize:>10} -> {csize:>10} bytes  {method.name}")
    return lines


def _count_methods(layout: StreamLayout) -> str:
    """How many blocks of each method, most first: "3 record, 1 stored" (the
    record periods are listed per block by ``info -v``)."""
    counts = collections.Counter(
        "stored" if m.stored else modes_name(m.mode) if m.mode else "plain" for m in layout.methods
    )
    return ", ".join(f"{n} {name}" for name, n in counts.most_common())


def _run(action: Callable[[str, _Options], None], files: Sequence[str], opts: _Options) -> None:
    """Apply ``action`` to each file; report failures in one line each; exit 1 if any."""
    if opts.output is not None and (len(files) > 1 or opts.to_stdout):
        raise click.UsageError("-o/--output takes one input file and excludes -c/--stdout")
    if opts.output == "-":
        opts.output, opts.to_stdout = None, True
    status = 0
    for path in files or ["-"]:
        try:
            action(path, opts)
        except (_Failure, MidicothError) as exc:
            status = _report(path, str(exc))
        except BrokenPipeError:
            _silence_stdout()
            status = 1
            break
        except OSError as exc:
            status = _report(path, exc.strerror or str(exc))
        except MemoryError:
            status = _report(path, "out of memory")
        except Exception as exc:  # noqa: BLE001 - a bug: still one line, no traceback
            status = _report(path, f"internal error: {type(exc).__name__}: {exc}")
    if status:
        sys.exit(status)


def _report(path: str, message: str) -> int:
    click.echo(f"midicoth: {_display(path)}: {message}", err=True)
    return 1


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at devnull so exit does not complain."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _common(function: Callable[..., Any]) -> Callable[..., Any]:
    for decorator in reversed(
        [
            click.argument("files", nargs=-1, type=click.Path(allow_dash=True)),
            click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors."),
            click.option("-v", "--verbose", is_flag=True, help="Report sizes and times."),
        ]
    ):
        function = decorator(function)
    return function


def _writing(function: Callable[..., Any]) -> Callable[..., Any]:
    for decorator in reversed(
        [
            click.option(
                "-o",
                "--output",
                type=click.Path(dir_okay=False, allow_dash=True),
                help="Write to this file (- for stdout).",
            ),
            click.option("-c", "--stdout", "to_stdout", is_flag=True, help="Write to stdout."),
            click.option("-k", "--keep", is_flag=True, help="Keep the input file."),
            click.option("-f", "--force", is_flag=True, help="Overwrite existing output files."),
        ]
    ):
        function = decorator(function)
    return function


# Letters of the flags without a value that gzip-style calls may combine
# ("-dkc"), and the long flags of the same meaning.
_FLAG_LETTERS = frozenset("dckfqv")
_LONG_FLAGS = {
    "--decompress": "d",
    "--stdout": "c",
    "--keep": "k",
    "--force": "f",
    "--quiet": "q",
    "--verbose": "v",
}


def _gzip_style(args: list[str], commands: Sequence[str]) -> list[str]:
    """``midicoth [-d] [-ckfqv] FILE...`` as gzip takes it: rewritten to
    ``midicoth compress|decompress [-ckfqv] FILE...``. Anything else (a
    command first, no file, an option taking a value, or a bare word that
    names no file, likely a mistyped command) is left to click."""
    flags: list[str] = []
    for i, arg in enumerate(args):
        if arg in ("-", "--") or not arg.startswith("-"):
            if arg in commands or (arg == "--" and i + 1 == len(args)):
                return args
            break
        if arg in _LONG_FLAGS:
            flags.append(_LONG_FLAGS[arg])
        elif arg[1:] and not arg.startswith("--") and set(arg[1:]) <= _FLAG_LETTERS:
            flags.extend(arg[1:])
        else:
            return args
    else:
        return args  # no file: stdin to stdout, handled by the group
    if not flags and not os.path.lexists(arg):
        return args  # a mistyped command stays a usage error
    command = "decompress" if "d" in flags else "compress"
    rest = sorted({f for f in flags if f != "d"})
    return [command, *(["-" + "".join(rest)] if rest else []), *args[i:]]


class _Group(click.Group):
    """The command group, also accepting gzip-style calls with files."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, _gzip_style(list(args), list(self.commands)))


@click.group(
    cls=_Group,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "-d",
    "--decompress",
    "decompress_flag",
    is_flag=True,
    help="Without a command: decompress stdin to stdout.",
)
@click.option(
    "-c",
    "--stdout",
    "to_stdout",
    is_flag=True,
    help="Without a command: write to stdout (the default there).",
)
@click.version_option(
    version=__version__,
    message=f"%(prog)s %(version)s (container format {FORMAT_VERSION}, "
    f"model version {_core.MODEL_VERSION})",
)
@click.pass_context
def main(ctx: click.Context, decompress_flag: bool, to_stdout: bool) -> None:
    """Lossless compression by micro-diffusion.

    \b
    midicoth compress FILE...      FILE -> FILE.mdc
    midicoth decompress FILE.mdc   FILE.mdc -> FILE
    midicoth test FILE.mdc         verify without writing
    midicoth info FILE.mdc         format, parameters, sizes
    midicoth [-d] < in > out       gzip style, stdin to stdout
    midicoth [-d] [-ckf] FILE...   gzip style, same as compress/decompress

    Input files are removed after success unless -k is given.
    """
    if ctx.invoked_subcommand is not None:
        if decompress_flag or to_stdout:
            raise click.UsageError("-d and -c are for use without a command")
        return
    if not decompress_flag and not to_stdout and _stdin().isatty():
        click.echo(ctx.get_help())
        return
    opts = _Options(to_stdout=True)
    _guarded(lambda: _run(_decompress_one if decompress_flag else _compress_one, ["-"], opts))


def _guarded(body: Callable[[], None]) -> None:
    """Run a command body; SIGTERM and SIGHUP interrupt it like Ctrl-C does
    (so temporary files are removed), and end the run with one line."""

    def handler(signum: int, frame: Any) -> None:
        raise _Interrupted(signum)

    previous = {}
    for name in ("SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)
        if signum is not None:
            try:
                previous[signum] = signal.signal(signum, handler)
            except ValueError:  # not the main thread: leave signals alone
                pass
    try:
        body()
    except KeyboardInterrupt:
        click.echo("midicoth: interrupted", err=True)
        sys.exit(130)
    except _Interrupted as exc:
        click.echo("midicoth: terminated", err=True)
        sys.exit(128 + exc.signum)
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


@main.command("compress")
@_common
@_writing
@_threads("Compress")
@click.option(
    "--block-size",
    type=_SizeType(),
    default=None,
    help="Independent blocks of this size (e.g. 4M); default: one solid stream, "
    "or 4M blocks with -j.",
)
@click.option(
    "--memory",
    type=int,
    callback=_check_memory,
    default=None,
    metavar="MIB",
    help=f"Model memory in MiB, a power of two from {_core.MIN_MEMORY_MIB} to "
    f"{_core.MAX_MEMORY_MIB} (decoding uses the same); default: about 128 bytes "
    f"per input byte, at most {_core.DEFAULT_MEMORY_MIB}.",
)
@click.option(
    "--stages",
    callback=_parse_stages,
    default="all",
    metavar="LIST",
    help="Model stages on besides PPM: 'all' (the default), 'paper' (the published "
    "pipeline alone), 'ppm', or names joined by '+' from match, word, highctx, "
    "tweedie, mix, apm. Fewer stages code faster and larger; decoding needs no option.",
)
@click.option(
    "--modes",
    callback=_parse_modes,
    default="all",
    metavar="LIST",
    help="Block methods the analyser may pick: 'all' (the default), 'none' (the plain "
    "model, as 0.5.1), or names joined by '+' from record, sparse, x86. Blocks that "
    "would grow are stored whatever this says; decoding needs no option.",
)
def compress_command(files: Sequence[str], **kwargs: Any) -> None:
    """Compress FILEs to FILE.mdc (or stdin to stdout)."""
    _guarded(lambda: _run(_compress_one, files, _Options(**kwargs)))


@main.command("decompress")
@_common
@_writing
@_threads("Decode")
@_memlimit
def decompress_command(files: Sequence[str], **kwargs: Any) -> None:
    """Decompress FILE.mdc to FILE (or stdin to stdout)."""
    _guarded(lambda: _run(_decompress_one, files, _Options(**kwargs)))


@main.command("test")
@_common
@_threads("Decode")
@_memlimit
def test_command(files: Sequence[str], **kwargs: Any) -> None:
    """Check that FILEs decompress correctly, writing nothing."""
    _guarded(lambda: _run(_test_one, files, _Options(**kwargs)))


@main.command("info")
@_common
def info_command(files: Sequence[str], **kwargs: Any) -> None:
    """Show format, parameters, blocks and sizes, without decoding."""
    _guarded(lambda: _run(_info_one, files, _Options(**kwargs)))
