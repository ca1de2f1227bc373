"""One input of more than 4 GiB through compress and decompress, as one
solid stream, in constant memory; the SHA-256 of what went in and of what
came out must be equal.

    python tests/long_stream.py [--size 4.5G] [--stages match+word] [--memory MIB]
                                [--seed N] [--progress 256M]

Not collected by pytest: at the default size it runs for the better part
of an hour (CHANGELOG.md gives the last run). What is under
test is what counts past 2^31 and 2^32 bytes: the engine's positions, the
word model's length, the match model's streak and positions, and the
container's totals and block count. So the stages are few (``--stages``,
default ``match+word``: the fastest set that has those two models; ``ppm``
is faster still).

The input is made on the fly, deterministically (``--seed``), a piece of
at most 1 MiB at a time, in four parts:

1. text: lines of words and numbers, with runs of one byte now and then
   (a twentieth of the size, at most 256 MiB);
2. a run of 16 MiB of zero bytes;
3. one word: DNA (A, C, G, T) without a separator, everything left (more
   than 2^31 bytes at the default size). Its first 1 MiB + 17 bytes are
   random and then repeat, so that from the second period on a single
   match predicts every byte: its streak passes 2^32 when the word is
   longer than 2^32 + 1 MiB + 17 bytes (4.5 GiB does that). Four letters
   code twice as fast as 62 would;
4. text again (a fortieth of the size, at most 64 MiB).

One thread generates, hashes and compresses; another decompresses what
the compressor returns and hashes it (the engines release the GIL, so the
two run on two cores). A bounded queue between them keeps the memory
constant. Prints the sizes, the throughput, the peak RSS and both
checksums; exits 1 if they differ.
"""

from __future__ import annotations

import argparse
import hashlib
import queue
import random
import resource
import sys
import threading
import time
from collections.abc import Iterator

import midicoth
from midicoth.format import parse_stages, stages_name

PIECE = 1 << 20
PERIOD = (1 << 20) + 17
RUN = 16 << 20
WORD_CHARS = b"ACGT"
TO_WORD = bytes(WORD_CHARS[b % len(WORD_CHARS)] for b in range(256))  # random bytes -> DNA
WORDS = (
    b"the of and to in is that it for on with as was be by this are or an at from "
    b"model byte context tree node stream block counter position length limit bound "
    b"checksum compress decompress solid engine match word record period column"
).split()


def parse_size(text: str) -> int:
    """``4.5G``, ``50M``, ``64K`` (powers of 1024) or a number of bytes."""
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    text = text.strip().upper().removesuffix("B").removesuffix("I")
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def text_part(rng: random.Random, size: int) -> Iterator[bytes]:
    """Lines of words and numbers, with a run of one byte every few MiB."""
    left = size
    while left > 0:
        words = rng.choices(WORDS, k=PIECE // 5)
        for i in range(0, len(words), 11):
            words[i] = b"%d" % rng.randrange(1 << 20)
        for i in range(7, len(words), 13):
            words[i] += b"\n"
        piece = b" ".join(words)
        if rng.randrange(4) == 0:  # a run of one byte inside the piece
            at, run = rng.randrange(len(piece)), rng.randrange(1 << 10, 1 << 16)
            piece = piece[:at] + bytes([rng.choice(b" \n0x.-=")]) * run + piece[at:]
        piece = piece[: min(PIECE, left)]
        left -= len(piece)
        yield piece


def word_part(rng: random.Random, size: int) -> Iterator[bytes]:
    """One word of `size` bytes: PERIOD random letters, repeating."""
    period = rng.randbytes(PERIOD).translate(TO_WORD)
    at = 0
    left = size
    while left > 0:
        take = min(PIECE, left, PERIOD - at)
        yield period[at : at + take]
        at = (at + take) % PERIOD
        left -= take


def layout(size: int) -> list[tuple[str, int]]:
    """The parts of an input of `size` bytes: (name, bytes)."""
    head = min(size // 20, 256 << 20)
    run = min(RUN, (size - head) // 4)
    tail = min(size // 40, 64 << 20)
    word = size - head - run - tail
    return [("text", head), ("zero run", run), ("word", word), ("text", tail)]


def generate(size: int, seed: int) -> Iterator[bytes]:
    rng = random.Random(seed)
    for name, n in layout(size):
        if name == "text":
            yield from text_part(rng, n)
        elif name == "zero run":
            for start in range(0, n, PIECE):
                yield bytes(min(PIECE, n - start))
        else:
            yield from word_part(rng, n)


def human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.2f} {unit}"
        n /= 1024
    return str(n)  # pragma: no cover


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=parse_size, default=parse_size("4.5G"))
    parser.add_argument("--stages", type=parse_stages, default=parse_stages("match+word"))
    parser.add_argument("--memory", type=int, default=None, help="MiB (default: the API's)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--progress", type=parse_size, default=parse_size("256M"))
    args = parser.parse_args()

    parts = layout(args.size)
    word = dict(parts)["word"]
    print(f"midicoth {midicoth.__version__} from {midicoth.__file__}")
    print(
        f"input {args.size:,} bytes ({human(args.size)}), stages {stages_name(args.stages)}, "
        f"seed {args.seed}"
    )
    print("parts: " + ", ".join(f"{name} {n:,}" for name, n in parts))
    print(
        f"past 2^32 bytes: {args.size > 1 << 32}; longest word {word:,} (past 2^31: "
        f"{word > 1 << 31}); longest match {max(word - PERIOD, 0):,} (past 2^32: "
        f"{word - PERIOD > 1 << 32})",
        flush=True,
    )

    comp = midicoth.MidicothCompressor(stages=args.stages, memory_mib=args.memory)
    decomp = midicoth.MidicothDecompressor()
    pipe: queue.Queue[bytes | None] = queue.Queue(maxsize=32)
    sha_in, sha_out = hashlib.sha256(), hashlib.sha256()
    counts = {"in": 0, "coded": 0, "out": 0}
    failed = threading.Event()

    def decode() -> None:
        done = False
        try:
            while (coded := pipe.get()) is not None:
                out = decomp.decompress(coded)
                sha_out.update(out)
                counts["out"] += len(out)
            done = True
        finally:  # an error's traceback is printed by the thread
            if not done:
                failed.set()
                while pipe.get() is not None:  # let the producer finish
                    pass

    decoder = threading.Thread(target=decode, name="decode")
    decoder.start()
    start = time.monotonic()
    next_report = args.progress
    for piece in generate(args.size, args.seed):
        sha_in.update(piece)
        counts["in"] += len(piece)
        coded = comp.compress(piece)
        counts["coded"] += len(coded)
        pipe.put(coded)
        if counts["in"] >= next_report:
            next_report += args.progress
            elapsed = time.monotonic() - start
            print(
                f"{elapsed:8.0f} s  in {human(counts['in']):>12}  coded {counts['coded']:>13,}  "
                f"out {human(counts['out']):>12}  {counts['in'] / elapsed / 1e6:6.2f} MB/s",
                flush=True,
            )
    tail = comp.flush()
    counts["coded"] += len(tail)
    pipe.put(tail)
    pipe.put(None)
    decoder.join()
    elapsed = time.monotonic() - start
    if failed.is_set():
        print("decompression failed (the traceback is above)")
        return 1

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    same = sha_in.digest() == sha_out.digest() and counts["in"] == counts["out"]
    print(f"input       {counts['in']:>16,} bytes  sha256 {sha_in.hexdigest()}")
    print(f"compressed  {counts['coded']:>16,} bytes  ({counts['coded'] / counts['in']:.6f})")
    print(f"output      {counts['out']:>16,} bytes  sha256 {sha_out.hexdigest()}")
    print(f"end of stream seen: {decomp.eof}, bytes after it: {len(decomp.unused_data)}")
    print(
        f"time {elapsed:,.0f} s ({elapsed / 60:.1f} min), {counts['in'] / elapsed / 1e6:.2f} MB/s "
        f"through both; peak RSS {peak / 1024:,.0f} MiB"
    )
    ok = same and decomp.eof and not decomp.unused_data
    print("checksums equal" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
