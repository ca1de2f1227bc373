"""The Python API: one-shot functions and streaming objects.

Shaped like the standard library's :mod:`lzma`:

* :class:`MidicothCompressor` and :class:`MidicothDecompressor` turn the
  engine's coder segments into a framed, checksummed stream (docs/FORMAT.md);
* :func:`compress` and :func:`decompress` are one-shot wrappers of them;
* :class:`MidicothFile` and :func:`open` (defined in :mod:`midicoth._file`,
  exported here too) read and write files through them.

Writers take a compression ``level`` (1-9, :mod:`midicoth.levels`) or the
settings a level stands for, ``stages``, ``modes`` and ``memory_mib``, one
or the other, as :mod:`lzma` takes a ``preset`` or ``filters``.

A decompressor reads a stream's header, then hands its blocks to one of two
decoding paths: :class:`_SerialBlocks` decodes them one after another on the
calling thread (a solid stream, or one engine at a time), and
:class:`_ParallelBlocks` decodes independent blocks on a pool of threads.

Every kind of bad or damaged data raises :class:`MidicothError`; bad
arguments raise :class:`ValueError` or :class:`TypeError` (the checks are
:mod:`midicoth._checks`).
"""

from __future__ import annotations

import collections
import operator
import os
import threading
import zlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import NamedTuple

from . import _core
from ._checks import (
    check_block_size,
    check_count,
    check_int,
    check_level_alone,
    check_memory_mib,
    check_modes,
    check_stages,
)
from .format import (
    DEFAULT_BLOCK_SIZE,
    SOLID_BLOCK_SIZE,
    BlockHeader,
    MidicothError,
    StreamParams,
    check_decodable,
    method_name,
    pack_block_header,
    pack_end_marker,
    pack_stream_header,
    parse_modes,
    parse_stages,
    read_block_header,
    read_stream_header,
    stages_name,
    starts_a_stream,
)
from .levels import DEFAULT_LEVEL, LEVELS, Level, auto_memory_mib, lookup, memory_for

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


def _cores(threads: int) -> int:
    """The threads to run: ``threads``, or every core for 0 (as ``-j 0``)."""
    return threads or os.cpu_count() or 1


def _flags(value: int | str, parse: Callable[[str], int]) -> int:
    """Stage or mode flags given as a number or by name (``"paper"``,
    ``"record+x86"``), as the command line takes them."""
    return parse(value) if isinstance(value, str) else value


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
    if level is not None:
        check_int("level", level)
        rule = lookup(level)
        check_level_alone("level", {"stages": stages, "modes": modes, "memory_mib": memory_mib})
        return _Settings(level, rule.stages, rule.modes, rule)
    rule = LEVELS[DEFAULT_LEVEL]
    if stages is None and modes is None and memory_mib is None:
        return _Settings(DEFAULT_LEVEL, rule.stages, rule.modes, rule)
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
        check_count("size_hint", size_hint, optional=True)
        if memory_mib is not None:
            check_memory_mib("memory_mib", memory_mib)
        check_stages("stages", settings.stages)
        check_modes("modes", settings.modes)
        check_block_size(block_size)
        check_count("threads", threads)
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


class _Blocks:
    """A stream's blocks, from the first block header to the end marker, as
    a decoding path reads them; what the serial and the parallel paths share.

    ``buf`` is the decompressor's input (shared, appended to by it); a path
    takes the bytes it uses from its front. :meth:`run` decodes what it can
    and returns at most ``limit`` bytes (None: no limit); :attr:`ended` is
    True once the end marker is taken and checked.
    """

    def __init__(self, params: StreamParams, buf: bytearray) -> None:
        self.params = params
        self.buf = buf
        self.ended = False
        self.index = -1  # the index of the block last taken from buf
        # The chained data check: CRC-32 of all data decoded so far, which at
        # the end of a block is what its header must hold.
        self.crc = 0
        self.total = 0  # uncompressed bytes of the blocks checked so far

    @property
    def wants_input(self) -> bool:
        """False while the path can return more without more input."""
        return True

    def run(self, limit: int | None) -> bytes:
        raise NotImplementedError

    def close(self) -> None:
        """Drop the engines, workers and data held: the path is no longer used."""

    def _next_header(self) -> tuple[BlockHeader, int] | None:
        """The block header or end marker at the front of ``buf`` and its
        length, or None until it is all in (damage names the block)."""
        try:
            return read_block_header(self.buf, self.params)
        except MidicothError as exc:
            raise MidicothError(f"block {self.index + 1}: {exc}") from None

    def _end(self, marker: BlockHeader, size: int) -> None:
        """Take the end marker (``size`` bytes) and check the stream's total."""
        del self.buf[:size]
        if marker.usize != self.total:
            raise MidicothError(
                f"end marker declares {marker.usize} bytes but the stream "
                f"held {self.total} (a block is missing or extra)"
            )
        self.ended = True

    def _check_method(self, block: BlockHeader) -> None:
        """Refuse a block whose method the engine cannot use with the
        stream's stages (the engine's rule: ``_core.mode_valid``)."""
        if not _core.mode_valid(block.mode, block.period, self.params.stages):
            raise MidicothError(
                f"block {self.index}: block uses a method ({method_name(block.mode, block.period)}) "
                f"that stages {stages_name(self.params.stages)} do not allow"
            )

    def _check_block(self, index: int, block: BlockHeader) -> None:
        """Count a block whose data ``crc`` now covers, if its check holds."""
        if self.crc & 0xFFFFFFFF != block.crc:
            raise MidicothError(f"block {index} is damaged or out of place (checksum mismatch)")
        self.total += block.usize


class _SerialBlocks(_Blocks):
    """The serial path: blocks decoded one after another on the calling
    thread, a piece at a time. A solid stream always takes it (each block
    needs the model the one before left), and so does a stream of
    independent blocks when one engine at a time is all that may run."""

    def __init__(self, params: StreamParams, buf: bytearray) -> None:
        super().__init__(params, buf)
        # A solid stream's one engine, made for its first coded block; else
        # the open block's own (a stored block has none).
        self._decoder: _core.Decoder | None = None
        self._block: BlockHeader | None = None  # the open block, None between blocks
        self._coded_left = 0  # coded (or stored) bytes of the open block not yet taken
        # An x86 block's data are returned only once all are in, the
        # transform undone over the whole block: held while they come in,
        # then ready while they go out.
        self._held: bytearray | None = None
        self._ready = bytearray()

    def close(self) -> None:
        self._decoder = self._held = None
        self._ready.clear()

    def run(self, limit: int | None) -> bytes:
        out: list[bytes] = []
        produced = 0
        while True:
            if self._block is None and not self._ready and not self._open_block():
                break  # the end marker is taken, or the next header is not all in
            room = _DECODE_PIECE if limit is None else min(limit - produced, _DECODE_PIECE)
            if room == 0:
                break
            piece = self._release(room) if self._ready else self._decode(room)
            if piece is None:
                break  # nothing more without input
            out.append(piece)
            produced += len(piece)
        return b"".join(out)

    def _open_block(self) -> bool:
        """Take the next block header and set up the block's decoding;
        False at the end marker (which is taken) or while the header is not
        all in."""
        read = self._next_header()
        if read is None:
            return False
        block, size = read
        if block.end:
            self._end(block, size)
            return False
        self.index += 1
        del self.buf[:size]
        self._check_method(block)
        self._block = block
        self._coded_left = block.csize
        self._held = bytearray() if block.mode & _core.MODE_X86 else None
        if self.params.independent:  # a stored block of its own needs no engine
            self._decoder = None if block.stored else self._new_decoder(block)
        elif self._decoder is None:  # a solid stream's one engine, from its first block
            self._decoder = self._new_decoder(block)
        if self._decoder is not None:
            if not block.stored:
                self._decoder.start_segment(block.usize)
            self._decoder.set_mode(block.mode, block.period)  # _check_method made it valid
        return True

    def _new_decoder(self, block: BlockHeader) -> _core.Decoder:
        """The engine for a stream's first coded block (solid) or for one
        block (independent), told how much it will likely decode: the
        block's size, or, in a solid stream whose first block is full, a
        bound from its coded size."""
        params = self.params
        expected = block.usize
        if not params.independent and block.usize >= params.block_size:
            expected = block.csize * _EXPECTED_PER_CODED_BYTE
        return _core.Decoder(memory_mib=params.memory_mib, stages=params.stages, size_hint=expected)

    def _decode(self, room: int) -> bytes | None:
        """Decode (or, if stored, take) more of the open block: the bytes to
        return now (none while an x86 block is held back), or None when
        nothing comes without more input."""
        block, held = self._block, self._held
        assert block is not None
        # Data held back to the block's end are not bounded by max_length.
        take = room if held is None else _DECODE_PIECE
        got = self._take_stored(take) if block.stored else self._decode_some(take)
        if got is None:
            return None
        piece, done = got
        if held is not None:
            held += piece
            piece = b""
        else:
            self.crc = zlib.crc32(piece, self.crc)
        if done:
            if held is not None:  # the transform is undone over the whole block
                _core.x86_decode(held)
                self.crc = zlib.crc32(held, self.crc)
                self._ready, self._held = held, None
            self._check_block(self.index, block)
            self._block = None
            if self.params.independent:
                self._decoder = None
        return piece

    def _decode_some(self, room: int) -> tuple[bytes, bool] | None:
        """Give the decoder the open block's available coded bytes; return
        what it decodes and whether the block is complete, or None when it
        can do nothing until more input."""
        decoder = self._decoder
        assert decoder is not None
        chunk = bytes(self.buf[: self._coded_left])
        del self.buf[: len(chunk)]
        self._coded_left -= len(chunk)
        final = self._coded_left == 0
        remaining_before = decoder.segment_remaining
        damaged = f"block {self.index} is damaged (coded data do not match)"
        try:
            piece = decoder.decompress(chunk, final, room)
            if final and decoder.segment_remaining == 0:
                decoder.end_segment()
                return piece, True
        except ValueError:
            raise MidicothError(damaged) from None
        if not piece and not chunk:
            if final and decoder.segment_remaining == remaining_before:
                raise MidicothError(f"block {self.index} is damaged (decoder made no progress)")
            return None
        return piece, False

    def _take_stored(self, room: int) -> tuple[bytes, bool] | None:
        """Take up to ``room`` of the open stored block's bytes that are in;
        return them and whether the block is complete, or None if none is
        in. A solid stream's decoder learns them, as the encoder did."""
        take = min(self._coded_left, len(self.buf), room)
        if not take:
            return None
        piece = bytes(self.buf[:take])
        del self.buf[:take]
        self._coded_left -= take
        if self._decoder is not None:
            self._decoder.learn(piece)
        return piece, self._coded_left == 0

    def _release(self, room: int) -> bytes:
        """Up to ``room`` bytes of a complete x86 block, in order."""
        piece = bytes(self._ready[:room])
        del self._ready[:room]
        return piece


class _ParallelBlocks(_Blocks):
    """The parallel path: the blocks of a stream of independent blocks
    decoded on a pool of ``workers`` threads, each handed on once all its
    coded bytes are in, and returned in order. Blocks are started only
    until they cover what was asked; ``stop`` set makes the workers give up
    their block."""

    def __init__(
        self, params: StreamParams, buf: bytearray, workers: int, stop: threading.Event
    ) -> None:
        super().__init__(params, buf)
        self._workers = workers
        self._stop = stop
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="midicoth")
        # blocks in flight: (future, index, header)
        self._inflight: collections.deque[tuple[Future[bytes | None], int, BlockHeader]] = (
            collections.deque()
        )
        self._ready = bytearray()  # decoded data not yet returned
        self._limited = False  # this call stopped starting blocks at its limit

    @property
    def wants_input(self) -> bool:
        return not self._ready and not self._limited

    def close(self) -> None:
        self._stop.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._inflight.clear()
        self._ready.clear()

    def run(self, limit: int | None) -> bytes:
        self._limited = False
        while self._start_next(limit):
            pass
        self._collect(2 * self._workers)  # blocks finished meanwhile, without waiting
        # What was asked is in flight: wait for it (the blocks started cover it),
        # so that a call returns max_length bytes whenever it needs no input.
        if self._limited:
            assert limit is not None  # it is set against a limit only
            while self._inflight and len(self._ready) < limit:
                self._collect(len(self._inflight) - 1)
        take = len(self._ready) if limit is None else min(limit, len(self._ready))
        out = bytes(self._ready[:take])
        del self._ready[:take]
        return out

    def _start_next(self, limit: int | None) -> bool:
        """Hand the next block to the pool, or, at the end marker, wait for
        all blocks in flight and take the marker. False to stop for now:
        the block's coded bytes are not all in, or the blocks decoded and in
        flight already cover ``limit`` (the end marker is then read by a
        later call, so that :attr:`eof` never comes before the data). Decoded
        data wait in ``_ready`` until the call returns, so ``limit`` is
        measured against them alone."""
        read = self._next_header()
        if read is None:
            return False
        block, size = read
        if block.end:
            self._collect(0)
            if limit is None or len(self._ready) <= limit:
                self._end(block, size)
            return False
        in_flight = sum(header.usize for _, _, header in self._inflight)
        if limit is not None and len(self._ready) + in_flight >= limit:
            self._limited = True
            return False
        if len(self.buf) < size + block.csize:
            return False
        self.index += 1
        self._check_method(block)
        coded = bytes(self.buf[size : size + block.csize])
        del self.buf[: size + block.csize]
        job = (coded, block, self.params.memory_mib, self.params.stages, self._stop)
        self._inflight.append((self._pool.submit(_decompress_block, *job), self.index, block))
        self._collect(2 * self._workers)
        return True

    def _collect(self, keep: int) -> None:
        """Move finished blocks, in order, to the decoded data, checking each;
        wait while more than ``keep`` are in flight."""
        while self._inflight and (len(self._inflight) > keep or self._inflight[0][0].done()):
            future, index, block = self._inflight.popleft()
            data = future.result()
            if self._stop.is_set():
                raise MidicothError("the decompressor is closed")
            if data is None:
                raise MidicothError(f"block {index} is damaged (coded data do not match)")
            self.crc = zlib.crc32(data, self.crc)
            self._check_block(index, block)
            self._ready += data


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
        check_count("threads", threads)
        check_count("memlimit", memlimit, optional=True)
        self._threads = _cores(threads)
        self._memlimit = memlimit
        self._stop = threading.Event()  # set by close(): workers give up their block
        self._failure = ""  # why the object cannot go on, once it cannot
        self._lock = threading.Lock()
        self._buf = bytearray()  # input not yet used
        self._params: StreamParams | None = None
        self._blocks: _Blocks | None = None  # the decoding path, once the header is read
        self._eof = False
        self._needs_input = True
        self._unused_data = b""

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
            if self._failure:
                raise MidicothError(self._failure)
            self._buf += view
            try:
                return self._run(None if max_length < 0 else max_length)
            except MidicothError:
                self._fail(
                    "the decompressor is closed"
                    if self._stop.is_set()
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
            if not self._failure:
                self._fail("the decompressor is closed")

    def __del__(self) -> None:
        stop, blocks = getattr(self, "_stop", None), getattr(self, "_blocks", None)
        if stop is not None:
            stop.set()
        if blocks is not None:
            blocks.close()

    def _fail(self, why: str) -> None:
        """Put the object out of use, dropping its engines and workers."""
        self._failure = why
        if self._blocks is not None:
            self._blocks.close()

    def _run(self, limit: int | None) -> bytes:
        blocks = self._blocks or self._read_stream_header()
        out = b"" if blocks is None else blocks.run(limit)
        if blocks is not None and blocks.ended:
            self._eof = True
            self._unused_data = bytes(self._buf)
            self._buf.clear()
            blocks.close()
        self._needs_input = (
            not self._eof
            and (blocks is None or blocks.wants_input)
            and (limit is None or len(out) < limit)
        )
        return out

    def _read_stream_header(self) -> _Blocks | None:
        """Read the stream header, once it is all in, and choose the path
        that decodes the blocks; None until then."""
        header = read_stream_header(self._buf)  # checks the magic from the first byte
        if header is None:
            return None
        params, size = header
        check_decodable(params)
        workers = _engines_within(params, self._memlimit, self._threads)
        del self._buf[:size]
        self._params = params
        if workers > 1 and params.independent:
            self._blocks = _ParallelBlocks(params, self._buf, workers, self._stop)
        else:
            self._blocks = _SerialBlocks(params, self._buf)
        return self._blocks


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
    decomp = MidicothDecompressor(threads=threads, memlimit=memlimit)  # checks them first
    data = bytes(_bytes_view(data))
    size = len(data)
    results = []
    while True:
        results.append(decomp.decompress(data))
        if not decomp.eof:
            raise MidicothError("compressed data ended before the end-of-stream marker")
        data = decomp.unused_data
        if not data:
            return b"".join(results)
        _check_next_stream(data, size - len(data))
        decomp = MidicothDecompressor(threads=threads, memlimit=memlimit)


def _check_next_stream(rest: bytes, offset: int) -> None:
    """Bytes after a stream must begin another one: say where they do not."""
    if not starts_a_stream(rest):
        raise MidicothError(
            f"trailing data at byte {offset}: what follows the end of the stream "
            "is not another midicoth stream"
        )


# Last: the file class and open() build on the classes above.
from ._file import MidicothFile, open
