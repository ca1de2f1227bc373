"""How does Midicoth compare with the codecs people already use?

Runs every chosen file through every chosen codec and records, per file and
codec: compressed bytes, bits per byte, compression and decompression speed,
peak memory and a byte-exact round-trip check. ``python -m bench compare`` runs it;
``bench.report`` and ``bench.charts`` turn the records into tables and charts.

How far to trust the numbers:

- Sizes and bits per byte are exact and deterministic (each codec's output
  is also checked to be the same on every repeated run).
- Speeds are the median wall-clock time of up to ``--repeat`` runs (default
  3; a codec stops repeating once its runs on a file have taken
  ``--max-time`` seconds, so slow codecs on big files run once), in one
  child process per codec, file and direction, after the input is in
  memory: no disk I/O is timed. Python's call overhead is included, which
  matters only for files of a few KB. On a shared or busy machine expect
  +-10-20 %; compare codecs within one run, not across machines. Speeds are
  MB/s of *uncompressed* data in both directions (1 MB = 10^6 bytes).
- Peak memory is the growth of the child's peak resident set size
  (``ru_maxrss``) over its baseline after loading the input; it includes the
  output buffer (about the input's size when decompressing), so figures
  below a few MiB say "small" rather than an exact amount, and an allocator
  keeping freed memory can hide a codec's own reuse. Not measured on Windows.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.codecs import Codec
from bench.inputs import Input
from bench.machine import REPO_ROOT


@dataclass
class Direction:
    """Timings and memory of one direction (compress or decompress)."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    peak_bytes: int | None = None

    @property
    def seconds(self) -> float | None:
        """Median wall-clock seconds of the runs."""
        return statistics.median(self.wall) if self.wall else None

    @property
    def cpu_seconds(self) -> float | None:
        return statistics.median(self.cpu) if self.cpu else None

    @property
    def runs(self) -> int:
        return len(self.wall)


@dataclass
class Measurement:
    """One codec on one file."""

    input: Input
    codec: Codec
    compressed: int | None = None
    compress: Direction = field(default_factory=Direction)
    decompress: Direction = field(default_factory=Direction)
    roundtrip: bool | None = None
    deterministic: bool | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.compressed is not None and bool(self.roundtrip)

    @property
    def bpb(self) -> float | None:
        if self.compressed is None or self.input.size == 0:
            return None
        return 8.0 * self.compressed / self.input.size

    def speed(self, direction: str) -> float | None:
        """MB/s of uncompressed data (10^6 bytes), median run."""
        seconds = getattr(self, direction).seconds
        if not seconds:
            return None
        return self.input.size / seconds / 1e6


def _run_worker(job: dict[str, Any]) -> dict[str, Any]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO_ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    )
    proc = subprocess.run(
        [sys.executable, "-m", "bench.worker", json.dumps(job)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = proc.stderr.strip().splitlines()[-1:] or [f"exit status {proc.returncode}"]
        return {"error": f"worker failed: {tail[0]}"}
    return json.loads(lines[-1])


def measure(inp: Input, codec: Codec, scratch: Path, repeat: int, max_time: float) -> Measurement:
    """Compress then decompress one file with one codec, each in a fresh child."""
    m = Measurement(inp, codec)
    packed = scratch / f"{codec.name}.out"
    common = {"codec": codec.spec, "repeat": repeat, "max_time": max_time}
    result = _run_worker(
        {**common, "mode": "compress", "input": str(inp.path), "output": str(packed)}
    )
    if "error" in result:
        m.error = f"compress: {result['error']}"
        return m
    m.compressed = result["size"]
    m.deterministic = result["deterministic"]
    m.compress = Direction(result["wall"], result["cpu"], result["peak_bytes"])
    result = _run_worker(
        {**common, "mode": "decompress", "input": str(packed), "original": str(inp.path)}
    )
    packed.unlink()
    if "error" in result:
        m.error = f"decompress: {result['error']}"
        return m
    m.decompress = Direction(result["wall"], result["cpu"], result["peak_bytes"])
    m.deterministic = m.deterministic and result["deterministic"]
    m.roundtrip = bool(result["roundtrip"])
    if not m.roundtrip:
        m.error = "round trip: decompressed bytes differ from the original"
    return m


def run(
    inputs: list[Input],
    codecs: list[Codec],
    *,
    repeat: int = 3,
    max_time: float = 2.0,
    progress: Callable[[str], None] | None = None,
) -> list[Measurement]:
    """Measure every codec on every input (file-major order).

    Stops early on KeyboardInterrupt and returns what was measured so far.
    """
    results: list[Measurement] = []
    total = len(inputs) * len(codecs)
    with tempfile.TemporaryDirectory(prefix="midicoth-bench-") as tmp:
        scratch = Path(tmp)
        try:
            for inp in inputs:
                for codec in codecs:
                    m = measure(inp, codec, scratch, repeat, max_time)
                    results.append(m)
                    if progress:
                        progress(_progress_line(len(results), total, m))
        except KeyboardInterrupt:
            if progress:
                progress("interrupted: reporting what was measured so far")
    return results


def _progress_line(done: int, total: int, m: Measurement) -> str:
    head = f"[{done}/{total}] {m.input.key} {m.codec.name}:"
    if m.error:
        return f"{head} ERROR {m.error}"
    c, d = m.speed("compress"), m.speed("decompress")
    return (
        f"{head} {m.compressed} bytes, {m.bpb:.3f} bpb, "
        f"{c or 0:.2f} / {d or 0:.2f} MB/s ({m.compress.runs}/{m.decompress.runs} runs)"
    )
