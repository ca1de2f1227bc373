"""The damaged-input campaign: every way of breaking a valid stream must end
in MidicothError, quickly, without a crash, a hang or a large allocation.

Over several valid streams (empty, one byte, text, binary, independent
blocks, other stages and budgets, two streams back to back) it tries:

* ``bitflip``   every single-bit flip of the small streams; a sample of the
                bits of the others (all of them with ``--full``);
* ``truncate``  every length of every stream (a sample of the longer ones);
* ``overwrite`` 1 to 8 bytes set to random values at random offsets;
* ``magic``     wrong magic: every magic byte changed, foreign formats, no data;
* ``version``   other format versions (1 among them), with and without a
                fixed header check;
* ``header``    other header fields with a valid check: flags, stages, model
                version, memory budget, block size (also as a varint that is
                not in its shortest form, or too long);
* ``memory``    the header's memory budget rewritten, with a valid check, to
                every budget a header can name: those over the default memory
                limit must be refused before anything is allocated (caught as
                ``limit``), and every case also goes through a door with no
                limit, where the models decode the data that are not theirs
                within the time bound and touch memory in step with it;
* ``sizes``     block and end-marker sizes that lie (too large, too small,
                absurd, varints too long or not in their shortest form), and
                data checks that lie, with valid header checks, so that only
                the structure checks and the data checks can catch them;
* ``method``    block methods that lie, with valid header checks: each mode
                bit and the stored bit toggled, unknown bits, record periods
                that are wrong, too large or not in their shortest form;
* ``splice``    blocks dropped, repeated or swapped, garbage after the end.

Each case goes through ``midicoth.decompress`` and, in turn, through the
incremental decompressor (small chunks, small ``max_length``), the same
decoding independent blocks on two threads, the file reader and the header
scanner (``midicoth info``). A case passes if every
door raises MidicothError (the scanner may also succeed: it does not
decode), or, for the few changes that leave the data intact (a flipped
bit the coder's final bytes did not need, an unused larger block size),
if the output is exactly the original data. Anything else -- another
exception, wrong data without an error, a case slower than the time
bound -- is a failure.

Caught cases are counted by what caught them: ``checksum`` (a header's
16-bit check or a block's chained CRC-32), ``coder`` (the engine's own end-of-segment
check: the coded bytes must end exactly where the encoder's did) and
``structure`` (magic, versions, sizes and limits, truncation, totals,
trailing bytes) and ``limit`` (the decompressor's memory limit). A sample of cases also goes through the command line,
which must exit with status 1 and leave no output file.

Run standalone for a report, e.g. the long campaign::

    python tests/damage_campaign.py --full --overwrites 20000 --seed 1

``tests/test_damage_campaign.py`` runs the quick default in CI.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import struct
import sys
import tempfile
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The repository root, for corpora (not installed); appended, so an installed midicoth wins.
if __name__ == "__main__":
    sys.path.append(str(Path(__file__).resolve().parent.parent))

import midicoth
from corpora import synth
from midicoth import MidicothError, _core
from midicoth import format as fmt

HEADER = fmt.STREAM_HEADER_SIZE
"""Largest stream header (the first bytes of a stream are tried most)."""
BLOCK = fmt.BLOCK_HEADER_SIZE
"""Largest block header."""
TIME_BOUND = 2.0
"""Seconds any one case may take (the streams decode in milliseconds);
``--time-bound`` raises it for instrumented builds."""

KNOWN_GAPS: dict[str, str] = {}
"""Damage the current format cannot detect, by case detail -> why: counted as
``known`` rather than as a failure, so CI stays green while a gap is open
(pin it with a strict xfail test in tests/test_damage_campaign.py). Format 1
had one, "blocks swapped" (each block's CRC covered only its own data);
format 2 chains the block checks, which closes it."""


# --- the valid streams ----------------------------------------------------------------


@dataclass
class Stream:
    name: str
    data: bytes
    packed: bytes
    exhaustive: bool
    """True: every bit flip and every truncation is tried even in the quick campaign."""
    prefixes: dict[int, bytes] = field(default_factory=dict)
    """Lengths of ``packed`` that are themselves complete streams -> their data."""


def make_streams() -> list[Stream]:
    rng = random.Random(2024)
    streams = []

    def add(name: str, data: bytes, exhaustive: bool = False, **kw: Any) -> None:
        kw.setdefault("memory_mib", 16)
        streams.append(Stream(name, data, midicoth.compress(data, **kw), exhaustive))

    add("empty", b"", exhaustive=True)
    add("one-byte", b"\x7f", exhaustive=True)
    add("text-small", synth.generate("text", 120, 1), exhaustive=True)
    add("text-solid", synth.generate("text", 2500, 2))
    add("text-blocks", synth.generate("text", 3500, 3), block_size=1024)
    add("binary-paper", rng.randbytes(600) + bytes(range(256)) * 2, stages=midicoth.PAPER_STAGES)
    add("run-ppm-32", b"ab" * 1500 + b"c" * 500, stages=0, memory_mib=32, block_size=2048)
    # block methods: stored noise (solid), and independent blocks of text,
    # noise (stored), lines (record mode) and binary records (record mode)
    add("noise-stored", rng.randbytes(1500))
    lines = b"".join(b"%04d,north,%3d,ok\n" % (i, i * 37 % 1000) for i in range(80))
    records = b"".join(
        i.to_bytes(4, "little") + bytes([i % 5, 0, 0x80, 0x3F]) * 3 for i in range(80)
    )
    methods = synth.generate("text", 1024, 5) + rng.randbytes(1024) + lines[:1024] + records[:1024]
    add("methods-blocks", methods, block_size=1024)
    first, second = synth.generate("text", 200, 4), rng.randbytes(150)
    one = midicoth.compress(first, memory_mib=16)
    two = midicoth.compress(second, memory_mib=16, block_size=1024)
    streams.append(Stream("two-streams", first + second, one + two, False, {len(one): first}))
    return streams


# --- damage ---------------------------------------------------------------------------


@dataclass
class Case:
    stream: Stream
    kind: str
    detail: str
    damaged: bytes


def with_check(head: bytes) -> bytes:
    """``head`` followed by its 16-bit header check."""
    return head + struct.pack("<H", zlib.crc32(head) & 0xFFFF)


def varint(value: int, pad: int = 0) -> bytes:
    """LEB128 of ``value``, with ``pad`` needless bytes (not the shortest form) if asked."""
    out = bytearray(fmt.pack_varint(value))
    for _ in range(pad):
        out[-1] |= 0x80
        out.append(0)
    return bytes(out)


def header_length(packed: bytes) -> int:
    read = fmt.read_stream_header(packed)
    assert read is not None
    return read[1]


def block_offsets(packed: bytes) -> list[tuple[int, int]]:
    """(offset, total length) of every block of the first stream, then of its end marker."""
    params, at = fmt.read_stream_header(packed)
    out = []
    while True:
        head, size = fmt.read_block_header(packed[at:], params)
        out.append((at, size + head.csize))
        if head.end:
            return out
        at += size + head.csize


def block_header(packed: bytes, index: int) -> tuple[int, fmt.BlockHeader, int]:
    """(offset, parsed header, header length) of block ``index`` (the end marker: last)."""
    at, _ = block_offsets(packed)[index]
    head, size = fmt.read_block_header(packed[at:], fmt.parse_stream_header(packed))
    return at, head, size


HEADER_FIELDS = ("magic", "version", "flags", "stages", "model", "memory_log2", "block_size")


def set_header(packed: bytes, fix_crc: bool = True, **fields: Any) -> bytes:
    """Rewrite the stream header with fields changed; ``block_size`` may be an
    int or raw varint bytes."""
    size = header_length(packed)
    values = dict(zip(HEADER_FIELDS, (packed[:4], *packed[4:9], packed[9 : size - 2])))
    values.update(fields)
    block_size = values["block_size"]
    head = (
        values["magic"]
        + bytes(values[name] for name in HEADER_FIELDS[1:-1])
        + (varint(block_size) if isinstance(block_size, int) else block_size)
    )
    head = with_check(head) if fix_crc else head + packed[size - 2 : size]
    return head + packed[size:]


def set_block(
    packed: bytes,
    index: int,
    usize: int,
    csize: int,
    crc: int | None = None,
    pad: tuple[int, int] = (0, 0),
    method: int | None = None,
    period: bytes | None = None,
) -> bytes:
    """Rewrite block ``index``'s header with a valid check (``pad``: needless
    varint bytes). The method byte and the record period (raw varint bytes,
    written when the method has MODE_RECORD) are the block's own unless given."""
    at, old, size = block_header(packed, index)
    if method is None:
        method = old.mode | (fmt.METHOD_STORED if old.stored else 0)
    if period is None:
        period = varint(old.period)
    record = period if method & midicoth.MODE_RECORD else b""
    head = varint(usize, pad[0]) + bytes([method]) + record + varint(csize, pad[1])
    head = with_check(head + struct.pack("<I", old.crc if crc is None else crc))
    return packed[:at] + head + packed[at + size :]


def set_total(packed: bytes, total: int, pad: int = 0) -> bytes:
    at, _, size = block_header(packed, -1)
    return packed[:at] + with_check(b"\x00" + varint(total, pad)) + packed[at + size :]


def bitflips(s: Stream, rng: random.Random, full: bool, sample: int) -> Iterator[Case]:
    bits = range(len(s.packed) * 8)
    chosen = (
        bits
        if full or (s.exhaustive and sample > 0)
        else sorted(rng.sample(bits, min(abs(sample), len(bits))))
    )
    for bit in chosen:
        damaged = bytearray(s.packed)
        damaged[bit // 8] ^= 1 << (bit % 8)
        yield Case(s, "bitflip", f"byte {bit // 8} bit {bit % 8}", bytes(damaged))


def truncations(s: Stream, rng: random.Random, full: bool, sample: int) -> Iterator[Case]:
    lengths = range(len(s.packed))
    if not (full or (s.exhaustive and sample > 0)) and len(lengths) > abs(sample):
        # the first and last bytes of every part, and a sample of the rest
        edges = set(range(HEADER + BLOCK + 8)) | set(
            range(len(s.packed) - 2 * BLOCK, len(s.packed))
        )
        edges = {n for n in edges if 0 <= n < len(s.packed)}
        lengths = sorted(edges | set(rng.sample(lengths, abs(sample))))
    for n in lengths:
        yield Case(s, "truncate", f"{n} of {len(s.packed)} bytes", s.packed[:n])


def overwrites(s: Stream, rng: random.Random, count: int) -> Iterator[Case]:
    for _ in range(count):
        damaged = bytearray(s.packed)
        spots = [rng.randrange(len(damaged)) for _ in range(rng.randint(1, 8))]
        for at in spots:
            damaged[at] = rng.randrange(256)
        if damaged != s.packed:
            yield Case(s, "overwrite", f"bytes {sorted(set(spots))}", bytes(damaged))


FOREIGN = {
    "gzip": b"\x1f\x8b\x08\x00" + bytes(20),
    "xz": b"\xfd7zXZ\x00" + bytes(30),
    "zstd": b"\x28\xb5\x2f\xfd" + bytes(30),
    "reference-MDC7": b"MDC7" + struct.pack("<Q", 5) + bytes(8),
    "text": b"just some text, not a stream\n",
    "nul": bytes(64),
}


def magic_cases(s: Stream) -> Iterator[Case]:
    for i in range(4):
        for value in (0x00, 0xFF, s.packed[i] ^ 0x20, s.packed[i] ^ 0x01):
            damaged = bytearray(s.packed)
            damaged[i] = value
            if damaged != s.packed:
                yield Case(s, "magic", f"byte {i} = {value:#04x}", bytes(damaged))
    for name, foreign in FOREIGN.items():
        yield Case(s, "magic", f"foreign: {name}", foreign + s.packed[len(foreign) :])
    yield Case(s, "magic", "no data at all", b"")
    yield Case(s, "magic", "one byte of the magic", s.packed[:1] + b"\x00")


def version_cases(s: Stream) -> Iterator[Case]:
    for version in (0, 1, 2, 3, fmt.FORMAT_VERSION + 1, 0x7F, 0xFF):
        for fix in (True, False):
            damaged = set_header(s.packed, fix_crc=fix, version=version)
            yield Case(s, "version", f"format version {version}, crc fixed: {fix}", damaged)


def header_cases(s: Stream) -> Iterator[Case]:
    params = fmt.parse_stream_header(s.packed)
    log2 = params.memory_mib.bit_length() - 1
    changes: list[tuple[str, dict[str, Any]]] = [
        ("flags 0x02", {"flags": 0x02}),
        ("flags 0xff", {"flags": 0xFF}),
        ("level 10", {"flags": 10 << 1}),
        ("level 15", {"flags": 0x1E}),
        ("flags bit 5", {"flags": 0x20}),
        ("independent flag toggled", {"flags": int(not params.independent)}),
        ("unknown stage bit", {"stages": params.stages | 0x40}),
        ("stages 0xff", {"stages": 0xFF}),
        ("other stages", {"stages": params.stages ^ midicoth.STAGE_MATCH}),
        ("model version + 1", {"model": midicoth.MODEL_VERSION + 1}),
        ("model version 0", {"model": 0}),
        ("model version 0xff", {"model": 0xFF}),
        ("memory 1 MiB", {"memory_log2": 0}),
        ("memory 8 MiB", {"memory_log2": 3}),
        ("memory 2^13 MiB", {"memory_log2": 13}),
        ("memory 2^64 MiB", {"memory_log2": 64}),
        ("memory 2^255 MiB", {"memory_log2": 0xFF}),
        ("memory doubled", {"memory_log2": log2 + 1}),
        ("block size 0", {"block_size": 0}),
        ("block size 1", {"block_size": 1}),
        ("block size max+1", {"block_size": fmt.MAX_BLOCK_SIZE + 1}),
        ("block size 2^28-1", {"block_size": 2**28 - 1}),
        ("block size 2^32-1 (5-byte varint)", {"block_size": varint(2**32 - 1)}),
        ("block size max", {"block_size": fmt.MAX_BLOCK_SIZE}),
        ("block size not shortest", {"block_size": varint(params.block_size, 1)}),
        ("block size 0 as 0x80 0x00", {"block_size": b"\x80\x00"}),
    ]
    for detail, fields in changes:
        yield Case(s, "header", detail, set_header(s.packed, **fields))


def size_cases(s: Stream) -> Iterator[Case]:
    blocks = block_offsets(s.packed)
    params = fmt.parse_stream_header(s.packed)
    bound = fmt.max_coded_size
    for index in range(len(blocks) - 1):
        _, head, _ = block_header(s.packed, index)
        usize, csize = head.usize, head.csize
        lies = [
            (usize + 1, csize),
            (usize - 1, csize),
            (usize * 2, csize),
            (params.block_size, csize),
            (params.block_size + 1, csize),
            (1, csize),
            (2**28 - 1, csize),
            (0xFFFFFFFF, csize),
            (usize, csize + 1),
            (usize, csize - 1),
            (usize, 1),
            (usize, 0),
            (usize, bound(usize)),
            (usize, bound(usize) + 1),
            (usize, 0xFFFFFFFF),
            (usize, 2**35 - 1),
            (params.block_size, bound(params.block_size)),
        ]
        for lie_usize, lie_csize in lies:
            if (lie_usize, lie_csize) != (usize, csize) and lie_usize > 0:
                detail = f"block {index}: usize {lie_usize}, csize {lie_csize}"
                yield Case(s, "sizes", detail, set_block(s.packed, index, lie_usize, lie_csize))
        for pad in ((1, 0), (0, 1), (1, 1)):
            yield Case(
                s,
                "sizes",
                f"block {index}: sizes not in shortest form {pad}",
                set_block(s.packed, index, usize, csize, pad=pad),
            )
        lie_crc = zlib.crc32(b"lie")
        yield Case(
            s,
            "sizes",
            f"block {index}: data crc",
            set_block(s.packed, index, usize, csize, lie_crc),
        )
        done = sum(
            fmt.read_block_header(s.packed[at:], params)[0].usize for at, _ in blocks[:index]
        )
        own = zlib.crc32(s.data[done : done + usize])
        if own != head.crc:
            yield Case(
                s,
                "sizes",
                f"block {index}: data crc of the block alone",
                set_block(s.packed, index, usize, csize, own),
            )
    total = block_header(s.packed, -1)[1].usize
    for lie in (total + 1, total - 1, total * 2 + 7, 2**64 - 1, 2**64, 2**70 - 1, 2**32):
        if lie >= 0 and lie != total:
            yield Case(s, "sizes", f"end marker total {lie}", set_total(s.packed, lie))
    yield Case(s, "sizes", "end marker total not shortest", set_total(s.packed, total, pad=1))


def method_cases(s: Stream) -> Iterator[Case]:
    for index in range(len(block_offsets(s.packed)) - 1):
        _, head, _ = block_header(s.packed, index)
        method = head.mode | (fmt.METHOD_STORED if head.stored else 0)
        period = head.period
        lies: list[tuple[str, int, bytes | None]] = [
            (f"method bit {bit:#04x} toggled", method ^ bit, None)
            for bit in (midicoth.MODE_RECORD, midicoth.MODE_SPARSE, midicoth.MODE_X86)
        ]
        lies += [
            ("stored bit toggled", method ^ fmt.METHOD_STORED, None),
            ("unknown method bit 0x08", method | 0x08, None),
            ("unknown method bits 0x78", method | 0x78, None),
            ("method 0xff", 0xFF, None),
            ("record period + 1", method | midicoth.MODE_RECORD, varint(period + 1)),
            ("record period 37", method | midicoth.MODE_RECORD, varint(37)),
            ("record period max", method | midicoth.MODE_RECORD, varint(_core.MAX_PERIOD)),
            ("record period max + 1", method | midicoth.MODE_RECORD, varint(_core.MAX_PERIOD + 1)),
            ("record period 2^21 - 1", method | midicoth.MODE_RECORD, varint(2**21 - 1)),
            ("record period not shortest", method | midicoth.MODE_RECORD, varint(period, 1)),
            ("record period 4 bytes", method | midicoth.MODE_RECORD, b"\x80\x80\x80\x01"),
        ]
        for detail, lie_method, lie_period in lies:
            damaged = set_block(
                s.packed, index, head.usize, head.csize, method=lie_method, period=lie_period
            )
            if damaged != s.packed:
                yield Case(s, "method", f"block {index}: {detail}", damaged)


def memory_cases(s: Stream, full: bool) -> Iterator[Case]:
    """Every budget with ``full``; else the smallest, 256 MiB and the three largest."""
    smallest, largest = _core.MIN_MEMORY_MIB.bit_length() - 1, _core.MAX_MEMORY_MIB.bit_length()
    budgets = range(smallest, largest) if full else (smallest, 8, *range(largest - 3, largest))
    for log2 in budgets:
        damaged = set_header(s.packed, memory_log2=log2)
        if damaged != s.packed:
            yield Case(s, "memory", f"memory {1 << log2} MiB", damaged)


def splice_cases(s: Stream) -> Iterator[Case]:
    blocks = block_offsets(s.packed)
    body, end = blocks[:-1], blocks[-1]
    parts = [s.packed[at : at + n] for at, n in body]
    head, tail = s.packed[: header_length(s.packed)], s.packed[end[0] : end[0] + end[1]]
    rest = s.packed[end[0] + end[1] :]
    if parts:
        yield Case(s, "splice", "end marker removed", s.packed[: end[0]] + rest)
        yield Case(
            s, "splice", "first block repeated", head + parts[0] + b"".join(parts) + tail + rest
        )
    if len(parts) > 1:
        yield Case(s, "splice", "first block dropped", head + b"".join(parts[1:]) + tail + rest)
        yield Case(
            s,
            "splice",
            "blocks swapped",
            head + parts[1] + parts[0] + b"".join(parts[2:]) + tail + rest,
        )
    yield Case(s, "splice", "garbage after the end", s.packed + b"\x00garbage")
    yield Case(s, "splice", "a second magic after the end", s.packed + fmt.MAGIC)
    yield Case(s, "splice", "header twice", head + s.packed)


# --- running a case -------------------------------------------------------------------


def classify(message: str) -> str:
    """What caught the damage, from the error's message."""
    if "memory limit" in message:
        return "limit"
    if "checksum" in message:
        return "checksum"
    if "coded data do not match" in message or "no progress" in message:
        return "coder"
    return "structure"


def door_streaming(damaged: bytes, threads: int = 1) -> bytes:
    """The incremental decompressor, fed 61-byte chunks and asked for 700 bytes at a time."""
    out = []
    dec = midicoth.MidicothDecompressor(threads=threads)
    pending = damaged
    while True:
        piece, pending = pending[:61], pending[61:]
        out.append(dec.decompress(piece, 700))
        while not dec.needs_input and not dec.eof:
            out.append(dec.decompress(b"", 700))
        if dec.eof:
            pending = dec.unused_data + pending
            if not pending:
                return b"".join(out)
            dec = midicoth.MidicothDecompressor(threads=threads)
        elif not pending:
            raise MidicothError("compressed data ended before the end-of-stream marker")


def door_file(damaged: bytes) -> bytes:
    with midicoth.open(io.BytesIO(damaged)) as f:
        return f.read()


def door_parallel(damaged: bytes) -> bytes:
    return door_streaming(damaged, threads=2)


def door_unlimited(damaged: bytes) -> bytes:
    """Decoding with no memory limit, whatever budget the header names."""
    return midicoth.decompress(damaged, memlimit=None, threads=2)


DOORS: dict[str, Callable[[bytes], bytes]] = {
    "streaming": door_streaming,
    "parallel": door_parallel,
    "file": door_file,
    "unlimited": door_unlimited,
}


@dataclass
class Result:
    cases: int = 0
    caught: Counter = field(default_factory=Counter)  # by checker
    by_kind: dict[str, Counter] = field(default_factory=dict)
    intact: int = 0  # decoded to exactly the original data
    known: list[str] = field(default_factory=list)  # silently wrong, in KNOWN_GAPS
    failures: list[str] = field(default_factory=list)
    slowest: float = 0.0
    slowest_case: str = ""
    cli_cases: int = 0
    seconds: float = 0.0
    peak_rss_mib: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            "caught": dict(self.caught),
            "intact": self.intact,
            "known": self.known,
            "by_kind": {kind: dict(c) for kind, c in sorted(self.by_kind.items())},
            "failures": self.failures,
            "slowest_seconds": round(self.slowest, 4),
            "slowest_case": self.slowest_case,
            "cli_cases": self.cli_cases,
            "seconds": round(self.seconds, 1),
            "peak_rss_mib": round(self.peak_rss_mib, 1),
        }


def accepted_data(case: Case) -> set:
    """What a damaged stream may correctly decode to: the original data, or
    a prefix when the damage cut the stream at a stream boundary."""
    return {
        case.stream.data,
        *(v for n, v in case.stream.prefixes.items() if n == len(case.damaged)),
    }


def run_case(case: Case, index: int, result: Result, time_bound: float = TIME_BOUND) -> None:
    label = f"{case.stream.name} / {case.kind} / {case.detail}"
    accepted = accepted_data(case)
    start = time.perf_counter()
    outcome = "?"
    try:
        out = midicoth.decompress(case.damaged)
    except MidicothError as exc:
        outcome = classify(str(exc))
    except Exception as exc:  # noqa: BLE001 - any other exception is the finding
        result.failures.append(f"{label}: {type(exc).__name__}: {exc}")
        outcome = "failure"
    else:
        if out in accepted:
            outcome = "intact"
        elif case.detail in KNOWN_GAPS:
            outcome = "known"
        else:
            result.failures.append(f"{label}: decoded {len(out)} wrong bytes without an error")
            outcome = "failure"
    # three cases in four also through another door, which must agree; a
    # rewritten budget always through the one with no memory limit
    door_name = ("streaming", "parallel", "file", None)[index % 4]
    if case.kind == "memory":
        door_name = "unlimited"
    if door_name is not None and outcome != "failure":
        try:
            other = DOORS[door_name](case.damaged)
        except MidicothError:
            if outcome == "intact":
                result.failures.append(f"{label}: {door_name} refused what decompress() took")
        except Exception as exc:  # noqa: BLE001
            result.failures.append(f"{label}: {door_name}: {type(exc).__name__}: {exc}")
        else:
            if other not in accepted and outcome != "known":
                result.failures.append(f"{label}: {door_name} decoded wrong bytes without an error")
    try:
        list(fmt.scan(io.BytesIO(case.damaged)))
    except MidicothError:
        pass
    except Exception as exc:  # noqa: BLE001
        result.failures.append(f"{label}: scan: {type(exc).__name__}: {exc}")
    elapsed = time.perf_counter() - start
    if elapsed > result.slowest:
        result.slowest, result.slowest_case = elapsed, label
    if elapsed > time_bound:
        result.failures.append(f"{label}: took {elapsed:.2f} s")
    result.cases += 1
    if outcome == "intact":
        result.intact += 1
    elif outcome == "known":
        result.known.append(label)
    elif outcome != "failure":
        result.caught[outcome] += 1
    result.by_kind.setdefault(case.kind, Counter())[outcome] += 1


def run_cli_sample(cases: list[Case], result: Result) -> None:
    """``midicoth decompress`` and ``test`` on damaged files: status 1, no output
    left; or, for the few changes that leave the data intact (the library
    decodes them to the original), status 0 and the original data."""
    from click.testing import CliRunner

    from midicoth.cli import main

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for n, case in enumerate(cases):
            label = f"cli: {case.stream.name} / {case.kind} / {case.detail}"
            try:
                intact = midicoth.decompress(case.damaged) in accepted_data(case)
            except MidicothError:
                intact = False
            path = work / f"case{n}.mdc"
            out = work / f"case{n}"
            path.write_bytes(case.damaged)
            for args in (["decompress", "-k", str(path)], ["test", str(path)]):
                run = CliRunner().invoke(main, args, prog_name="midicoth")
                expected = 0 if intact else 1
                # (the runner reports an escaped exception as status 1 too: tell them apart)
                if run.exit_code != expected or not (
                    run.exception is None or isinstance(run.exception, SystemExit)
                ):
                    result.failures.append(f"{label}: {args[0]}: {run.exit_code} {run.exception!r}")
                elif "Traceback" in run.output:
                    result.failures.append(f"{label}: {args[0]} printed a traceback")
            left = sorted(p.name for p in work.iterdir())
            if left != sorted([path.name, *([out.name] if intact else [])]):
                result.failures.append(f"{label}: left {left}")
            elif intact and out.read_bytes() not in accepted_data(case):
                result.failures.append(f"{label}: decompress wrote other data")
            for p in (path, out):
                p.unlink(missing_ok=True)
            result.cli_cases += 1


def all_cases(full: bool, overwrite_count: int, sample: int, seed: int) -> list[Case]:
    rng = random.Random(seed)
    cases: list[Case] = []
    for s in make_streams():
        cases += bitflips(s, rng, full, sample)
        cases += truncations(s, rng, full, sample)
        cases += overwrites(s, rng, overwrite_count)
        cases += magic_cases(s)
        cases += version_cases(s)
        cases += header_cases(s)
        cases += memory_cases(s, full)
        if s.name != "two-streams" or full:
            cases += size_cases(s)
            cases += method_cases(s)
        cases += splice_cases(s)
    return cases


def peak_rss_mib() -> float:
    """Peak resident memory of this process, MiB (0 if unknown).

    Linux's VmHWM belongs to this program image; ``ru_maxrss`` may instead
    carry the parent's peak over fork and exec, so it is only the fallback.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    try:
        import resource
    except ImportError:  # not POSIX
        return 0.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024


def run_campaign(
    full: bool = False,
    overwrites: int = 40,
    sample: int = 120,
    cli_sample: int = 12,
    seed: int = 0,
    time_bound: float = TIME_BOUND,
) -> Result:
    """Run the campaign; the defaults are the quick CI setting."""
    start = time.perf_counter()
    cases = all_cases(full, overwrites, sample, seed)
    result = Result()
    for index, case in enumerate(cases):
        run_case(case, index, result, time_bound)
    run_cli_sample(random.Random(seed).sample(cases, min(cli_sample, len(cases))), result)
    result.seconds = time.perf_counter() - start
    result.peak_rss_mib = peak_rss_mib()
    return result


def report(result: Result) -> str:
    kinds = sorted(result.by_kind)
    cols = ["checksum", "coder", "structure", "limit", "intact", "known", "failure"]
    lines = [f"{'kind':<10}" + "".join(f"{c:>10}" for c in cols) + f"{'total':>10}"]
    for kind in kinds:
        c = result.by_kind[kind]
        lines.append(
            f"{kind:<10}" + "".join(f"{c[k]:>10}" for k in cols) + f"{sum(c.values()):>10}"
        )
    totals = Counter()
    for c in result.by_kind.values():
        totals.update(c)
    lines.append(f"{'all':<10}" + "".join(f"{totals[k]:>10}" for k in cols) + f"{result.cases:>10}")
    lines.append(
        f"{result.cases} cases (+{result.cli_cases} through the CLI) in {result.seconds:.1f} s; "
        f"slowest case {result.slowest * 1000:.0f} ms ({result.slowest_case}); "
        f"peak RSS {result.peak_rss_mib:.0f} MiB; failures: {len(result.failures)}"
    )
    lines += [f"KNOWN GAP {k}: {KNOWN_GAPS[k.rsplit(' / ', 1)[1]]}" for k in result.known]
    lines += [f"FAILURE {f}" for f in result.failures[:50]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--full", action="store_true", help="every bit flip and truncation of every stream"
    )
    parser.add_argument("--overwrites", type=int, default=40, help="random overwrites per stream")
    parser.add_argument(
        "--sample",
        type=int,
        default=120,
        help="flips and truncations sampled per stream; negative: the small streams too",
    )
    parser.add_argument("--cli", type=int, default=12, help="cases also run through the CLI")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--time-bound", type=float, default=TIME_BOUND, help="seconds a case may take"
    )
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")
    args = parser.parse_args(argv)
    result = run_campaign(
        args.full, args.overwrites, args.sample, args.cli, args.seed, args.time_bound
    )
    print(json.dumps(result.as_dict()) if args.json else report(result))
    return 1 if result.failures else 0


if __name__ == "__main__":
    sys.exit(main())
