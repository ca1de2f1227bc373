"""Golden .mdc files: pinned bytes that catch silent model or format drift.

Each file in tests/golden/ was made from an input this module generates,
with the parameters listed in tests/golden/MANIFEST.tsv along with the
sha256 of what the file decodes to. The tests check both directions:
the stored file decodes to that input, and compressing the input again
gives exactly the stored bytes.

A deliberate change of the model or the container must bump
MODEL_VERSION or FORMAT_VERSION and then regenerate the files:

    python tests/test_format_golden.py --regenerate
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

import midicoth

GOLDEN = Path(__file__).parent / "golden"
MANIFEST = GOLDEN / "MANIFEST.tsv"
COLUMNS = ("file", "input", "memory_mib", "stages", "block_size", "size", "sha256")


def generated_text(size: int) -> bytes:
    """English-like words chosen by SHA-256 in counter mode: the same bytes on
    every platform and Python version."""
    words = (  # noqa: SIM905 - a sentence reads better than a list
        "the of and to in a is that for it as was with be by on not he this are or his "
        "from at which but have an they you were her she there been one all we their "
        "model byte context order predict tree node step table count mass calibrate"
    ).split()
    out = bytearray()
    counter = 0
    while len(out) < size:
        digest = hashlib.sha256(counter.to_bytes(8, "little")).digest()
        counter += 1
        for i in range(0, 32, 2):
            word = words[int.from_bytes(digest[i : i + 2], "little") % len(words)]
            out += word.encode() + (b".\n" if digest[i] % 13 == 0 else b" ")
    return bytes(out[:size])


def generated_binary(size: int) -> bytes:
    """Bytes with short repeats and noise, also from SHA-256."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        digest = hashlib.sha256(b"bin" + counter.to_bytes(8, "little")).digest()
        counter += 1
        out += digest[:8] if counter % 3 else digest[:4] * 4
    return bytes(out[:size])


INPUTS = {
    "empty": lambda: b"",
    "text3000": lambda: generated_text(3000),
    "binary2000": lambda: generated_binary(2000),
}

# file -> (input, memory_mib, stages, block_size or 0 for solid)
CASES = {
    "empty.mdc": ("empty", 16, midicoth.ALL_STAGES, 0),
    "text-solid.mdc": ("text3000", 16, midicoth.ALL_STAGES, 0),
    "text-blocks.mdc": ("text3000", 16, midicoth.ALL_STAGES, 1024),
    "text-ppm-only.mdc": ("text3000", 16, 0, 0),
    "text-paper.mdc": ("text3000", 16, midicoth.PAPER_STAGES, 0),
    "binary-solid.mdc": ("binary2000", 32, midicoth.ALL_STAGES, 0),
}


def make(name: str) -> bytes:
    source, memory_mib, stages, block_size = CASES[name]
    return midicoth.compress(
        INPUTS[source](), memory_mib=memory_mib, stages=stages, block_size=block_size or None
    )


def read_manifest() -> dict:
    rows = MANIFEST.read_text().splitlines()
    assert tuple(rows[0].split("\t")) == COLUMNS
    return {row.split("\t")[0]: dict(zip(COLUMNS, row.split("\t"))) for row in rows[1:]}


def regenerate() -> None:
    GOLDEN.mkdir(exist_ok=True)
    lines = ["\t".join(COLUMNS)]
    for name, (source, memory_mib, stages, block_size) in CASES.items():
        (GOLDEN / name).write_bytes(make(name))
        data = INPUTS[source]()
        fields = (name, source, memory_mib, stages, block_size, len(data))
        lines.append("\t".join(map(str, fields)) + "\t" + hashlib.sha256(data).hexdigest())
    MANIFEST.write_text("\n".join(lines) + "\n")


def test_manifest_lists_every_case() -> None:
    assert sorted(read_manifest()) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_file_decodes_to_its_checksum(name: str) -> None:
    row = read_manifest()[name]
    data = midicoth.decompress((GOLDEN / name).read_bytes())
    assert len(data) == int(row["size"])
    assert hashlib.sha256(data).hexdigest() == row["sha256"]
    assert data == INPUTS[row["input"]]()


@pytest.mark.parametrize("name", sorted(CASES))
def test_compression_reproduces_golden_bytes(name: str) -> None:
    assert make(name) == (GOLDEN / name).read_bytes(), (
        f"{name}: the compressed bytes changed. If the model or format changed on "
        "purpose, bump MODEL_VERSION / FORMAT_VERSION and regenerate (see module docstring)."
    )


def test_golden_files_decode_in_pieces_and_concatenated() -> None:
    blobs = [(GOLDEN / name).read_bytes() for name in sorted(CASES)]
    joined = b"".join(blobs)
    expected = b"".join(midicoth.decompress(blob) for blob in blobs)
    assert midicoth.decompress(joined) == expected
    # Piecewise, a new decompressor per stream, as a file reader does it.
    out, streams, dec = [], 0, midicoth.MidicothDecompressor()
    for i in range(0, len(joined), 97):
        piece = joined[i : i + 97]
        while piece:
            out.append(dec.decompress(piece))
            piece = b""
            if dec.eof:
                streams += 1
                piece, dec = dec.unused_data, midicoth.MidicothDecompressor()
    assert streams == len(blobs)
    assert b"".join(out) == expected


if __name__ == "__main__":
    if sys.argv[1:] != ["--regenerate"]:
        sys.exit(__doc__)
    regenerate()
    print(f"wrote {len(CASES)} files and {MANIFEST.name} in {GOLDEN}")
