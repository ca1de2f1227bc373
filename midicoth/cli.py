"""The ``midicoth`` command line: compress, decompress, test and info.

Behaves like xz and gzip where they agree: ``compress FILE`` writes
``FILE.mdc`` and removes FILE once the output is safely written (``-k``
keeps it); ``decompress FILE.mdc`` writes ``FILE``; ``-`` is stdin/stdout.
As xz does, an input that is a symbolic link is skipped unless ``-f`` or
``-c`` is given, and one with several hard links unless ``-f``, ``-k`` or
``-c``: nothing is removed that the user did not name.

Output goes to a file that has no name until it is complete (Linux's
``O_TMPFILE``), which is then linked into place; where the system or file
system has no such files, to a hidden ``.NAME.XXXXXXXX.part`` file beside
the destination, renamed into place when complete. A failed or interrupted
run leaves no output and never touches the input; only SIGKILL or a crash
can leave a ``.part`` file behind: in the second case, or in the instant
that -f replaces an existing file (through such a name).

SIGINT, SIGTERM and SIGHUP end a run at once in every mode: the temporary
output is removed, one line is printed and the process dies of the signal
(the shell's status 128 + the signal number), without waiting for worker
threads still coding a block.

Exit status: 0 success; 1 an error on any file (the other files are still
processed); 2 a usage error, or a file skipped and no error (xz's
warning status).

``compress -1`` … ``-9`` (``--fast`` is -1, ``--best`` -9; the last one
given counts, as in xz) choose a compression level
(:mod:`midicoth.levels`); ``--stages``, ``--modes`` and ``--memory`` choose
what a level would, so they exclude one (a usage error).

Without a command, ``midicoth`` takes xz's and gzip's options: ``-z``
(the default), ``-d``, ``-t`` or ``-l`` chooses compress, decompress,
test or info, and every other argument goes to that command in its order,
so ``midicoth -dkc FILE.mdc``, ``midicoth -k -o x.mdc a.txt`` and
``midicoth -d < in > out`` work as they do with xz.
"""

from __future__ import annotations

import collections
import errno
import os
import re
import secrets
import signal
import stat
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import IO, Any, TypeVar

import click

from . import __version__, _core
from ._checks import check_block_size, check_level_alone
from .api import DEFAULT_MEMLIMIT, MidicothCompressor, MidicothFile
from .format import (
    FORMAT_VERSION,
    READ_VERSIONS,
    MidicothError,
    StreamLayout,
    modes_name,
    parse_modes,
    parse_stages,
    scan,
    stages_name,
    written_by,
)
from .levels import DEFAULT_LEVEL, LEVELS

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


class _Skipped(Exception):
    """A file left alone on purpose (xz's warnings): one line unless -q, the
    run goes on, exit status 2 unless another file failed."""


class _NoLink(Exception):
    """The system gives an unnamed file no name: write a named one instead."""


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
        try:
            check_block_size(size)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)
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
    """--memory: a budget the engine takes (the core's rule and message)."""
    try:
        if value is not None:
            _core.check_params(value, _core.ALL_STAGES)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


def _parse_stages(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    try:
        return None if value is None else parse_stages(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _parse_modes(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    try:
        return None if value is None else parse_modes(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


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
    stages: int | None = None
    modes: int | None = None
    level: int | None = None
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


# --- ending on a signal -----------------------------------------------------------------

# What Ctrl-C, kill and a closed terminal send.
_ENDING_SIGNALS = frozenset(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)
# Held while an output is put in place and its input removed, and by the
# signal path while it cleans up and exits: so a signal ends a run before
# that step or after it, never between.
_commit_lock = threading.RLock()
# The named temporary outputs that exist now: the signal path removes them.
# Changed only under _commit_lock, so that the signal path sees each one.
_temporaries: set[str] = set()
# Set while a progress bar is on the terminal: the last line then starts anew.
_bar_on_screen = threading.Event()


def _die_of(signum: int) -> None:
    """End the process at once by ``signum`` itself, its default action
    restored, as xz and gzip do: the shell then reports status 128 +
    ``signum`` and, seeing a death by signal, stops a loop that ran this
    program (after a plain exit, bash would go on to the next command).
    ``os._exit(128 + signum)`` where that cannot be done. Never a normal
    exit, which would wait for the worker threads to code every block
    already queued (minutes on a large input)."""
    if os.name == "posix":
        with suppress(Exception):
            import ctypes

            # libc's signal(), as Python's own works in the main thread only
            libc_signal = ctypes.CDLL(None, use_errno=True).signal
            libc_signal.restype = ctypes.c_void_p
            libc_signal.argtypes = (ctypes.c_int, ctypes.c_void_p)
            if libc_signal(signum, None) != ctypes.c_void_p(-1).value:  # SIG_DFL; SIG_ERR
                signal.pthread_sigmask(signal.SIG_UNBLOCK, [signum])
                # to this thread: it dies before the call returns
                signal.pthread_kill(threading.get_ident(), signum)
    os._exit(128 + signum)


def _end_run(signum: int) -> None:
    """End the process for ``signum``: remove the temporary outputs, say so
    in one line and die of the signal (:func:`_die_of`)."""
    with _commit_lock:
        try:
            for path in list(_temporaries):
                with suppress(OSError):
                    os.unlink(path)
            if signum == getattr(signal, "SIGINT", None):
                what = "interrupted"
            else:
                what = f"terminated by {signal.Signals(signum).name}"
            line = ("\n" if _bar_on_screen.is_set() else "") + f"midicoth: {what}\n"
            with suppress(Exception):  # stderr closed or gone: the exit status still tells
                sys.stderr.write(line)
                sys.stderr.flush()
        finally:  # whatever failed above, the process ends: its handlers now ignore signals
            _die_of(signum)


def _watch_signals(fd: int) -> None:
    """The signal thread: read the numbers of the signals that arrive (the
    bytes Python's own handler writes to the wakeup fd) and end the run on
    the first ending one; return when the pipe is closed."""
    while True:
        try:
            data = os.read(fd, 64)
        except OSError:
            return
        if not data:
            return
        for signum in data:
            if signum in _ENDING_SIGNALS:
                _end_run(signum)


def _ignore_signal(signum: int, frame: Any) -> None:
    """The Python-level handler while the signal thread is watching: the
    main thread goes on until the process ends, and raises nothing (so no
    second Ctrl-C can print a traceback)."""


def _end_run_handler(signum: int, frame: Any) -> None:
    """The Python-level handler where no signal thread watches: end the run."""
    _end_run(signum)


@contextmanager
def _ending_on_signals() -> Iterator[None]:
    """While the body runs, SIGINT, SIGTERM and SIGHUP end the run by
    :func:`_end_run`. On POSIX a thread of its own does it, woken through
    the signal wakeup fd: it runs within milliseconds even while the main
    thread waits in C code (an engine call, a worker's result, a read);
    elsewhere the main thread's handler does, between bytecodes."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers belong to the main thread: leave them alone
        return
    watcher: threading.Thread | None = None
    previous_wakeup = -1
    read_fd = write_fd = -1
    handler: Callable[[int, Any], None] = _end_run_handler
    if os.name == "posix":
        read_fd, write_fd = os.pipe()
        os.set_blocking(write_fd, False)  # as set_wakeup_fd requires
        previous_wakeup = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
        watcher = threading.Thread(
            target=_watch_signals, args=(read_fd,), name="midicoth-signals", daemon=True
        )
        watcher.start()
        handler = _ignore_signal
    previous = {signum: signal.signal(signum, handler) for signum in _ENDING_SIGNALS}
    try:
        yield
    finally:
        # Under the lock the signal path holds while it ends the process:
        # a signal that came just before the body ended still ends the run,
        # and its death by the signal cannot meet a handler restored here.
        with _commit_lock:
            for signum, old in previous.items():
                signal.signal(signum, old)
        if watcher is not None:
            signal.set_wakeup_fd(previous_wakeup)  # before the fd closes and is reused
            os.close(write_fd)  # the watcher reads the end of the pipe and returns
            watcher.join()  # or, if a signal came, it is ending the process
            os.close(read_fd)


# --- input ------------------------------------------------------------------------------


@dataclass
class _Source:
    """An input, open: its name, the file and its status (None for stdin)."""

    name: str
    file: IO[bytes]
    stat: os.stat_result | None

    @property
    def size(self) -> int | None:
        return None if self.stat is None else self.stat.st_size


@contextmanager
def _opened(src: str, opts: _Options, *, removes: bool) -> Iterator[_Source]:
    """``src`` opened for reading; stdin for ``-`` (not closed). ``removes``:
    the run removes the input when done, so, as xz does, a symbolic link is
    skipped unless -f or -c (the link, not its target, would go), and a
    file with several hard links unless -f, -k or -c (its data would stay
    under the other names)."""
    if src == "-":
        yield _Source(src, _stdin(), None)
        return
    follow = not removes or opts.force or opts.to_stdout
    link_skip = "is a symbolic link, skipping (-f or -c follows it)"
    if not follow and stat.S_ISLNK(os.lstat(src).st_mode):
        raise _Skipped(link_skip)
    if not stat.S_ISREG(os.stat(src).st_mode):  # before opening: a FIFO would block
        raise _Failure("not a regular file")
    nofollow = 0 if follow else getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(src, os.O_RDONLY | getattr(os, "O_BINARY", 0) | nofollow)
    except OSError as exc:
        if nofollow and exc.errno == errno.ELOOP:  # became a link since lstat
            raise _Skipped(link_skip) from None
        raise
    with os.fdopen(fd, "rb") as file:
        st = os.fstat(fd)
        if removes and st.st_nlink > 1 and not (opts.force or opts.keep or opts.to_stdout):
            raise _Skipped(
                f"has {st.st_nlink} hard links, skipping (-k keeps it; -f removes this name)"
            )
        yield _Source(src, file, st)


def _remove_input(source: _Source, opts: _Options) -> None:
    """Remove the input of a run whose output is now in place, unless kept."""
    if source.stat is not None and not opts.keep:
        source.file.close()  # Windows removes no open file
        os.unlink(source.name)


# --- output -----------------------------------------------------------------------------

_AT_FDCWD = -100  # Linux's values, for linkat(2)
_AT_EMPTY_PATH = 0x1000


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _unnamed_file(directory: str) -> int | None:
    """A file in ``directory`` that has no name yet (O_TMPFILE), open for
    reading and writing; None where the system or the file system has none."""
    flag = getattr(os, "O_TMPFILE", 0)
    if not flag:
        return None
    try:
        return os.open(directory, flag | os.O_RDWR | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        # EISDIR: a kernel older than O_TMPFILE; EOPNOTSUPP: a file system without it
        if exc.errno in (errno.EOPNOTSUPP, errno.ENOTSUP, errno.EISDIR, errno.EINVAL):
            return None
        raise


def _link_empty_path(fd: int, path: str) -> bool:
    """linkat(fd, "", AT_FDCWD, path, AT_EMPTY_PATH): name the open file
    ``path``. True if done, False where refused or unavailable;
    FileExistsError if the name is taken."""
    try:
        import ctypes

        linkat = ctypes.CDLL(None, use_errno=True).linkat
    except (ImportError, OSError, AttributeError):
        return False
    linkat.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int)
    linkat.restype = ctypes.c_int
    if linkat(fd, b"", _AT_FDCWD, os.fsencode(path), _AT_EMPTY_PATH) == 0:
        return True
    if ctypes.get_errno() == errno.EEXIST:
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), path)
    return False


def _link_fd(fd: int, path: str) -> None:
    """Name the unnamed file open as ``fd`` ``path``: FileExistsError if the
    name is taken (never replaced), _NoLink if this system allows no way."""
    try:
        os.link(f"/proc/self/fd/{fd}", path, follow_symlinks=True)
        return
    except FileExistsError:
        raise
    except OSError:
        pass
    # No /proc, or a security policy that refuses links through it (EXDEV):
    # AT_EMPTY_PATH names the open file itself (Linux 6.10 allows it to the
    # process that opened the file, earlier kernels to privileged ones).
    if not _link_empty_path(fd, path):
        raise _NoLink


def _hidden_prefix(dest: str) -> str:
    """The start of a temporary file's name beside ``dest``: temporary files
    are ``.NAME.XXXXXXXX.part``, the name the documentation gives for
    leftovers."""
    return "." + os.path.basename(dest)[:200] + "."  # stays within NAME_MAX


def _temporary_name(dest: str) -> str:
    """A fresh name for a hidden temporary file beside ``dest``."""
    name = _hidden_prefix(dest) + secrets.token_hex(4) + ".part"
    return os.path.join(os.path.dirname(dest), name)


def _link_into_place(fd: int, dest: str, force: bool) -> None:
    """Name the complete unnamed output ``dest``; with ``force``, over an
    existing file (through a temporary name, as a link cannot replace)."""
    try:
        _link_fd(fd, dest)
        return
    except FileExistsError:
        if not force:
            raise _Failure(f"{dest} appeared while writing it; use -f to overwrite") from None
    for _ in range(100):
        tmp = _temporary_name(dest)
        try:
            _link_fd(fd, tmp)
            break
        except FileExistsError:
            continue
    else:
        raise _Failure(f"no free temporary name beside {dest}")
    try:
        os.replace(tmp, dest)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise


def _finish(fd: int, st: os.stat_result | None) -> None:
    """Give the output the input's owner (where allowed), permission bits
    and times, and make it durable: all before it gets its name."""
    if hasattr(os, "fchmod"):  # not on Windows: the default mode stays
        if st is None:
            os.fchmod(fd, 0o666 & ~_umask())
        else:
            with suppress(OSError):  # not allowed to give the file away: keep ours
                os.fchown(fd, st.st_uid, st.st_gid)
            os.fchmod(fd, stat.S_IMODE(st.st_mode))
    if st is not None and os.utime in os.supports_fd:
        os.utime(fd, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.fsync(fd)


def _write_named(
    source: _Source, dest: str, opts: _Options, produce: Callable[[IO[bytes]], _T]
) -> _T:
    """:func:`_write_output` through a hidden ``.NAME.XXXXXXXX.part`` file
    beside ``dest``, renamed over it when complete."""
    with _commit_lock:  # created and registered at once, as the signal path sees it
        fd, tmp = tempfile.mkstemp(
            dir=os.path.dirname(dest) or ".", prefix=_hidden_prefix(dest), suffix=".part"
        )
        _temporaries.add(tmp)
    try:
        with os.fdopen(fd, "wb") as out:
            result = produce(out)
            out.flush()
            _finish(out.fileno(), source.stat)
        if source.stat is not None and os.utime not in os.supports_fd:
            os.utime(tmp, ns=(source.stat.st_atime_ns, source.stat.st_mtime_ns))
        with _commit_lock:
            if os.path.lexists(dest) and not opts.force:
                raise _Failure(f"{dest} appeared while writing it; use -f to overwrite")
            os.replace(tmp, dest)
            _temporaries.discard(tmp)
            _remove_input(source, opts)
    except BaseException:
        with _commit_lock:
            if tmp in _temporaries:
                _temporaries.discard(tmp)
                with suppress(OSError):
                    os.unlink(tmp)
        raise
    return result


def _copy_fd(fd: int, out: IO[bytes]) -> None:
    """Copy the whole file open as ``fd`` to ``out``."""
    offset = 0
    while chunk := os.pread(fd, _CHUNK, offset):
        out.write(chunk)
        offset += len(chunk)


def _write_output(
    source: _Source, dest: str | None, opts: _Options, produce: Callable[[IO[bytes]], _T]
) -> _T:
    """Run ``produce`` on the output and return its result. The output is
    stdout when ``dest`` is None; else a file that appears as ``dest`` only
    once complete, after which the input is removed (unless kept)."""
    if dest is None:
        out = _stdout()
        result = produce(out)
        out.flush()
        return result
    if source.stat is not None and _same_file(source.name, dest):
        raise _Failure(f"output {dest} is the input file")
    if os.path.lexists(dest) and not opts.force:
        raise _Failure(f"{dest} already exists; use -f to overwrite")
    fd = _unnamed_file(os.path.dirname(dest) or ".")
    if fd is None:
        return _write_named(source, dest, opts, produce)
    try:
        with os.fdopen(fd, "wb", closefd=False) as out:
            result = produce(out)
        _finish(fd, source.stat)
        try:
            with _commit_lock:
                _link_into_place(fd, dest, opts.force)
                _remove_input(source, opts)
        except _NoLink:  # complete but unnamable: copy it to a named file
            _write_named(source, dest, opts, lambda out: _copy_fd(fd, out))
    finally:
        os.close(fd)
    return result


# --- the commands' work -----------------------------------------------------------------


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
        if self._bar is None:
            return _NoProgress()
        _bar_on_screen.set()
        return self._bar.__enter__()

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)
            _bar_on_screen.clear()


def _compress_one(src: str, opts: _Options) -> None:
    started = time.monotonic()
    with _opened(src, opts, removes=True) as source:
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
            size_hint=source.size,
            modes=opts.modes,
            level=opts.level,
        )

        def produce(out: IO[bytes]) -> tuple[int, int]:
            usize = csize = 0
            with _Progress(source.size, _display(src), opts) as bar:
                while True:
                    chunk = source.file.read(_CHUNK)
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

        usize, csize = _write_output(source, dest, opts, produce)
    ratio = f"{100 * csize / usize:.2f} %, {8 * csize / usize:.3f} bpb" if usize else "empty"
    _note(
        opts,
        f"{_display(src)}: {usize} -> {csize} bytes ({ratio}) in "
        f"{time.monotonic() - started:.2f} s",
    )


def _decode(source: _Source, out: IO[bytes] | None, opts: _Options) -> int:
    """Decode every stream of ``source`` into ``out`` (discard if None); return the size."""
    total = 0
    fin = source.file
    with _Progress(source.size, _display(source.name), opts) as bar:
        seekable = source.stat is not None and fin.seekable()
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
    started = time.monotonic()
    with _opened(src, opts, removes=True) as source:
        if opts.to_stdout or (src == "-" and opts.output is None):
            dest = None
        elif opts.output is not None:
            dest = opts.output
        elif src.endswith(SUFFIX) and len(os.path.basename(src)) > len(SUFFIX):
            dest = src[: -len(SUFFIX)]
        else:
            raise _Failure(f"unknown suffix (expected {SUFFIX}); use -o or -c")
        written = _write_output(source, dest, opts, lambda out: _decode(source, out, opts))
    _note(
        opts,
        f"{_display(src)}: {written} bytes decompressed in {time.monotonic() - started:.2f} s",
    )


def _test_one(src: str, opts: _Options) -> None:
    with _opened(src, opts, removes=False) as source:
        total = _decode(source, None, opts)
    _note(opts, f"{_display(src)}: OK ({total} bytes)")


def _info_one(src: str, opts: _Options) -> None:
    with _opened(src, opts, removes=False) as source:
        streams = list(scan(source.file))
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
        f"  level           {p.level or '-'}",
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
    """Apply ``action`` to each file, reporting each failure or skip in one
    line; exit 1 if any file failed, else 2 if any was skipped."""
    if opts.output is not None and (len(files) > 1 or opts.to_stdout):
        raise click.UsageError("-o/--output takes one input file and excludes -c/--stdout")
    if opts.output == "-":
        opts.output, opts.to_stdout = None, True
    failed = skipped = False
    for path in files or ["-"]:
        try:
            action(path, opts)
            continue
        except _Skipped as exc:
            skipped = True
            if not opts.quiet:
                _report(path, str(exc))
            continue
        except (_Failure, MidicothError) as exc:
            message = str(exc)
        except BrokenPipeError:
            _silence_stdout()
            failed = True
            break
        except OSError as exc:
            message = exc.strerror or str(exc)
        except MemoryError:
            message = "out of memory"
        except Exception as exc:  # noqa: BLE001 - a bug: still one line, no traceback
            message = f"internal error: {type(exc).__name__}: {exc}"
        failed = True
        _report(path, message)
    if failed or skipped:
        sys.exit(1 if failed else 2)


def _report(path: str, message: str) -> None:
    click.echo(f"midicoth: {_display(path)}: {message}", err=True)


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at devnull so exit does not complain."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _guarded(action: Callable[[str, _Options], None], files: Sequence[str], opts: _Options) -> None:
    """Run a command: :func:`_run`, ended at once by SIGINT, SIGTERM or SIGHUP."""
    with _ending_on_signals():
        _run(action, files, opts)


# --- options ----------------------------------------------------------------------------


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
            click.option(
                "-f",
                "--force",
                is_flag=True,
                help="Overwrite existing output files; compress symbolic links (their "
                "targets) and files with several hard links too.",
            ),
        ]
    ):
        function = decorator(function)
    return function


# --- without a command: xz's and gzip's options -----------------------------------------

# The options that choose the command, as xz names them.
_MODE_OPTIONS = {
    "-z": "compress",
    "--compress": "compress",
    "-d": "decompress",
    "--decompress": "decompress",
    "--uncompress": "decompress",
    "-t": "test",
    "--test": "test",
    "-l": "info",
    "--list": "info",
}
_MODE_HELP = [
    ("-z, --compress", "Compress (the default)."),
    ("-d, --decompress", "Decompress."),
    ("-t, --test", "Test: decode and check, writing nothing."),
    ("-l, --list", "Show what info shows."),
]


def _options_taking_values(commands: Sequence[click.Command]) -> frozenset[str]:
    """The option names of ``commands`` that take a value (``-o``, ``--memory``)."""
    return frozenset(
        name
        for command in commands
        for param in command.params
        if isinstance(param, click.Option) and not param.is_flag and not param.count
        for name in param.opts + param.secondary_opts
    )


def _without_command(args: list[str], group: click.Group, ctx: click.Context) -> list[str]:
    """The arguments of a call without a command, rewritten as a call of
    one: the mode options (``-z``, ``-d``, ``-t``, ``-l``, also inside
    ``-dkc``; the last one counts, as in xz) choose the command, default
    compress, and every other argument goes to it in its order, so that
    click parses each option of that command wherever it stands. Calls
    that name a command, ask for help or the version, have no argument or
    start with a word that names no file (a mistyped command) are left
    as they are."""
    if not args or args[0] in group.commands or args[0] in ("-h", "--help", "--version"):
        return args
    if not args[0].startswith("-") and not os.path.lexists(args[0]):
        return args  # click says "No such command"
    takes_value = _options_taking_values(list(group.commands.values()))
    modes: list[str] = []
    rest: list[str] = []
    value_next = False
    for i, arg in enumerate(args):
        if value_next:
            rest.append(arg)
            value_next = False
        elif arg == "--":
            rest += args[i:]  # files only from here on
            break
        elif arg.startswith("--"):
            if arg in _MODE_OPTIONS:
                modes.append(_MODE_OPTIONS[arg])
            else:
                rest.append(arg)
                value_next = arg in takes_value  # "--memory 16", not "--memory=16"
        elif arg.startswith("-") and arg != "-":
            kept = ""
            for j, letter in enumerate(arg[1:], 2):
                if "-" + letter in _MODE_OPTIONS:
                    modes.append(_MODE_OPTIONS["-" + letter])
                    continue
                kept += letter
                if "-" + letter in takes_value:  # the rest of the word, or the next, is its value
                    kept += arg[j:]
                    value_next = j == len(arg)
                    break
            if kept:
                rest.append("-" + kept)
        elif arg in group.commands:
            raise click.UsageError(
                f"{arg!r} is a command: it goes first (midicoth {arg} [OPTIONS] FILE...); "
                f"write ./{arg} for a file of that name",
                ctx,
            )
        else:
            rest.append(arg)
    return [modes[-1] if modes else "compress", *rest]


class _Group(click.Group):
    """The command group, also accepting calls without a command, as xz's."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        args = list(args)
        if not args and not _stdin().isatty():
            args = ["compress"]  # as xz: stdin to stdout
        return super().parse_args(ctx, _without_command(args, self, ctx))

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """After the commands: the call without a command and every option it takes."""
        with formatter.section("Without a command, as xz and gzip"):
            formatter.write_text(
                "midicoth [-z|-d|-t|-l] [OPTION]... [FILE]...: the mode option chooses "
                "the command, and any option of that command may stand anywhere "
                "(midicoth -dkc FILE.mdc, midicoth -k -o x.mdc a.txt, midicoth -T0 big). "
                "No FILE, or -, means stdin, written to stdout."
            )
            formatter.write_paragraph()
            formatter.write_dl(_MODE_HELP)
        seen: set[str] = set()
        rows = []
        for name in ("compress", "decompress"):
            command = self.commands[name]
            sub = click.Context(command, info_name=name, parent=ctx)
            for param in command.get_params(sub):
                record = param.get_help_record(sub)
                # by the option's names: -1 … -9, --fast and --best share one parameter
                if record is not None and record[0] not in seen and param.name != "help":
                    seen.add(record[0])
                    rows.append(record)
        with formatter.section("Options of compress and decompress, with or without the command"):
            formatter.write_dl(rows)


class _LevelOption(click.Option):
    """``-1``, shown in the help as ``-1 … -9`` (the other levels' options
    are hidden), with every level listed from :data:`LEVELS`."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        record = super().get_help_record(ctx)
        return None if record is None else (f"-{min(LEVELS)} … -{max(LEVELS)}", record[1])


def _levels_help() -> str:
    """The help of ``-1`` … ``-9``: what they do, then one line per level."""
    lines = [
        f"-{number}  {level.summary} (up to {level.memory_cap_mib} MiB)"
        for number, level in sorted(LEVELS.items())
    ]
    return (
        f"Compression level, -{min(LEVELS)} fastest … -{max(LEVELS)} smallest "
        f"(default -{DEFAULT_LEVEL}; the last one given counts). A level sets the "
        "stages, modes and memory, so it excludes --stages, --modes and --memory. "
        "Decoding needs no option, and the memory the level chose:\n\n\b\n" + "\n".join(lines)
    )


def _levels(function: Callable[..., Any]) -> Callable[..., Any]:
    """The options -1 … -9, --fast (-1) and --best (-9), one parameter: ``level``."""
    fastest, best = min(LEVELS), max(LEVELS)
    decorators = [
        click.option(
            f"-{number}",
            "level",
            flag_value=number,
            cls=_LevelOption if number == fastest else click.Option,
            hidden=number != fastest,
            help=_levels_help() if number == fastest else None,
        )
        for number in sorted(LEVELS)
    ]
    decorators += [
        click.option("--fast", "level", flag_value=fastest, help=f"The same as -{fastest}."),
        click.option("--best", "level", flag_value=best, help=f"The same as -{best}."),
    ]
    for decorator in reversed(decorators):
        function = decorator(function)
    return function


def _stages_label(stages: int) -> str:
    """A stage set as --stages takes it: 'all' for every stage, else the names."""
    return "all" if stages == _core.ALL_STAGES else stages_name(stages)


def _modes_label(modes: int) -> str:
    """A mode set as --modes takes it: 'all' for every mode, else the names."""
    return "all" if modes == _core.MODE_ALL else modes_name(modes)


def _threads(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The -j (xz's -T) option of a command that codes independent blocks
    ("Compress", "Decode")."""
    return click.option(
        "-j",
        "-T",
        "--threads",
        type=click.IntRange(min=0),
        metavar="N",
        default=1,
        show_default=True,
        help=f"{what} independent blocks on N cores (0: all cores).",
    )


@click.group(
    cls=_Group,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(
    version=__version__,
    message=f"%(prog)s %(version)s (container format {FORMAT_VERSION}, "
    f"model version {_core.MODEL_VERSION})",
)
@click.pass_context
def main(ctx: click.Context) -> None:
    """Lossless compression by micro-diffusion.

    \b
    midicoth compress FILE...      FILE -> FILE.mdc
    midicoth decompress FILE.mdc   FILE.mdc -> FILE
    midicoth test FILE.mdc         verify without writing
    midicoth info FILE.mdc         format, parameters, sizes
    midicoth [-d] < in > out       as xz, stdin to stdout
    midicoth [-d] [-kfc] FILE...   as xz, same as compress/decompress

    Input files are removed after success unless -k is given. Exit status:
    0 success, 1 an error, 2 a usage error or a file skipped.
    """
    if ctx.invoked_subcommand is None:  # no argument, on a terminal
        click.echo(ctx.get_help())


@main.command("compress")
@_common
@_writing
@_threads("Compress")
@_levels
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
    f"{_core.MAX_MEMORY_MIB} (decoding uses the same); default: as -{DEFAULT_LEVEL}, about "
    f"{LEVELS[DEFAULT_LEVEL].memory_per_byte} bytes per input byte, at most "
    f"{LEVELS[DEFAULT_LEVEL].memory_cap_mib}.",
)
@click.option(
    "--stages",
    callback=_parse_stages,
    default=None,
    metavar="LIST",
    help="Model stages on besides PPM: 'all', 'paper' (the published pipeline alone), "
    "'ppm', or names joined by '+' from match, word, highctx, tweedie, mix, apm; "
    f"default: as -{DEFAULT_LEVEL}, '{_stages_label(LEVELS[DEFAULT_LEVEL].stages)}'. "
    "Fewer stages code faster and larger; decoding needs no option.",
)
@click.option(
    "--modes",
    callback=_parse_modes,
    default=None,
    metavar="LIST",
    help="Block methods the analyser may pick: 'all', 'none' (the plain model, as "
    "0.5.1), or names joined by '+' from record, sparse, x86; default: as "
    f"-{DEFAULT_LEVEL}, '{_modes_label(LEVELS[DEFAULT_LEVEL].modes)}'. Blocks that "
    "would grow are stored whatever this says; decoding needs no option.",
)
def compress_command(files: Sequence[str], **kwargs: Any) -> None:
    """Compress FILEs to FILE.mdc (or stdin to stdout).

    -1 … -9 choose a level (default -6), or --stages, --modes and --memory
    the settings themselves: one or the other.
    """
    opts = _Options(**kwargs)
    if opts.level is not None:
        settings = {"--stages": opts.stages, "--modes": opts.modes, "--memory": opts.memory}
        try:
            check_level_alone(f"-{opts.level}", settings)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
    _guarded(_compress_one, files, opts)


@main.command("decompress")
@_common
@_writing
@_threads("Decode")
@_memlimit
def decompress_command(files: Sequence[str], **kwargs: Any) -> None:
    """Decompress FILE.mdc to FILE (or stdin to stdout)."""
    _guarded(_decompress_one, files, _Options(**kwargs))


@main.command("test")
@_common
@_threads("Decode")
@_memlimit
def test_command(files: Sequence[str], **kwargs: Any) -> None:
    """Check that FILEs decompress correctly, writing nothing."""
    _guarded(_test_one, files, _Options(**kwargs))


@main.command("info")
@_common
def info_command(files: Sequence[str], **kwargs: Any) -> None:
    """Show format, parameters, blocks and sizes, without decoding."""
    _guarded(_info_one, files, _Options(**kwargs))
