"""Golden .mdc files: pinned bytes that catch silent model or format drift.

Each file in tests/golden/ was made from an input this module generates,
with the parameters listed in tests/golden/MANIFEST.tsv along with the
sha256 of what the file decodes to. The tests check both directions:
the stored file decodes to that input, and compressing the input again
gives exactly the stored bytes.

A deliberate change of the model or the container must bump
MODEL_VERSION or FORMAT_VERSION and then regenerate the files:

    python tests/test_format_golden.py --regenerate

tests/golden/VERSIONS.tsv pins, for every (format version, model version)
pair, the sha256 of the golden files made under it. Regenerating under a
pair already pinned to other bytes is refused, and a test fails if the
files differ from their pair's pin: changed output without a version bump
cannot pass, not even by regenerating the files.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

import midicoth
from midicoth.format import parse_stream_header

GOLDEN = Path(__file__).parent / "golden"
MANIFEST = GOLDEN / "MANIFEST.tsv"
COLUMNS = ("file", "input", "memory_mib", "stages", "block_size", "size", "sha256")
PINS = GOLDEN / "VERSIONS.tsv"
PIN_COLUMNS = ("format_version", "model_version", "golden_sha256")


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


def versions() -> tuple[int, int]:
    return midicoth.FORMAT_VERSION, midicoth.MODEL_VERSION


def golden_digest(files: dict[str, bytes]) -> str:
    """One sha256 over the names and bytes of all golden files."""
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(f"{name}\0{len(files[name])}\0".encode())
        h.update(files[name])
    return h.hexdigest()


def read_pins() -> dict[tuple[int, int], str]:
    rows = PINS.read_text().splitlines()
    assert tuple(rows[0].split("\t")) == PIN_COLUMNS
    pins = {}
    for row in rows[1:]:
        fmt_version, model_version, digest = row.split("\t")
        pins[int(fmt_version), int(model_version)] = digest
    return pins


def regenerate() -> None:
    GOLDEN.mkdir(exist_ok=True)
    files = {name: make(name) for name in CASES}
    digest = golden_digest(files)
    pins = read_pins() if PINS.exists() else {}
    pinned = pins.get(versions())
    if pinned is not None and pinned != digest:
        fmt_version, model_version = versions()
        sys.exit(
            f"refused: the output changed but format version {fmt_version} / model "
            f"version {model_version} is already pinned to other bytes in {PINS.name}. "
            "Bump MODEL_VERSION (csrc/midicoth.h) or FORMAT_VERSION (midicoth/format.py), "
            "rebuild, and regenerate."
        )
    pins[versions()] = digest
    PINS.write_text(
        "\n".join(
            ["\t".join(PIN_COLUMNS)] + [f"{f}\t{m}\t{d}" for (f, m), d in sorted(pins.items())]
        )
        + "\n"
    )
    lines = ["\t".join(COLUMNS)]
    for name, (source, memory_mib, stages, block_size) in CASES.items():
        (GOLDEN / name).write_bytes(files[name])
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


def test_golden_files_match_their_version_pin() -> None:
    """The golden bytes are those pinned for the current format and model
    versions: new output needs new version numbers, not just new files."""
    pins = read_pins()
    assert versions() in pins, (
        f"no golden pin for format/model version {versions()}: run "
        "python tests/test_format_golden.py --regenerate"
    )
    stored = {name: (GOLDEN / name).read_bytes() for name in CASES}
    assert golden_digest(stored) == pins[versions()], (
        "the golden files differ from those pinned for this format/model version: "
        "bump MODEL_VERSION or FORMAT_VERSION before regenerating"
    )


def test_golden_headers_carry_the_current_versions() -> None:
    for name in CASES:
        head = (GOLDEN / name).read_bytes()
        assert head[4] == midicoth.FORMAT_VERSION, name  # fixed place in every format version
        params = parse_stream_header(head)
        assert params.format_version == midicoth.FORMAT_VERSION, name
        assert params.model_version == midicoth.MODEL_VERSION, name


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
