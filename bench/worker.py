"""Child process of the benchmark: time one codec on one file, in one direction.

The parent runs ``python -m bench.worker JOB`` with JOB a JSON object::

    {"codec": "zstd:19", "mode": "compress" | "decompress",
     "input": path, "output": path (compress: where to write the result),
     "original": path (decompress: what the result must equal),
     "repeat": n, "max_time": seconds}

and reads one JSON object back from stdout: the wall and CPU seconds of each
run, the output size, the peak resident memory above the child's baseline,
whether every run gave the same bytes, and (decompress) whether they equal
the original. Each direction gets a fresh process so that its peak memory is
its own: ``ru_maxrss`` only ever grows.

Memory: the peak resident set size above the resident size measured once the
interpreter, the codec module and the input (and, when decompressing, the
original) are loaded; so it counts what the codec allocates plus its output
buffer (see ``PeakMemory`` for how exact that is per OS). Resident memory
counts only pages touched, which is what a table that is allocated but never
filled really costs.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from typing import Any

from bench.codecs import parse

try:
    import resource
except ImportError:  # Windows
    resource = None  # type: ignore[assignment]


def _proc_status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


class PeakMemory:
    """Peak resident memory above a starting point.

    On Linux the kernel's high-water mark is reset to the current RSS at
    start() (``/proc/self/clear_refs``), so the peak is exact to a page even
    when interpreter start-up once used more. Elsewhere the growth of
    ``ru_maxrss`` is used, which misses a codec that stays below the
    process's earlier peak. None where neither is available (Windows).
    """

    def start(self) -> None:
        self._base: int | None = None
        self._exact = False
        try:
            with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
                fh.write("5")
            self._base = _proc_status_kib("VmRSS")
            self._exact = self._base is not None
        except OSError:
            pass
        if not self._exact:
            self._base = self._maxrss_kib()

    def growth_bytes(self) -> int | None:
        if self._base is None:
            return None
        now = _proc_status_kib("VmHWM") if self._exact else self._maxrss_kib()
        return None if now is None else max(0, now - self._base) * 1024

    @staticmethod
    def _maxrss_kib() -> int | None:
        if resource is None:
            return None
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak // 1024 if sys.platform == "darwin" else peak


def run(job: dict[str, Any]) -> dict[str, Any]:
    """Carry out one job (see the module docstring) and describe the result."""
    codec = parse(job["codec"])
    compress, decompress = codec.functions()
    fn = compress if job["mode"] == "compress" else decompress
    with open(job["input"], "rb") as fh:
        data = fh.read()
    original = None
    if job["mode"] == "decompress":
        with open(job["original"], "rb") as fh:
            original = fh.read()
    repeat = max(1, int(job.get("repeat", 1)))
    max_time = float(job.get("max_time", 0.0))

    gc.collect()
    memory = PeakMemory()
    memory.start()
    wall: list[float] = []
    cpu: list[float] = []
    first: bytes | None = None
    same = True
    roundtrip = True
    gc.disable()
    try:
        for _ in range(repeat):
            out = None  # free the previous run's output before the next run
            w0, c0 = time.perf_counter(), time.process_time()
            out = fn(data)
            cpu.append(time.process_time() - c0)
            wall.append(time.perf_counter() - w0)
            if first is None:
                first = out
            elif out != first:
                same = False
            if original is not None and out != original:
                roundtrip = False
            if sum(wall) >= max_time:
                break
    finally:
        gc.enable()
    peak = memory.growth_bytes()
    assert first is not None
    if job["mode"] == "compress":
        with open(job["output"], "wb") as fh:
            fh.write(first)
    return {
        "wall": wall,
        "cpu": cpu,
        "size": len(first),
        "peak_bytes": peak,
        "deterministic": same,
        "roundtrip": roundtrip if original is not None else None,
    }


def main() -> int:
    job = json.loads(sys.argv[1])
    try:
        result = run(job)
    except Exception as exc:  # noqa: BLE001 -- any codec error is reported per file
        result = {"error": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
