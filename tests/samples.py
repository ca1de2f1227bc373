"""Inputs shared by the engine, lean-model and determinism tests.

A helper module, not a test file: the tests import it (pytest puts tests/
on the import path), so that no test module imports another. Text comes
from ``corpora.synth``, the one generator of synthetic inputs.
"""

from __future__ import annotations

import random

from corpora import synth

SAMPLES: dict[str, bytes] = {
    "empty": b"",
    "one": b"x",
    "all256": bytes(range(256)),
    "all256x8": bytes(range(256)) * 8,
    "run": b"\0" * 5000,
    "run_then_change": b"a" * 3000 + b"b" * 3000,
    "random": random.Random(7).randbytes(20000),
    "text": synth.generate("text", 30000, 1),
    "binary_records": b"".join(
        i.to_bytes(4, "little") + b"\x01\x00" + bytes([i % 7]) * 2 for i in range(3000)
    ),
}
"""Inputs by name: edge cases, runs, noise, text and fixed-width records."""
