"""Files of Midicoth streams: :class:`MidicothFile` and :func:`open`, shaped
like :class:`lzma.LZMAFile` and :func:`lzma.open` (both are exported by
:mod:`midicoth.api` and :mod:`midicoth`).

Writing goes through a :class:`~midicoth.api.MidicothCompressor`; reading
through :class:`_DecompressReader`, a raw reader of the file's concatenated
streams under :class:`io.BufferedReader`. The standard library's reader of
that kind is private to it (and moved in Python 3.14), and it ends quietly
at bytes after the last stream and raises EOFError for a cut file, where
midicoth raises :class:`MidicothError` naming the offset: so midicoth has
its own.
"""

from __future__ import annotations

import builtins
import io
import os
from typing import IO, Any

from ._checks import check_count
from .api import (
    DEFAULT_MEMLIMIT,
    Buffer,
    MidicothCompressor,
    MidicothDecompressor,
    _bytes_view,
    _check_next_stream,
)
from .format import MidicothError

__all__ = ["MidicothFile", "open"]

PathLike = str | bytes | os.PathLike[str] | os.PathLike[bytes]

_READ_CHUNK = 1 << 16  # compressed bytes a file reader asks for at a time
_DECODED_CHUNK = io.DEFAULT_BUFFER_SIZE * 8  # decoded bytes read at a time by readall and seek


class _DecompressReader(io.RawIOBase):
    """Raw reader of the decompressed bytes of a file of concatenated streams.

    Meant to sit under :class:`io.BufferedReader`; seeking is emulated by
    reading (and, backwards, by starting again from the beginning).
    """

    def __init__(self, fp: IO[bytes], threads: int, memlimit: int | None) -> None:
        self._fp = fp
        self._threads = threads
        self._memlimit = memlimit
        self._size = -1  # the decompressed size, once the end has been reached
        self._start()

    def _start(self) -> None:
        """Decode from the start of the file."""
        self._decomp = self._new_decompressor()
        self._eof = False
        self._pos = 0  # decompressed bytes returned
        self._read_in = 0  # compressed bytes read from the file

    def _new_decompressor(self) -> MidicothDecompressor:
        return MidicothDecompressor(threads=self._threads, memlimit=self._memlimit)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._fp.seekable()

    def close(self) -> None:
        self._decomp.close()
        super().close()

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
            if self._decomp.eof:  # what follows is another stream, or nothing
                raw = self._decomp.unused_data
                offset = self._read_in - len(raw)
                raw = raw or self._read_raw()
                if not raw:
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

    def _read_raw(self) -> bytes:
        raw = self._fp.read(_READ_CHUNK)
        self._read_in += len(raw)
        return raw

    def readall(self) -> bytes:
        chunks = []
        while data := self.read(_DECODED_CHUNK):
            chunks.append(data)
        return b"".join(chunks)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR:
            offset += self._pos
        elif whence == io.SEEK_END:
            if self._size < 0:
                while self.read(_DECODED_CHUNK):
                    pass
            offset += self._size
        elif whence != io.SEEK_SET:
            raise ValueError(f"Invalid value for whence: {whence}")
        if offset < self._pos:  # start again from the beginning
            self._fp.seek(0)
            self._decomp.close()
            self._start()
        offset -= self._pos
        while offset > 0 and (data := self.read(min(_DECODED_CHUNK, offset))):
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
        self._pos = 0  # bytes written
        self._compressor: MidicothCompressor | None = None
        self._buffer: io.BufferedReader | None = None
        options: dict[str, Any] = {
            "memory_mib": memory_mib,
            "stages": stages,
            "block_size": block_size,
            "modes": modes,
            "size_hint": size_hint,
            "level": level,
        }
        threads = 1 if threads is None else threads
        # The arguments are checked before the file is opened.
        if mode in ("r", "rb"):
            if any(value is not None for value in options.values()):
                raise ValueError("compression options apply only when writing")
            check_count("threads", threads)
            check_count("memlimit", memlimit, optional=True)
            mode_code = _MODE_READ
        elif mode in ("w", "wb", "a", "ab", "x", "xb"):
            if memlimit != DEFAULT_MEMLIMIT:
                raise ValueError("memlimit applies only when reading")
            self._compressor = MidicothCompressor(threads=threads, **options)
            mode_code = _MODE_WRITE
        else:
            raise ValueError(f"Invalid mode: {mode!r}")
        if isinstance(filename, (str, bytes, os.PathLike)):
            self._fp = builtins.open(filename, mode if "b" in mode else mode + "b")  # noqa: SIM115
            self._closefp = True  # closed by close()
        elif hasattr(filename, "read") or hasattr(filename, "write"):
            self._fp = filename  # type: ignore[assignment]
        else:
            raise TypeError("filename must be a str, bytes, path-like or file object")
        self._mode = mode_code
        self._mode_str = "rb" if mode_code == _MODE_READ else "wb"
        if mode_code == _MODE_READ:
            assert self._fp is not None
            self._buffer = io.BufferedReader(_DecompressReader(self._fp, threads, memlimit))

    def close(self) -> None:
        """Flush and close the file; a stream being written gets its end marker."""
        if self._mode == _MODE_CLOSED:
            return
        try:
            if self._buffer is not None:
                self._buffer.close()
            elif self._compressor is not None and self._fp is not None:
                self._fp.write(self._compressor.flush())
        finally:
            try:
                if self._closefp and self._fp is not None:
                    self._fp.close()
            finally:
                self._fp = self._buffer = self._compressor = None
                self._closefp = False
                self._mode = _MODE_CLOSED

    @property
    def closed(self) -> bool:
        """True once the file is closed."""
        return self._mode == _MODE_CLOSED

    @property
    def name(self) -> Any:
        """The underlying file's name."""
        return self._file().name

    @property
    def mode(self) -> str:
        """``"rb"`` or ``"wb"``."""
        return self._mode_str

    def fileno(self) -> int:
        """The underlying file's descriptor."""
        return self._file().fileno()

    def seekable(self) -> bool:
        """True if reading from a seekable file."""
        return self.readable() and self._reader().seekable()

    def readable(self) -> bool:
        """True if the file was opened for reading."""
        self._file()
        return self._mode == _MODE_READ

    def writable(self) -> bool:
        """True if the file was opened for writing."""
        self._file()
        return self._mode == _MODE_WRITE

    def _file(self) -> IO[bytes]:
        """The underlying file; ValueError once closed."""
        if self._fp is None:
            raise ValueError("I/O operation on closed file")
        return self._fp

    def _reader(self) -> io.BufferedReader:
        self._file()
        if self._buffer is None:
            raise io.UnsupportedOperation("File not open for reading")
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
        return reader.read1(io.DEFAULT_BUFFER_SIZE if size < 0 else size)

    def readinto(self, b: Any) -> int:
        """Read bytes into a writable buffer; return how many were read."""
        return self._reader().readinto(b)

    def readline(self, size: int | None = -1) -> bytes:
        """Read a line of uncompressed bytes, ending with ``b"\\n"`` unless at end of file."""
        return self._reader().readline(-1 if size is None else size)

    def write(self, data: Buffer) -> int:
        """Compress and write ``data``; return its length in bytes."""
        fp = self._file()
        if self._compressor is None:
            raise io.UnsupportedOperation("File not open for writing")
        view = _bytes_view(data)
        fp.write(self._compressor.compress(view))
        self._pos += len(view)
        return len(view)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Move to an uncompressed offset (reading only; emulated, may be slow)."""
        if not self.seekable():
            raise io.UnsupportedOperation("The underlying file object does not support seeking")
        return self._reader().seek(offset, whence)

    def tell(self) -> int:
        """The current uncompressed position."""
        self._file()
        return self._pos if self._buffer is None else self._buffer.tell()


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
        for name, value in (("encoding", encoding), ("errors", errors), ("newline", newline)):
            if value is not None:
                raise ValueError(f"Argument '{name}' not supported in binary mode")
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
        return io.TextIOWrapper(binary, io.text_encoding(encoding), errors, newline)
    return binary
