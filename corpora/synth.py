"""Deterministic synthetic inputs for tests and quick benchmarks.

``generate(kind, size, seed)`` returns exactly `size` bytes that depend only
on kind and seed (a longer output begins with the shorter one) and are
identical on every platform and Python version: the randomness comes from
BLAKE2b in counter mode, not from ``random`` or numpy. The kinds exercise different parts of a compressor:

``text``     English-like prose: a Zipf-distributed vocabulary of invented
             words, sentences, punctuation, wrapped lines and paragraphs.
``binary``   fixed-size little-endian records with counters, small enums and
             slowly drifting values, like a table dump or telemetry log.
``random``   uniformly random bytes: incompressible, every coder must expand.
``runs``     runs of a few byte values with geometric lengths.
``repeats``  random chunks, many of them repeated (slightly mutated) from far
             back: long matches that only a match model finds.
``table``    delimited text, a row per line: an id, a count, a category and
             a decimal, so columns line up (record contexts by lines).
``numbers``  little-endian 32-bit samples of a slowly varying signal: the
             high bytes repeat 4 back, the low ones are noisy (sparse contexts).
``code``     x86-like machine code: short instructions and CALLs (E8) to a
             few dozen targets, each with its relative 32-bit displacement.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Callable, Iterator

DEFAULT_SIZE = 1 << 16


class _Random:
    """A small deterministic random source: BLAKE2b(key, counter) blocks."""

    def __init__(self, kind: str, seed: int) -> None:
        self._key = hashlib.blake2b(f"midicoth-synth/{kind}/{seed}".encode()).digest()[:32]
        self._counter = 0
        self._buf = b""
        self._pos = 0

    def bytes(self, n: int) -> bytes:
        out = bytearray()
        while len(out) < n:
            if self._pos >= len(self._buf):
                self._buf = hashlib.blake2b(
                    self._counter.to_bytes(8, "little"), key=self._key
                ).digest()
                self._counter += 1
                self._pos = 0
            take = min(n - len(out), len(self._buf) - self._pos)
            out += self._buf[self._pos : self._pos + take]
            self._pos += take
        return bytes(out)

    def below(self, n: int) -> int:
        """A uniform integer in [0, n) (n < 2**32; bias below 2**-32 * n)."""
        return int.from_bytes(self.bytes(4), "little") * n >> 32

    def unit(self) -> float:
        """A uniform float in [0, 1)."""
        return int.from_bytes(self.bytes(4), "little") / 4294967296.0

    def geometric(self, mean: int, cap: int) -> int:
        """A length >= 1 with roughly geometric distribution of the given mean."""
        n = 1
        p_continue = 1.0 - 1.0 / mean
        while n < cap and self.unit() < p_continue:
            n += 1
        return n


_ONSETS = [
    "",
    "b",
    "c",
    "d",
    "f",
    "g",
    "h",
    "l",
    "m",
    "n",
    "p",
    "r",
    "s",
    "t",
    "w",
    "br",
    "ch",
    "cl",
    "gr",
    "sh",
    "st",
    "th",
    "tr",
    "wh",
]
_VOWELS = ["a", "e", "i", "o", "u", "ea", "ou", "ai", "ee", "y"]
_CODAS = ["", "", "n", "r", "s", "t", "d", "ll", "ng", "st", "ck", "nd"]


def _text(rng: _Random) -> Iterator[bytes]:
    vocab: list[str] = []
    seen = set()
    while len(vocab) < 3000:
        syllables = 1 + rng.below(3)
        word = "".join(
            _ONSETS[rng.below(len(_ONSETS))]
            + _VOWELS[rng.below(len(_VOWELS))]
            + _CODAS[rng.below(len(_CODAS))]
            for _ in range(syllables)
        )
        if word not in seen:
            seen.add(word)
            vocab.append(word)
    # Zipf's law: the word of rank r has weight 1/r.
    cumulative: list[float] = []
    total = 0.0
    for rank in range(1, len(vocab) + 1):
        total += 1.0 / rank
        cumulative.append(total)
    column = 0
    while True:
        paragraph_sentences = 2 + rng.below(6)
        for _ in range(paragraph_sentences):
            n_words = 4 + rng.below(16)
            words = []
            for i in range(n_words):
                word = vocab[bisect.bisect_left(cumulative, rng.unit() * total)]
                if i == 0:
                    word = word.capitalize()
                elif i < n_words - 1 and rng.below(12) == 0:
                    word += ","
                words.append(word)
            words[-1] += "." if rng.below(8) else "?"
            for word in words:
                if column and column + 1 + len(word) > 72:
                    yield b"\n"
                    column = 0
                elif column:
                    yield b" "
                    column += 1
                yield word.encode("ascii")
                column += len(word)
        yield b"\n\n"
        column = 0


def _binary(rng: _Random) -> Iterator[bytes]:
    counter = 0
    level = 1000
    kinds = [1, 2, 3, 7, 9]
    while True:
        counter += 1 + (rng.below(8) == 0)
        level = max(0, min(65535, level + rng.below(41) - 20))
        kind = kinds[rng.below(len(kinds))] if rng.below(4) == 0 else kinds[0]
        payload = rng.bytes(2) + bytes(2)
        yield (
            counter.to_bytes(4, "little")
            + kind.to_bytes(2, "little")
            + level.to_bytes(2, "little")
            + (level * 3 + kind).to_bytes(4, "little")
            + payload
        )


def _random(rng: _Random) -> Iterator[bytes]:
    while True:
        yield rng.bytes(4096)


def _runs(rng: _Random) -> Iterator[bytes]:
    alphabet = [0, 32, 48, 255, 65, 10, 128, 7]
    while True:
        value = alphabet[rng.below(len(alphabet))]
        yield bytes([value]) * rng.geometric(40, 4000)


def _repeats(rng: _Random) -> Iterator[bytes]:
    history = bytearray()
    while True:
        length = 64 + rng.below(4032)
        if len(history) > 8192 and rng.below(3):
            start = rng.below(len(history) - length) if len(history) > length else 0
            chunk = bytearray(history[start : start + length])
            for _ in range(rng.below(4)):
                chunk[rng.below(len(chunk))] = rng.below(256)
        else:
            chunk = bytearray(rng.bytes(length))
        history += chunk
        yield bytes(chunk)


def _table(rng: _Random) -> Iterator[bytes]:
    categories = [b"alpha", b"beta", b"gamma", b"delta"]
    row = 0
    while True:
        row += 1
        count = rng.below(1000)
        value = rng.below(100000)
        yield b"%d,%d,%s,%d.%04d\n" % (
            row,
            count,
            categories[rng.below(len(categories))],
            value // 10000,
            value % 10000,
        )


def _numbers(rng: _Random) -> Iterator[bytes]:
    level = 1 << 20
    while True:
        level += rng.below(2049) - 1024
        yield (level & 0xFFFFFFFF).to_bytes(4, "little")


def _code(rng: _Random) -> Iterator[bytes]:
    targets = [rng.below(1 << 18) for _ in range(40)]
    prologue = [b"\x55", b"\x48\x89\xe5", b"\x48\x83\xec\x10", b"\x8b\x45\xfc", b"\x31\xc0"]
    at = 0
    while True:
        piece = b"".join(prologue[rng.below(len(prologue))] for _ in range(1 + rng.below(4)))
        at += len(piece) + 5
        relative = (targets[rng.below(len(targets))] - at) & 0xFFFFFFFF
        yield piece + b"\xe8" + relative.to_bytes(4, "little")


KINDS: dict[str, Callable[[_Random], Iterator[bytes]]] = {
    "text": _text,
    "binary": _binary,
    "random": _random,
    "runs": _runs,
    "repeats": _repeats,
    "table": _table,
    "numbers": _numbers,
    "code": _code,
}


def generate(kind: str, size: int = DEFAULT_SIZE, seed: int = 0) -> bytes:
    """`size` deterministic bytes of the given kind (see the module docstring)."""
    if kind not in KINDS:
        raise KeyError(f"unknown synthetic kind {kind!r} (known: {', '.join(KINDS)})")
    if size < 0:
        raise ValueError("size must be >= 0")
    out = bytearray()
    pieces = KINDS[kind](_Random(kind, seed))
    while len(out) < size:
        out += next(pieces)
    del out[size:]
    return bytes(out)


def synthetic_set(size: int = DEFAULT_SIZE, seed: int = 0) -> dict[str, bytes]:
    """One input of every kind, keyed by kind."""
    return {kind: generate(kind, size, seed) for kind in KINDS}
