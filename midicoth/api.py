"""The Python API: one-shot functions, streaming objects and the file class.

Shaped like the standard library's :mod:`lzma`:

* :class:`MidicothCompressor` and :class:`MidicothDecompressor` turn the
  engine's coder segments into a framed, checksummed stream (docs/FORMAT.md);
* :func:`compress` and :func:`decompress` are one-shot wrappers of them;
* :class:`MidicothFile` (via :func:`open`) reads through a small raw reader
  under :class:`io.BufferedReader` and writes through a compressor.

Writers take a compression ``level`` (1-9, :mod:`midicoth.levels`) or the
settings a level stands for, ``stages``, ``modes`` and ``memory_mib``, one
or the other, as :mod:`lzma` takes a ``preset`` or ``filters``.

Every kind of bad or damaged data raises :class:`MidicothError`; bad
arguments raise :class:`ValueError` or :class:`TypeError`.
"""

from __future__ import annotations

import builtins
import collections
import io
import operator
import os
import threading
import zlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import IO, Any, NamedTuple

from . import _core
from .format import (
    DEFAULT_BLOCK_SIZE,
    MAX_BLOCK_SIZE,
    MIN_BLOCK_SIZE,
    SOLID_BLOCK_SIZE,
    BlockHeader,
    MidicothError,
    StreamParams,
    check_decodable,
    memory_mib_valid,
    method_name,
    pack_block_header,
    pack_end_marker,
    pack_stream_header,
    parse_modes,
    parse_stages,
    read_block_header,
    read_stream_header,
    stages_name,
    stages_valid,
    starts_a_stream,
)
from .levels import DEFAULT_LEVEL, LEVELS, Level, auto_memory_mib, memory_for

__all__ = [
    "DEFAULT_MEMLIMIT",
    "MidicothCompressor",
    "MidicothDecompressor",
    "MidicothError",
    "MidicothFile",
    "auto_memory_mib",
    "compress",
    "decompress",
    "open",
]

Buffer = bytes | bytearray | memoryview
PathLike = str | bytes | os.PathLike[str] | os.PathLike[bytes]

_READ_CHUNK = 1 << 16  # compressed bytes a file reader asks for at a time
_DECODE_PIECE = 1 << 20  # most bytes asked of the engine at once (it allocates that much)
# A worker decoding a block looks for a request to stop after this many bytes.
_WORKER_PIECE = 1 << 18

DEFAULT_MEMLIMIT = 1 << 30
"""The model memory a decompressor may use unless told otherwise: 1 GiB, four
times the largest budget a compressor picks by itself. A stream whose model
needs more is refused before anything is allocated (``memlimit=``, ``-M``)."""

# What a decoded block's engine is told to expect, per coded byte, when a
# solid stream's first block is full and so its total is not known yet: it
# decides only how the engine's tables are paged in.
_EXPECTED_PER_CODED_BYTE = 1 << 10


def _bytes_view(data: Buffer) -> memoryview:
    """``data`` as a memoryview of bytes, with :mod:`lzma`'s error for non-buffers."""
    try:
        view = memoryview(data)
    except TypeError:
        raise TypeError(f"a bytes-like object is required, not '{type(data).__name__}'") from None
    return view.cast("B")


def _check_memlimit(memlimit: int | None) -> None:
    if memlimit is not None:
        _check_int("memlimit", memlimit)
        if memlimit < 0:
            raise ValueError(f"memlimit must be non-negative or None, not {memlimit}")


def _engines_within(params: StreamParams, memlimit: int | None, threads: int) -> int:
    """How many engines decoding the stream may hold at once: ``threads``,
    fewer where ``memlimit`` (bytes, None for no limit) allows fewer, at
    least one. A stream whose one engine needs more than ``memlimit`` is
    refused, before anything is allocated."""
    need = _core.model_memory(params.memory_mib)
    if memlimit is None:
        return threads
    if need > memlimit:
        raise MidicothError(
            f"the stream's model needs {_mib(need)} of memory, more than the memory "
            f"limit of {_mib(memlimit)} (memlimit=, -M)"
        )
    return max(1, min(threads, memlimit // need))


def _mib(n: int) -> str:
    return f"{(n + (1 << 20) - 1) >> 20} MiB"


def _check_int(name: str, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")


def _check_threads(threads: int) -> None:
    _check_int("threads", threads)
    if threads < 0:
        raise ValueError(f"threads must be 0 (every core) or more, not {threads}")


def _cores(threads: int) -> int:
    """The threads to run: ``threads``, or every core for 0 (as ``-j 0``)."""
    return threads or os.cpu_count() or 1


def _flags(value: int | str, parse: Callable[[str], int]) -> int:
    """Stage or mode flags given as a number or by name (``"paper"``,
    ``"record+x86"``), as the command line takes them."""
    return parse(value) if isinstance(value, str) else value


def _check_params(
    memory_mib: int | None, stages: int, block_size: int | None, threads: int, modes: int
) -> None:
    _check_int("stages", stages)
    _check_int("modes", modes)
    _check_threads(threads)
    if memory_mib is not None:
        _check_int("memory_mib", memory_mib)
    if memory_mib is not None and not memory_mib_valid(memory_mib):
        raise ValueError(
            f"memory_mib must be a power of two from {_core.MIN_MEMORY_MIB} to "
            f"{_core.MAX_MEMORY_MIB}, not {memory_mib}"
        )
    if not stages_valid(stages):
        raise ValueError(
            f"stages must be a combination of the STAGE_* flags (STAGE_LEAN only with "
            f"STAGE_MATCH and STAGE_APM), not {stages:#x}"
        )
    if modes < 0 or modes & ~_core.MODE_ALL:
        raise ValueError(f"modes must be a combination of the MODE_* flags, not {modes:#x}")
    if block_size is not None:
        if not isinstance(block_size, int) or isinstance(block_size, bool):
            raise TypeError(f"block_size must be an int or None, not {type(block_size).__name__}")
        if not MIN_BLOCK_SIZE <= block_size <= MAX_BLOCK_SIZE:
            raise ValueError(
                f"block_size must be between {MIN_BLOCK_SIZE} and {MAX_BLOCK_SIZE}, "
                f"not {block_size}"
            )


def _check_level(level: int | None) -> None:
    if level is not None:
        _check_int("level", level)
        if level not in LEVELS:
            raise ValueError(f"level must be from {min(LEVELS)} to {max(LEVELS)}, not {level}")


class _Settings(NamedTuple):
    """What a writer's keywords come to: the level its streams record (0
    for explicit settings), the stages and modes, and the level whose rule
    sizes the memory budget unless ``memory_mib`` is given."""

    level: int
    stages: int
    modes: int
    rule: Level


def _settings(
    level: int | None, memory_mib: int | None, stages: int | str | None, modes: int | str | None
) -> _Settings:
    """Resolve a writer's ``level`` against its explicit settings, as
    :mod:`lzma` resolves ``preset`` against ``filters``: one or the other
    (ValueError naming both); neither is :data:`DEFAULT_LEVEL`; the settings
    left out of explicit ones are the default level's. Checks the level's
    type and range; the explicit settings are checked by the caller."""
    _check_level(level)
    given = [
        name
        for name, value in (("stages", stages), ("modes", modes), ("memory_mib", memory_mib))
        if value is not None
    ]
    if level is not None and given:
        raise ValueError(
            f"level and {' and '.join(given)} cannot be given together: a level "
            "chooses the stages, modes and memory_mib (give one or the other)"
        )
    if not given:
        chosen = DEFAULT_LEVEL if level is None else level
        rule = LEVELS[chosen]
        return _Settings(chosen, rule.stages, rule.modes, rule)
    rule = LEVELS[DEFAULT_LEVEL]
    return _Settings(
        0,
        rule.stages if stages is None else _flags(stages, parse_stages),
        rule.modes if modes is None else _flags(modes, parse_modes),
        rule,
    )


def _write_block(
    encoder: _core.Encoder, block: bytes, check: int, stages: int, modes: int
) -> bytes:
    """Write one block with ``encoder``; return its header and body.

    The analyser picks the block's method among ``modes``; with
    ``MODE_X86`` a copy of the block is transformed before coding. A block
    whose coded bytes are not fewer than its own is stored instead: its
    body is then the (transformed) bytes the decoder would have produced.
    Either way the encoder's model has learned the block, and its segment
    is closed, as a decoder's will be (a stored block's decoder learns the
    stored bytes). ``check`` is the block's chained data check.
    """
    mode, period = _core.analyse(block, stages, modes) if modes else (0, 0)
    source: bytes | bytearray = block
    if mode & _core.MODE_X86:
        source = bytearray(block)
        _core.x86_encode(source)
    encoder.set_mode(mode, period)
    body = encoder.compress(source) + encoder.end_segment()
    usize = len(block)
    if len(body) >= usize:
        return pack_block_header(usize, usize, check, mode, period, stored=True) + bytes(source)
    if not body:  # the engine broke its contract
        raise RuntimeError(f"engine coded {usize} bytes to no bytes")
    return pack_block_header(usize, len(body), check, mode, period) + body


def _compress_block(data: bytes, check: int, memory_mib: int, stages: int, modes: int) -> bytes:
    """Write one independent block with a fresh engine; return header + body.

    ``check`` is the block's chained data check, computed by the caller in
    block order. Runs in worker threads: the engine releases the GIL while
    it codes.
    """
    encoder = _core.Encoder(memory_mib=memory_mib, stages=stages, size_hint=len(data))
    return _write_block(encoder, data, check, stages, modes)


class MidicothCompressor:
    """Compress data incrementally into one Midicoth stream.

    ``level`` (1 fastest … 9 smallest, :data:`~midicoth.levels.LEVELS`)
    chooses the model's stages, block methods and memory budget at once;
    the stream records it (``midicoth info`` shows it). Or give the
    settings themselves, as :mod:`lzma` takes ``filters`` instead of a
    ``preset``: ``stages``, ``modes`` and ``memory_mib``; any of them with
    ``level`` is a :class:`ValueError`. With neither, the level is
    :data:`~midicoth.levels.DEFAULT_LEVEL` (6); with settings, those left
    out are that level's, and the stream records no level (0).

    ``memory_mib`` sets the model's memory budget (the decoder will use the
    same). By default the level's rule (:func:`~midicoth.levels.memory_for`;
    :func:`auto_memory_mib` at the default level) chooses it from the
    input's size (the block size, for independent blocks), as
    :func:`compress` does: from ``size_hint`` if given, else from the input
    itself, which the compressor learns by holding its first block until a
    byte past it (or the end) arrives. So equal data and parameters give
    equal bytes through every door. ``stages`` selects model stages: a
    combination of ``STAGE_*``, or their names as the command line takes
    them (``"paper"``, ``"match+mix+apm"``).

    ``modes`` (a combination of ``MODE_RECORD``, ``MODE_SPARSE`` and
    ``MODE_X86``, or their names; by default the level's, ``MODE_ALL``) are
    the methods an analyser may pick for each block, by looking at it:
    models of records and columns, of sparse numeric fields, and the x86
    call/jump transform. The chosen method is recorded in the block's
    header, so decoding needs no option. ``modes=0`` codes every block with
    the plain model, as midicoth 0.5.1 did. Whatever the modes, a block that
    would code larger than itself is stored as it is.

    With ``block_size=None`` and ``threads=1`` the stream is *solid*: one
    model learns from all of the input, which gives the best ratio. Giving
    ``block_size`` (bytes) makes *independent* blocks, each coded by a fresh
    model, so a damaged block is reported by its index and blocks can be
    coded on ``threads`` cores at once (0: every core). Any other
    ``threads`` without a block size uses independent blocks of
    :data:`DEFAULT_BLOCK_SIZE` (as ``xz -T`` does). For a given block size,
    the output does not depend on ``threads``.

    Call :meth:`compress` with successive chunks and :meth:`flush` once at
    the end; join all the returned bytes. Output arrives a block at a time:
    input is held until a whole block (:data:`SOLID_BLOCK_SIZE` in a solid
    stream) is in, since the block's method is chosen by looking at all of it.
    """

    def __init__(
        self,
        *,
        memory_mib: int | None = None,
        stages: int | str | None = None,
        block_size: int | None = None,
        threads: int = 1,
        size_hint: int | None = None,
        modes: int | str | None = None,
        level: int | None = None,
    ) -> None:
        settings = _settings(level, memory_mib, stages, modes)
        if size_hint is not None:
            _check_int("size_hint", size_hint)
            if size_hint < 0:
                raise ValueError(f"size_hint must be non-negative or None, not {size_hint}")
        _check_params(memory_mib, settings.stages, block_size, threads, settings.modes)
        self._independent = block_size is not None or threads != 1
        self._block_size = block_size or (
            DEFAULT_BLOCK_SIZE if self._independent else SOLID_BLOCK_SIZE
        )
        self._memory_mib = memory_mib
        self._stages = settings.stages
        self._size_hint = size_hint
        self._modes = settings.modes
        self._level = settings.level
        self._memory_rule = settings.rule
        self._threads = _cores(threads)
        self._lock = threading.Lock()
        self._params: StreamParams | None = None  # set with the first block
        self._failure = ""  # why the object cannot go on, once it cannot
        self._total = 0
        self._flushed = False
        # The chained data check: CRC-32 of all input taken into blocks so far.
        self._check = 0
        # Input not yet in a block.
        self._pending = bytearray()
        # solid mode: the one engine; independent mode: blocks in flight
        self._encoder: _core.Encoder | None = None
        self._futures: collections.deque[Future[bytes]] = collections.deque()
        self._pool: ThreadPoolExecutor | None = None

    def compress(self, data: Buffer) -> bytes:
        """Feed ``data``; return the compressed bytes ready so far (may be ``b""``)."""
        view = _bytes_view(data)
        with self._lock:
            self._check_usable()
            if self._flushed:
                raise ValueError("Compressor has been flushed")
            self._total += len(view)
            return self._guarded_feed(view, final=False)

    def flush(self) -> bytes:
        """Finish the stream and return its last bytes; the object is then spent."""
        with self._lock:
            self._check_usable()
            if self._flushed:
                raise ValueError("Repeated call to flush()")
            self._flushed = True
            out = self._guarded_feed(memoryview(b""), final=True)
            if self._pool is not None:
                self._pool.shutdown()
                self._pool = None
            self._encoder = None
            return out + pack_end_marker(self._total)

    def _check_usable(self) -> None:
        if self._failure:
            raise ValueError(self._failure)

    def _guarded_feed(self, view: memoryview, final: bool) -> bytes:
        """:meth:`_feed`; after an exception inside it (``MemoryError``, an
        interrupt) part of a block may be coded, so the object refuses to go on."""
        try:
            return self._feed(view, final)
        except BaseException as exc:
            self._failure = (
                f"the compressor cannot be reused after {type(exc).__name__}; start a new one"
            )
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
            raise

    def _start(self, known_size: int | None) -> bytes:
        """Fix the stream's parameters once the first block is cut and
        return its header. ``known_size`` is the whole input's size at the
        end, None while more than a block is in."""
        size = self._size_hint if self._size_hint is not None else known_size
        if size is None:  # more than a block: what compress() would see for any such size
            size = self._block_size + 1
        if self._independent:
            size = min(size, self._block_size)
        memory_mib = self._memory_mib or memory_for(self._memory_rule, size)
        self._params = StreamParams(
            memory_mib=memory_mib,
            stages=self._stages,
            model_version=_core.MODEL_VERSION,
            independent=self._independent,
            block_size=self._block_size,
            level=self._level,
        )
        if not self._independent:
            self._encoder = _core.Encoder(
                memory_mib=memory_mib, stages=self._stages, size_hint=self._size_hint or known_size
            )
        return pack_stream_header(self._params)

    def _feed(self, view: memoryview, final: bool) -> bytes:
        """Cut whole blocks from pending input and ``view`` (and, if final,
        the rest); code them; return the coded blocks that are ready, in order."""
        size = self._block_size
        out = []
        if self._params is None:  # the first block waits for a byte past it, or the end
            if len(self._pending) + len(view) <= size and not final:
                self._pending += view
                return b""
            out.append(self._start(len(self._pending) + len(view) if final else None))
        if self._pending:  # complete the partial block of earlier calls first
            take = min(size - len(self._pending), len(view))
            self._pending += view[:take]
            view = view[take:]
            if len(self._pending) == size or final:
                out += self._code_block(bytes(self._pending))
                self._pending.clear()
        while len(view) >= size or (final and view):
            out += self._code_block(bytes(view[:size]))
            view = view[size:]
        self._pending += view
        while self._futures and (final or self._futures[0].done()):
            out.append(self._futures.popleft().result())
        return b"".join(out)

    def _code_block(self, block: bytes) -> list[bytes]:
        """Code one block now, or (independent blocks on several threads)
        hand it to the pool; return the blocks finished meanwhile that must
        go out first (at most two blocks per thread stay in flight, which
        bounds memory)."""
        params = self._params
        assert params is not None
        self._check = zlib.crc32(block, self._check)  # blocks come here in order
        if self._encoder is not None:  # solid: the stream's one engine
            return [_write_block(self._encoder, block, self._check, params.stages, self._modes)]
        job = (block, self._check, params.memory_mib, params.stages, self._modes)
        if self._threads == 1:
            return [_compress_block(*job)]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self._threads, thread_name_prefix="midicoth")
        self._futures.append(self._pool.submit(_compress_block, *job))
        done = []
        while len(self._futures) > 2 * self._threads:
            done.append(self._futures.popleft().result())
        return done


def _decompress_block(
    coded: bytes, block: BlockHeader, memory_mib: int, stages: int, stop: threading.Event
) -> bytes | None:
    """Decode one independent block (a stored one needs no engine); return
    its data, or None if the coded bytes do not decode to the block's size
    or ``stop`` is set meanwhile.

    Runs in worker threads (the engine releases the GIL). Damage is a return
    value, not an exception: an exception's traceback would keep the engine
    (and its tables) alive for as long as the error is.
    """
    if block.stored:
        data = coded
    else:
        decoder = _core.Decoder(memory_mib=memory_mib, stages=stages, size_hint=block.usize)
        decoder.start_segment(block.usize)
        pieces = []
        try:
            decoder.set_mode(block.mode, block.period)
            piece = decoder.decompress(coded, True, _WORKER_PIECE)
            while piece and not stop.is_set():
                pieces.append(piece)
                if not decoder.segment_remaining:
                    break
                piece = decoder.decompress(b"", True, _WORKER_PIECE)
            if decoder.segment_remaining:
                return None  # the decoder made no progress
            decoder.end_segment()
        except ValueError:
            return None
        data = b"".join(pieces)
    if block.mode & _core.MODE_X86:
        buf = bytearray(data)
        _core.x86_decode(buf)
        return bytes(buf)
    return data


# Decompressor states: a stream header, a block header, a coded block's
# bytes, a stored block's bytes, a whole block held back (x86) being
# returned, after the end marker, after an error
_HEADER, _BLOCK_HEADER, _BLOCK_DATA, _BLOCK_STORED, _BLOCK_RELEASE, _END, _FAILED = range(7)


class MidicothDecompressor:
    """Decompress one Midicoth stream incrementally, like :class:`lzma.LZMADecompressor`.

    Feed compressed bytes to :meth:`decompress`. Once the end marker is read,
    :attr:`eof` is True and any bytes after the stream are in
    :attr:`unused_data` (the one-shot :func:`decompress` and the file reader
    go on with them as a further stream). Damaged data raises
    :class:`MidicothError`, after which the object cannot be used; so does
    any other exception from inside a call (``MemoryError``, an interrupt),
    and later calls say so.

    ``memlimit`` caps the memory (bytes) the stream's models may take at
    once, like :mod:`lzma`'s: a stream whose model needs more is refused with
    :class:`MidicothError` when its header is read, before anything is
    allocated; None means no limit. The default is :data:`DEFAULT_MEMLIMIT`.

    With ``threads`` > 1, the blocks of a stream of independent blocks (made
    with ``threads`` or ``block_size``) are decoded on that many cores at
    once (fewer if ``memlimit`` holds fewer of their models); a block is
    handed on once all its coded bytes are in. With ``max_length``, blocks
    are started only until they cover what was asked. :meth:`close` stops
    the blocks in flight. A solid stream decodes on one core whatever
    ``threads`` says: each of its blocks needs the model the previous one
    left.
    """

    def __init__(self, *, threads: int = 1, memlimit: int | None = DEFAULT_MEMLIMIT) -> None:
        _check_threads(threads)
        _check_memlimit(memlimit)
        self._threads = _cores(threads)
        self._memlimit = memlimit
        self._workers = 1  # engines decoding at once, set from the stream's header
        self._stop = threading.Event()  # set by close(): workers give up their block
        self._failure = ""  # why the object cannot go on, once it cannot
        self._lock = threading.Lock()
        self._buf = bytearray()
        self._state = _HEADER
        self._params: StreamParams | None = None
        self._decoder: _core.Decoder | None = None
        self._eof = False
        self._needs_input = True
        self._unused_data = b""
        self._total = 0  # uncompressed bytes of finished blocks
        self._block_index = -1
        # The chained data check: CRC-32 of all data decoded so far, which at
        # the end of a block is what its header must hold.
        self._block_crc = 0
        self._block = BlockHeader(end=False, usize=0, csize=0, crc=0)  # the open block's header
        self._coded_left = 0  # coded (or stored) bytes of the open block not yet taken
        # The open block's data, when they are returned only once all are in:
        # the x86 transform is undone over the whole block.
        self._held: bytearray | None = None
        # threads > 1 on independent blocks: blocks in flight (future, index,
        # size, expected check), and decoded data not yet returned
        self._pool: ThreadPoolExecutor | None = None
        self._inflight: collections.deque[tuple[Future[bytes | None], int, int, int]] = (
            collections.deque()
        )
        self._limited = False  # this call stopped starting blocks at max_length
        self._ready = bytearray()

    @property
    def eof(self) -> bool:
        """True once the end-of-stream marker has been read."""
        return self._eof

    @property
    def unused_data(self) -> bytes:
        """Bytes found after the end of the stream (valid once :attr:`eof` is True)."""
        return self._unused_data

    @property
    def needs_input(self) -> bool:
        """False if :meth:`decompress` can return more data without new input."""
        return self._needs_input

    @property
    def params(self) -> StreamParams | None:
        """The stream's parameters, once its header has been read."""
        return self._params

    def decompress(self, data: Buffer, max_length: int = -1) -> bytes:
        """Decompress ``data``; return at most ``max_length`` bytes (all if negative).

        Input that cannot be used yet is kept for the next call; when
        :attr:`needs_input` is False, call again (with ``b""``) to get more.
        The arguments are checked before anything changes.
        """
        view = _bytes_view(data)
        max_length = operator.index(max_length)
        with self._lock:
            if self._eof:
                raise EOFError("Already at end of stream")
            if self._state == _FAILED:
                raise MidicothError(self._failure)
            self._buf += view
            try:
                return self._run(max_length)
            except MidicothError:
                closed = self._stop.is_set()
                self._fail(
                    "the decompressor is closed"
                    if closed
                    else "the stream is damaged; the decompressor cannot go on"
                )
                raise
            except BaseException as exc:
                self._fail(
                    f"the decompressor cannot be reused after {type(exc).__name__}; start a new one"
                )
                raise

    def close(self) -> None:
        """Stop decoding: blocks not yet started are dropped and blocks being
        decoded are given up within a fraction of a second. The object can
        no longer be used. Needed only to stop early with ``threads`` > 1."""
        self._stop.set()
        with self._lock:
            if self._state != _FAILED:
                self._fail("the decompressor is closed")

    def __del__(self) -> None:
        stop, pool = getattr(self, "_stop", None), getattr(self, "_pool", None)
        if stop is not None:
            stop.set()
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def _fail(self, why: str) -> None:
        """Put the object out of use, dropping its engines and workers."""
        self._state = _FAILED
        self._failure = why
        self._decoder = None
        self._held = None
        self._inflight.clear()
        self._ready.clear()
        self._close_pool()

    def _where(self) -> str:
        return f"block {self._block_index}"

    def _parallel(self) -> bool:
        return self._workers > 1 and self._params is not None and self._params.independent

    def _close_pool(self) -> None:
        if self._pool is not None:
            self._stop.set()
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def _run(self, max_length: int) -> bytes:
        out: list[bytes] = []
        produced = 0
        limit = max_length if max_length >= 0 else None
        buf = self._buf
        self._limited = False
        while True:
            if self._state == _HEADER:
                header = read_stream_header(buf)  # checks the magic from the first byte
                if header is None:
                    break
                params, size = header
                check_decodable(params)
                self._workers = _engines_within(params, self._memlimit, self._threads)
                del buf[:size]
                self._params = params
                self._state = _BLOCK_HEADER
            elif self._state == _BLOCK_HEADER:
                assert self._params is not None
                try:
                    read = read_block_header(buf, self._params)
                except MidicothError as exc:
                    self._block_index += 1
                    raise MidicothError(f"{self._where()}: {exc}") from None
                if read is None:
                    break
                block, size = read
                if self._parallel():
                    if not self._parallel_block(block, size, limit):
                        break
                    if not block.end:
                        continue
                self._block_index += 1
                del buf[:size]
                if block.end:
                    if block.usize != self._total:
                        raise MidicothError(
                            f"end marker declares {block.usize} bytes but the stream "
                            f"held {self._total} (a block is missing or extra)"
                        )
                    self._state = _END
                    self._eof = True
                    self._unused_data = bytes(buf)
                    buf.clear()
                    self._decoder = None
                    self._close_pool()
                    break
                self._start_block(block)
            elif self._state in (_BLOCK_DATA, _BLOCK_STORED, _BLOCK_RELEASE):
                room = _DECODE_PIECE if limit is None else min(limit - produced, _DECODE_PIECE)
                if room == 0:
                    break
                if self._state == _BLOCK_RELEASE:
                    produced += self._release(room, out)
                    continue
                # Data held back to the block's end are not bounded by max_length.
                take = room if self._held is None else _DECODE_PIECE
                if self._state == _BLOCK_DATA:
                    got = self._decode_some(take)
                else:
                    got = self._take_stored(take)
                if got is None:
                    break  # nothing more without input
                piece, done = got
                if self._held is not None:
                    self._held += piece
                elif piece:
                    self._block_crc = zlib.crc32(piece, self._block_crc)
                    out.append(piece)
                    produced += len(piece)
                if done:
                    self._end_block()
            else:  # pragma: no cover - _END sets eof and _FAILED raises before
                break
        self._collect(2 * self._workers)  # blocks finished meanwhile, without waiting
        # What was asked is in flight: wait for it (the blocks started cover it),
        # so that a call returns max_length bytes whenever it needs no input.
        while self._limited and self._inflight and len(self._ready) < limit - produced:
            self._collect(len(self._inflight) - 1)
        if self._ready:
            take = len(self._ready) if limit is None else min(limit - produced, len(self._ready))
            out.append(bytes(self._ready[:take]))
            del self._ready[:take]
            produced += take
        self._needs_input = (
            not self._eof
            and not self._ready
            and not self._limited
            and (limit is None or produced < limit)
        )
        return b"".join(out)

    def _parallel_block(self, block: BlockHeader, size: int, limit: int | None) -> bool:
        """Hand a whole block to the pool, or, at the end marker, wait for all
        blocks in flight. Return False to stop for now: the block's coded
        bytes are not all in, or the blocks decoded and in flight already
        cover ``limit`` (the end marker is then read by a later call, so
        that :attr:`eof` never comes before the data). Decoded data wait in
        ``_ready`` until the call returns, so ``limit`` is measured against
        them alone."""
        assert self._params is not None
        if block.end:
            self._collect(0)
            return limit is None or len(self._ready) <= limit
        in_flight = sum(usize for _, _, usize, _ in self._inflight)
        if limit is not None and len(self._ready) + in_flight >= limit:
            self._limited = True
            return False
        if len(self._buf) < size + block.csize:
            return False
        self._block_index += 1
        self._check_method(block)
        coded = bytes(self._buf[size : size + block.csize])
        del self._buf[: size + block.csize]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="midicoth")
        future = self._pool.submit(
            _decompress_block,
            coded,
            block,
            self._params.memory_mib,
            self._params.stages,
            self._stop,
        )
        self._inflight.append((future, self._block_index, block.usize, block.crc))
        self._collect(2 * self._workers)
        return True

    def _collect(self, keep: int) -> None:
        """Move finished blocks, in order, to the decoded data, checking each;
        wait while more than ``keep`` are in flight."""
        while self._inflight and (len(self._inflight) > keep or self._inflight[0][0].done()):
            future, index, usize, crc = self._inflight.popleft()
            data = future.result()
            if self._stop.is_set():
                raise MidicothError("the decompressor is closed")
            if data is None:
                raise MidicothError(f"block {index} is damaged (coded data do not match)")
            self._block_crc = zlib.crc32(data, self._block_crc)
            if self._block_crc & 0xFFFFFFFF != crc:
                raise MidicothError(f"block {index} is damaged or out of place (checksum mismatch)")
            self._total += usize
            self._ready += data

    def _new_decoder(self, block: BlockHeader) -> _core.Decoder:
        """The engine for a stream's first coded block (solid) or for one
        block (independent), told how much it will likely decode: the
        block's size, or, in a solid stream whose first block is full, a
        bound from its coded size."""
        params = self._params
        assert params is not None
        expected = block.usize
        if not params.independent and block.usize >= params.block_size:
            expected = block.csize * _EXPECTED_PER_CODED_BYTE
        return _core.Decoder(memory_mib=params.memory_mib, stages=params.stages, size_hint=expected)

    def _check_method(self, block: BlockHeader) -> None:
        """Refuse a block whose method the engine cannot use with the stream's stages."""
        assert self._params is not None
        if not _core.mode_valid(block.mode, block.period, self._params.stages):
            raise MidicothError(
                f"{self._where()}: block uses a method ({method_name(block.mode, block.period)}) "
                f"that stages {stages_name(self._params.stages)} do not allow"
            )

    def _start_block(self, block: BlockHeader) -> None:
        """Set up the engine for the block whose header was just read."""
        assert self._params is not None
        self._check_method(block)
        self._block = block
        self._coded_left = block.csize
        self._held = bytearray() if block.mode & _core.MODE_X86 else None
        if self._params.independent:  # a stored block of its own needs no engine
            self._decoder = None if block.stored else self._new_decoder(block)
        elif self._decoder is None:  # a solid stream's one engine, from its first block
            self._decoder = self._new_decoder(block)
        decoder = self._decoder
        if decoder is not None:
            if not block.stored:
                decoder.start_segment(block.usize)
            decoder.set_mode(block.mode, block.period)  # _check_method made it valid
        self._state = _BLOCK_STORED if block.stored else _BLOCK_DATA

    def _decode_some(self, room: int) -> tuple[bytes, bool] | None:
        """Give the decoder the open block's available coded bytes; return
        what it decodes and whether the block is complete, or None when it
        can do nothing until more input."""
        decoder = self._decoder
        assert decoder is not None
        buf = self._buf
        chunk = bytes(buf[: self._coded_left])
        del buf[: len(chunk)]
        self._coded_left -= len(chunk)
        final = self._coded_left == 0
        remaining_before = decoder.segment_remaining
        try:
            piece = decoder.decompress(chunk, final, room)
        except ValueError:
            raise MidicothError(f"{self._where()} is damaged (coded data do not match)") from None
        if final and decoder.segment_remaining == 0:
            try:
                decoder.end_segment()
            except ValueError:
                raise MidicothError(
                    f"{self._where()} is damaged (coded data do not match)"
                ) from None
            return piece, True
        if not piece and not chunk:
            if final and decoder.segment_remaining == remaining_before:
                raise MidicothError(f"{self._where()} is damaged (decoder made no progress)")
            return None
        return piece, False

    def _take_stored(self, room: int) -> tuple[bytes, bool] | None:
        """Take up to ``room`` of the open stored block's bytes that are in;
        return them and whether the block is complete, or None if none is
        in. A solid stream's decoder learns them, as the encoder did."""
        buf = self._buf
        take = min(self._coded_left, len(buf), room)
        if not take:
            return None
        piece = bytes(buf[:take])
        del buf[:take]
        self._coded_left -= take
        if self._decoder is not None:
            self._decoder.learn(piece)
        return piece, self._coded_left == 0

    def _end_block(self) -> None:
        """Check the block just completed; data held back are made ready to return."""
        held = self._held
        if held is not None:  # an x86 block: the transform is undone over all of it
            _core.x86_decode(held)
            self._block_crc = zlib.crc32(held, self._block_crc)
        if self._block_crc & 0xFFFFFFFF != self._block.crc:
            raise MidicothError(f"{self._where()} is damaged or out of place (checksum mismatch)")
        self._total += self._block.usize
        if self._params is not None and self._params.independent:
            self._decoder = None
        self._state = _BLOCK_HEADER if held is None else _BLOCK_RELEASE

    def _release(self, room: int, out: list[bytes]) -> int:
        """Return up to ``room`` bytes of a block held back to its end (into
        ``out``); return how many."""
        held = self._held
        assert held is not None
        piece = bytes(held[:room])
        del held[:room]
        out.append(piece)
        if not held:
            self._held = None
            self._state = _BLOCK_HEADER
        return len(piece)


def compress(
    data: Buffer,
    *,
    memory_mib: int | None = None,
    stages: int | str | None = None,
    block_size: int | None = None,
    threads: int = 1,
    modes: int | str | None = None,
    level: int | None = None,
) -> bytes:
    """Compress ``data`` into one Midicoth stream.

    The keywords are those of :class:`MidicothCompressor`: a ``level``
    (1 fastest … 9 smallest; default :data:`~midicoth.levels.DEFAULT_LEVEL`)
    or the settings it stands for (``stages``; ``modes``, the methods the
    analyser may pick per block, 0 for the plain model alone;
    ``memory_mib``), not both. The memory budget defaults to the level's
    rule applied to the data's size (:func:`~midicoth.levels.memory_for`).
    """
    with _bytes_view(data) as view:
        size = view.nbytes
    comp = MidicothCompressor(
        memory_mib=memory_mib,
        stages=stages,
        block_size=block_size,
        threads=threads,
        size_hint=size,
        modes=modes,
        level=level,
    )
    return comp.compress(data) + comp.flush()


def decompress(data: Buffer, *, threads: int = 1, memlimit: int | None = DEFAULT_MEMLIMIT) -> bytes:
    """Decompress ``data``: one Midicoth stream or several concatenated.

    Unlike :func:`lzma.decompress`, bytes after the last stream that are not
    a valid stream raise :class:`MidicothError` rather than being ignored, so
    damage to a later stream's header cannot drop data silently. ``threads``
    decodes independent blocks on that many cores and ``memlimit`` caps the
    models' memory (see :class:`MidicothDecompressor`).
    """
    _check_threads(threads)
    _check_memlimit(memlimit)
    results = []
    data = bytes(_bytes_view(data))
    size = len(data)
    while True:
        decomp = MidicothDecompressor(threads=threads, memlimit=memlimit)
        results.append(decomp.decompress(data))
        if not decomp.eof:
            raise MidicothError("compressed data ended before the end-of-stream marker")
        data = decomp.unused_data
        if not data:
            return b"".join(results)
        _check_next_stream(data, size - len(data))


def _check_next_stream(rest: bytes, offset: int) -> None:
    """Bytes after a stream must begin another one: say where they do not."""
    if not starts_a_stream(rest):
        raise MidicothError(
            f"trailing data at byte {offset}: what follows the end of the stream "
            "is not another midicoth stream"
        )


class _DecompressReader(io.RawIOBase):
    """Raw reader of the decompressed bytes of a file of concatenated streams.

    Meant to sit under :class:`io.BufferedReader`; seeking is emulated by
    reading (and, backwards, by starting again from the beginning).
    """

    def __init__(self, fp: IO[bytes], threads: int, memlimit: int | None) -> None:
        self._fp = fp
        self._threads = threads
        self._memlimit = memlimit
        self._decomp = self._new_decompressor()
        self._eof = False
        self._pos = 0
        self._size = -1
        self._read_in = 0  # compressed bytes read from the file

    def _read_raw(self) -> bytes:
        raw = self._fp.read(_READ_CHUNK)
        self._read_in += len(raw)
        return raw

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._fp.seekable()

    def readinto(self, b: Any) -> int:
        with memoryview(b) as view, view.cast("B") as byte_view:
            data = self.read(len(byte_view))
            byte_view[: len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            return self.readall()
        if not size or self._eof:
            return b""
        data = b""
        while not data:
            if self._decomp.eof:
                raw = self._decomp.unused_data
                offset = self._read_in - len(raw)
                raw = raw or self._read_raw()
                if not raw:  # clean end after a whole stream
                    self._eof = True
                    self._size = self._pos
                    return b""
                _check_next_stream(raw, offset)
                self._decomp.close()
                self._decomp = self._new_decompressor()
            elif self._decomp.needs_input:
                raw = self._read_raw()
                if not raw:
                    raise MidicothError("compressed file ended before the end-of-stream marker")
            else:
                raw = b""
            data = self._decomp.decompress(raw, size)
        self._pos += len(data)
        return data

    def _new_decompressor(self) -> MidicothDecompressor:
        return MidicothDecompressor(threads=self._threads, memlimit=self._memlimit)

    def close(self) -> None:
        self._decomp.close()
        super().close()

    def readall(self) -> bytes:
        chunks = []
        while True:
            data = self.read(io.DEFAULT_BUFFER_SIZE * 8)
            if not data:
                return b"".join(chunks)
            chunks.append(data)

    def _rewind(self) -> None:
        self._fp.seek(0)
        self._eof = False
        self._pos = 0
        self._read_in = 0
        self._decomp.close()
        self._decomp = self._new_decompressor()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            pass
        elif whence == io.SEEK_CUR:
            offset = self._pos + offset
        elif whence == io.SEEK_END:
            if self._size < 0:
                while self.read(io.DEFAULT_BUFFER_SIZE * 8):
                    pass
            offset = self._size + offset
        else:
            raise ValueError(f"Invalid value for whence: {whence}")
        if offset < self._pos:
            self._rewind()
        else:
            offset -= self._pos
        while offset > 0:
            data = self.read(min(io.DEFAULT_BUFFER_SIZE * 8, offset))
            if not data:
                break
            offset -= len(data)
        return self._pos

    def tell(self) -> int:
        return self._pos


_MODE_CLOSED, _MODE_READ, _MODE_WRITE = range(3)


class MidicothFile(io.BufferedIOBase):
    """A file object over a Midicoth stream, like :class:`lzma.LZMAFile`.

    ``filename`` is a path (str, bytes or path-like) or a binary file object.
    ``mode`` is ``"r"`` (read, the default), ``"w"`` (truncate), ``"x"``
    (create; fail if it exists) or ``"a"`` (append a new stream), each
    optionally followed by ``"b"``. Reading accepts concatenated streams and
    supports :meth:`seek` by emulation (slow backwards: it decodes again from
    the start). The compression keywords (``level`` and ``size_hint``
    among them) are those of :class:`MidicothCompressor` and apply only to
    writing, except
    ``threads``: when reading, it decodes independent blocks on that many
    cores. ``memlimit`` applies only to reading (see
    :class:`MidicothDecompressor`).
    """

    def __init__(
        self,
        filename: PathLike | IO[bytes],
        mode: str = "r",
        *,
        memory_mib: int | None = None,
        stages: int | str | None = None,
        block_size: int | None = None,
        threads: int | None = None,
        modes: int | str | None = None,
        size_hint: int | None = None,
        memlimit: int | None = DEFAULT_MEMLIMIT,
        level: int | None = None,
    ) -> None:
        self._fp: IO[bytes] | None = None
        self._closefp = False
        self._mode = _MODE_CLOSED
        self._pos = 0
        self._compressor: MidicothCompressor | None = None
        self._buffer: io.BufferedReader | None = None

        read_threads = 1 if threads is None else threads
        if mode in ("r", "rb"):
            if (memory_mib, stages, block_size, modes, size_hint, level) != (None,) * 6:
                raise ValueError("compression options apply only when writing")
            _check_threads(read_threads)
            _check_memlimit(memlimit)
            mode_code = _MODE_READ
        elif mode in ("w", "wb", "a", "ab", "x", "xb"):
            if memlimit != DEFAULT_MEMLIMIT:
                raise ValueError("memlimit applies only when reading")
            mode_code = _MODE_WRITE
            self._compressor = MidicothCompressor(
                memory_mib=memory_mib,
                stages=stages,
                block_size=block_size,
                threads=1 if threads is None else threads,
                size_hint=size_hint,
                modes=modes,
                level=level,
            )
        else:
            raise ValueError(f"Invalid mode: {mode!r}")

        if isinstance(filename, (str, bytes, os.PathLike)):
            if "b" not in mode:
                mode += "b"
            self._fp = builtins.open(filename, mode)  # noqa: SIM115 - closed by close()
            self._closefp = True
        elif hasattr(filename, "read") or hasattr(filename, "write"):
            self._fp = filename  # type: ignore[assignment]
        else:
            raise TypeError("filename must be a str, bytes, path-like or file object")
        self._mode = mode_code
        self._mode_str = "rb" if mode_code == _MODE_READ else "wb"
        if mode_code == _MODE_READ:
            assert self._fp is not None
            self._buffer = io.BufferedReader(_DecompressReader(self._fp, read_threads, memlimit))

    def close(self) -> None:
        """Flush and close the file; a stream being written gets its end marker."""
        if self._mode == _MODE_CLOSED:
            return
        try:
            if self._mode == _MODE_READ:
                assert self._buffer is not None
                self._buffer.close()
                self._buffer = None
            elif self._mode == _MODE_WRITE:
                assert self._compressor is not None and self._fp is not None
                self._fp.write(self._compressor.flush())
                self._compressor = None
        finally:
            try:
                if self._closefp and self._fp is not None:
                    self._fp.close()
            finally:
                self._fp = None
                self._closefp = False
                self._mode = _MODE_CLOSED

    @property
    def closed(self) -> bool:
        """True once the file is closed."""
        return self._mode == _MODE_CLOSED

    @property
    def name(self) -> Any:
        """The underlying file's name."""
        self._check_not_closed()
        return self._fp.name  # type: ignore[union-attr]

    @property
    def mode(self) -> str:
        """``"rb"`` or ``"wb"``."""
        return self._mode_str

    def fileno(self) -> int:
        """The underlying file's descriptor."""
        self._check_not_closed()
        assert self._fp is not None
        return self._fp.fileno()

    def seekable(self) -> bool:
        """True if reading from a seekable file."""
        return self.readable() and self._buffer is not None and self._buffer.seekable()

    def readable(self) -> bool:
        """True if the file was opened for reading."""
        self._check_not_closed()
        return self._mode == _MODE_READ

    def writable(self) -> bool:
        """True if the file was opened for writing."""
        self._check_not_closed()
        return self._mode == _MODE_WRITE

    def _check_not_closed(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed file")

    def _reader(self) -> io.BufferedReader:
        self._check_not_closed()
        if self._mode != _MODE_READ:
            raise io.UnsupportedOperation("File not open for reading")
        assert self._buffer is not None
        return self._buffer

    def peek(self, size: int = -1) -> bytes:
        """Return buffered data without advancing the position (at least one
        byte unless at end of file)."""
        return self._reader().peek(size)

    def read(self, size: int | None = -1) -> bytes:
        """Read up to ``size`` uncompressed bytes (all if -1 or None; other
        negative sizes raise :class:`ValueError`, as in :mod:`lzma`)."""
        return self._reader().read(-1 if size is None else size)

    def read1(self, size: int = -1) -> bytes:
        """Read up to ``size`` bytes with at most one read of the underlying file."""
        reader = self._reader()
        if size < 0:
            size = io.DEFAULT_BUFFER_SIZE
        return reader.read1(size)

    def readinto(self, b: Any) -> int:
        """Read bytes into a writable buffer; return how many were read."""
        return self._reader().readinto(b)

    def readline(self, size: int | None = -1) -> bytes:
        """Read a line of uncompressed bytes, ending with ``b"\\n"`` unless at end of file."""
        return self._reader().readline(-1 if size is None else size)

    def write(self, data: Buffer) -> int:
        """Compress and write ``data``; return its length in bytes."""
        self._check_not_closed()
        if self._mode != _MODE_WRITE:
            raise io.UnsupportedOperation("File not open for writing")
        assert self._compressor is not None and self._fp is not None
        view = _bytes_view(data)
        self._fp.write(self._compressor.compress(view))
        self._pos += len(view)
        return len(view)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Move to an uncompressed offset (reading only; emulated, may be slow)."""
        if not self.seekable():
            raise io.UnsupportedOperation("The underlying file object does not support seeking")
        return self._reader().seek(offset, whence)

    def tell(self) -> int:
        """The current uncompressed position."""
        self._check_not_closed()
        if self._mode == _MODE_READ:
            assert self._buffer is not None
            return self._buffer.tell()
        return self._pos


def open(
    filename: PathLike | IO[bytes],
    mode: str = "rb",
    *,
    memory_mib: int | None = None,
    stages: int | str | None = None,
    block_size: int | None = None,
    threads: int | None = None,
    modes: int | str | None = None,
    size_hint: int | None = None,
    memlimit: int | None = DEFAULT_MEMLIMIT,
    level: int | None = None,
    encoding: str | None = None,
    errors: str | None = None,
    newline: str | None = None,
) -> MidicothFile | io.TextIOWrapper:
    """Open a Midicoth file in binary or text mode; return a file object.

    ``mode`` is one of ``"r"``, ``"w"``, ``"x"``, ``"a"``, optionally with
    ``"b"`` (binary, the default) or ``"t"`` (text). In text mode the file is
    wrapped in :class:`io.TextIOWrapper` with ``encoding``, ``errors`` and
    ``newline``; in binary mode those must be None. The other keywords are
    those of :class:`MidicothFile` (``level`` or the settings it stands
    for, when writing).
    """
    if "t" in mode:
        if "b" in mode:
            raise ValueError(f"Invalid mode: {mode!r}")
    else:
        if encoding is not None:
            raise ValueError("Argument 'encoding' not supported in binary mode")
        if errors is not None:
            raise ValueError("Argument 'errors' not supported in binary mode")
        if newline is not None:
            raise ValueError("Argument 'newline' not supported in binary mode")
    binary = MidicothFile(
        filename,
        mode.replace("t", ""),
        memory_mib=memory_mib,
        stages=stages,
        block_size=block_size,
        threads=threads,
        modes=modes,
        size_hint=size_hint,
        memlimit=memlimit,
        level=level,
    )
    if "t" in mode:
        encoding = io.text_encoding(encoding) if hasattr(io, "text_encoding") else encoding
        return io.TextIOWrapper(binary, encoding, errors, newline)
    return binary
