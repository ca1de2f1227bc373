"""Golden .mdc files: pinned bytes that catch silent model or format drift.

Each file in tests/golden/ was made from an input this module generates,
with the parameters listed in tests/golden/MANIFEST.tsv along with the
sha256 of what the file decodes to and the method of each of its blocks.
Most name their settings (stages, memory, modes: the stream records level
0); a few are made at a compression level (``level=``) and must record it.
The tests check both directions: the stored file decodes to that input,
and compressing the input again gives exactly the stored bytes. Some
inputs are made for one block method each (records, lines, x86 code,
noise that is stored), and a test checks that the analyser still picks it.

A deliberate change of the model or the container must bump
MODEL_VERSION or FORMAT_VERSION and then regenerate the files:

    python tests/test_format_golden.py --regenerate

tests/golden/VERSIONS.tsv pins, for every (format version, model version)
pair, the sha256 of the golden files made under it. Regenerating under a
pair already pinned to other bytes is refused, and a test fails if the
files differ from their pair's pin: changed output without a version bump
cannot pass, not even by regenerating the files. The pin covers the files
made with explicit settings (level 0), which fix the format and the model;
the files made at a level also depend on the level table
(``midicoth.levels.LEVELS``), which may be retuned without a version bump
(what a level means is not part of the format): after a retune they no
longer reproduce, and regenerating rewrites them while the pin still holds.

Streams of older versions that this midicoth still decodes keep their
golden files in a directory of their own (``KEPT``, each with its own
MANIFEST.tsv: format 2 / model 5 in tests/golden/format-2/, as midicoth
0.5 wrote them; format 3 / model 6 in tests/golden/format-3/, as 0.6-0.7
wrote them): they must still decode to their inputs and match their pin,
and regenerating never touches them.
"""

from __future__ import annotations

import hashlib
import io
import re
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

import midicoth
from midicoth import _core
from midicoth import format as fmt

GOLDEN = Path(__file__).parent / "golden"
MANIFEST = GOLDEN / "MANIFEST.tsv"
COLUMNS = (
    "file",
    "input",
    "memory_mib",
    "stages",
    "block_size",
    "modes",
    "level",
    "size",
    "sha256",
    "methods",
)
PINS = GOLDEN / "VERSIONS.tsv"
PIN_COLUMNS = ("format_version", "model_version", "golden_sha256")

KEPT = {(2, 5): GOLDEN / "format-2", (3, 6): GOLDEN / "format-3"}
"""Older (format version, model version) pairs this midicoth still decodes,
with the directory of their golden files (written by midicoth 0.5, and by
0.7)."""

# The golden inputs. These generators are frozen, byte for byte: every golden
# file decodes to their output (its sha256 is in each MANIFEST.tsv), the files
# older releases wrote among them, and those can never be made again. Every
# other test takes its synthetic input from corpora.synth.


def _sha256_stream(tag: bytes, size: int) -> bytes:
    """``size`` bytes of SHA-256 in counter mode under ``tag``."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(tag + counter.to_bytes(8, "little")).digest()
        counter += 1
    return bytes(out[:size])


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


def generated_records(size: int, period: int = 36) -> bytes:
    """Fixed-width binary records: a counter, a small code, a constant float
    and two noisy bytes, padded with zeros to ``period`` bytes."""
    out = bytearray()
    row = 0
    while len(out) < size:
        digest = hashlib.sha256(b"rec" + row.to_bytes(8, "little")).digest()
        record = row.to_bytes(4, "little") + bytes([digest[0] & 7, 0, 0x80, 0x3F]) + digest[1:3]
        out += record.ljust(period, b"\x00")
        row += 1
    return bytes(out[:size])


def generated_csv(size: int) -> bytes:
    """Lines of comma-separated fields of varying width."""
    regions = (b"north", b"south", b"east", b"west")
    states = (b"ok", b"late", b"lost")
    out = bytearray()
    row = 0
    while len(out) < size:
        d = hashlib.sha256(b"csv" + row.to_bytes(8, "little")).digest()
        out += b"%05d,%s,%3d.%02d,%s\n" % (
            row,
            regions[d[0] % 4],
            d[1],
            d[2] % 100,
            states[d[3] % 3],
        )
        row += 1
    return bytes(out[:size])


def generated_x86(size: int) -> bytes:
    """Something like x86-64 code: common instructions, and CALLs (E8) to a
    few dozen functions, whose relative targets the x86 transform makes
    absolute."""
    pieces = (b"\x55", b"\x48\x89\xe5", b"\x48\x83\xec\x20", b"\x8b\x45\xfc", b"\xc3")
    pieces += (b"\x89\x7d\xfc", b"\x48\x8b\x05", b"\x0f", b"\x48", b"\x00", b"\xff")
    digest = hashlib.sha256(b"x86").digest()
    functions = [int.from_bytes(digest[i : i + 2], "little") % size for i in range(0, 32, 2)]
    out = bytearray()
    counter = 0
    while len(out) < size:
        digest = hashlib.sha256(b"x86" + counter.to_bytes(8, "little")).digest()
        counter += 1
        for byte in digest:
            if byte < 40:
                target = functions[byte % len(functions)] - len(out) - 5
                out += b"\xe8" + (target & 0xFFFFFFFF).to_bytes(4, "little")
            else:
                out += pieces[byte % len(pieces)]
    return bytes(out[:size])


INPUTS = {
    "empty": lambda: b"",
    "text3000": lambda: generated_text(3000),
    "text20000": lambda: generated_text(20000),
    "binary2000": lambda: generated_binary(2000),
    "records3000": lambda: generated_records(3000),
    "csv3000": lambda: generated_csv(3000),
    "x86_4000": lambda: generated_x86(4000),
    "noise3000": lambda: _sha256_stream(b"noise", 3000),
    "mixed3072": lambda: (
        generated_text(1024) + _sha256_stream(b"noise", 1024) + generated_csv(1024)
    ),
}

ALL, MODES = _core.ALL_STAGES, _core.MODE_ALL


class Case(NamedTuple):
    """How a golden file is made."""

    input: str
    memory_mib: int | None
    stages: int | None
    block_size: int
    """0 for a solid stream."""
    modes: int | None
    method: str | None
    """A method some block of the file must have or include, or None."""
    level: int = 0
    """The compression level it is made at (settings None), or 0."""


CASES = {
    "empty.mdc": Case("empty", 16, ALL, 0, MODES, None),
    "text-solid.mdc": Case("text3000", 16, ALL, 0, MODES, None),
    "text-blocks.mdc": Case("text3000", 16, ALL, 1024, MODES, None),
    "text-ppm-only.mdc": Case("text3000", 16, 0, 0, MODES, None),
    "text-paper.mdc": Case("text3000", 16, midicoth.PAPER_STAGES, 0, MODES, None),
    "binary-solid.mdc": Case("binary2000", 32, ALL, 0, MODES, None),
    "binary-plain.mdc": Case("binary2000", 32, ALL, 0, 0, "plain"),
    "records.mdc": Case("records3000", 16, ALL, 0, MODES, "record/36"),
    "csv-lines.mdc": Case("csv3000", 16, ALL, 0, MODES, "record/lines"),
    "x86.mdc": Case("x86_4000", 16, ALL, 0, MODES, "x86"),
    "x86-paper.mdc": Case("x86_4000", 16, midicoth.PAPER_STAGES, 0, MODES, "x86"),
    "noise-stored.mdc": Case("noise3000", 16, ALL, 0, MODES, "stored"),
    "mixed-blocks.mdc": Case("mixed3072", 16, ALL, 1024, MODES, "stored"),
    "text-level1.mdc": Case("text20000", None, None, 0, None, None, level=1),
    "text-level6.mdc": Case("text20000", None, None, 0, None, None, level=6),
    "text-level9.mdc": Case("text20000", None, None, 0, None, None, level=9),
}

LEVEL_CASES = sorted(name for name, case in CASES.items() if case.level)


def make(name: str) -> bytes:
    case = CASES[name]
    return midicoth.compress(
        INPUTS[case.input](),
        memory_mib=case.memory_mib,
        stages=case.stages,
        block_size=case.block_size or None,
        modes=case.modes,
        level=case.level or None,
    )


def block_methods(packed: bytes) -> list[str]:
    """The method of every block of every stream, as ``midicoth info -v`` names them."""
    return [method.name for layout in fmt.scan(io.BytesIO(packed)) for method in layout.methods]


def has_method(methods: list[str], wanted: str) -> bool:
    """True if one of ``methods`` (names of :func:`block_methods`) is or
    includes ``wanted``: ``"x86"`` is in ``"sparse+x86"``, ``"stored"`` in
    ``"stored (x86)"``."""
    return any(wanted in re.split(r"[+ ()]", method) for method in methods)


def read_manifest(directory: Path = GOLDEN) -> dict[str, dict[str, str]]:
    """The rows of a MANIFEST.tsv by file name (the columns as its first row names them)."""
    rows = (directory / "MANIFEST.tsv").read_text().splitlines()
    columns = rows[0].split("\t")
    assert {"file", "input", "size", "sha256"} <= set(columns)
    return {row.split("\t")[0]: dict(zip(columns, row.split("\t"))) for row in rows[1:]}


def versions() -> tuple[int, int]:
    return midicoth.FORMAT_VERSION, midicoth.MODEL_VERSION


def pinned(manifest: dict[str, dict[str, str]]) -> list[str]:
    """The files of a manifest that its version pin covers: those made with
    explicit settings (level 0, and every file of a format without levels)."""
    return sorted(name for name, row in manifest.items() if row.get("level", "0") == "0")


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
    digest = golden_digest({name: files[name] for name in CASES if not CASES[name].level})
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
    for name, case in CASES.items():
        method = case.method
        if method is not None and not has_method(block_methods(files[name]), method):
            sys.exit(
                f"refused: {name} was meant to have a {method!r} block but has "
                f"{block_methods(files[name])}: change its input so that the analyser "
                "picks that method"
            )
    pins[versions()] = digest
    PINS.write_text(
        "\n".join(
            ["\t".join(PIN_COLUMNS)] + [f"{f}\t{m}\t{d}" for (f, m), d in sorted(pins.items())]
        )
        + "\n"
    )
    lines = ["\t".join(COLUMNS)]
    for name, case in CASES.items():
        (GOLDEN / name).write_bytes(files[name])
        data = INPUTS[case.input]()
        params = fmt.parse_stream_header(files[name])  # what a level chose, too
        modes = case.modes if case.modes is not None else midicoth.LEVELS[case.level].modes
        fields = (name, case.input, params.memory_mib, params.stages, case.block_size, modes)
        fields += (case.level, len(data))
        sha = hashlib.sha256(data).hexdigest()
        methods = ",".join(block_methods(files[name])) or "-"
        lines.append("\t".join(map(str, fields)) + f"\t{sha}\t{methods}")
    MANIFEST.write_text("\n".join(lines) + "\n")


def test_manifest_lists_every_case() -> None:
    assert sorted(read_manifest()) == sorted(CASES)
    assert tuple(MANIFEST.read_text().splitlines()[0].split("\t")) == COLUMNS


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_file_decodes_to_its_checksum(name: str) -> None:
    row = read_manifest()[name]
    packed = (GOLDEN / name).read_bytes()
    data = midicoth.decompress(packed)
    assert len(data) == int(row["size"])
    assert hashlib.sha256(data).hexdigest() == row["sha256"]
    assert data == INPUTS[row["input"]]()
    assert midicoth.decompress(packed, threads=2) == data
    assert (",".join(block_methods(packed)) or "-") == row["methods"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_compression_reproduces_golden_bytes(name: str) -> None:
    retuned = (
        " If midicoth.levels.LEVELS was retuned, regenerate (files made at a level are "
        "not pinned to the version)."
        if CASES[name].level
        else ""
    )
    assert make(name) == (GOLDEN / name).read_bytes(), (
        f"{name}: the compressed bytes changed. If the model or format changed on "
        "purpose, bump MODEL_VERSION / FORMAT_VERSION and regenerate (see module docstring)."
        + retuned
    )


@pytest.mark.parametrize("name", sorted(n for n, case in CASES.items() if case.method))
def test_golden_inputs_exercise_their_method(name: str) -> None:
    """The analyser still picks the method each method's input was made for."""
    method = CASES[name].method
    assert has_method(block_methods(make(name)), method)
    assert has_method(block_methods((GOLDEN / name).read_bytes()), method)


def test_golden_files_match_their_version_pin() -> None:
    """The golden bytes are those pinned for the current format and model
    versions: new output needs new version numbers, not just new files."""
    pins = read_pins()
    assert versions() in pins, (
        f"no golden pin for format/model version {versions()}: run "
        "python tests/test_format_golden.py --regenerate"
    )
    names = pinned(read_manifest())
    assert names == sorted(name for name, case in CASES.items() if not case.level)
    stored = {name: (GOLDEN / name).read_bytes() for name in names}
    assert golden_digest(stored) == pins[versions()], (
        "the golden files differ from those pinned for this format/model version: "
        "bump MODEL_VERSION or FORMAT_VERSION before regenerating"
    )


def test_golden_headers_carry_the_current_versions() -> None:
    manifest = read_manifest()
    for name, case in CASES.items():
        head = (GOLDEN / name).read_bytes()
        assert head[4] == midicoth.FORMAT_VERSION, name  # fixed place in every format version
        params = fmt.parse_stream_header(head)
        assert params.format_version == midicoth.FORMAT_VERSION, name
        assert params.model_version == midicoth.MODEL_VERSION, name
        assert params.level == case.level == int(manifest[name]["level"]), name
        assert (params.memory_mib, params.stages) == (
            int(manifest[name]["memory_mib"]),
            int(manifest[name]["stages"]),
        ), name


@pytest.mark.parametrize("name", LEVEL_CASES)
def test_golden_level_files_record_their_level(name: str) -> None:
    """A file made at a level records it: the header's level and ``midicoth
    info`` read it back; its stages and budget are the level's."""
    from click.testing import CliRunner

    from midicoth.cli import main

    level = CASES[name].level
    packed = (GOLDEN / name).read_bytes()
    params = fmt.parse_stream_header(packed)
    assert params.level == level
    size = int(read_manifest()[name]["size"])
    if make(name) == packed:  # the level table is still the one the file was made with
        assert params.stages == midicoth.LEVELS[level].stages
        assert params.memory_mib == midicoth.memory_for(level, size)
    done = CliRunner().invoke(main, ["info", str(GOLDEN / name)])
    assert done.exit_code == 0, done.output
    assert f"\n  level           {level}\n" in done.output


def test_golden_files_decode_in_pieces_and_concatenated() -> None:
    blobs = [(GOLDEN / name).read_bytes() for name in sorted(CASES)]
    blobs += [path.read_bytes() for kept in KEPT.values() for path in sorted(kept.glob("*.mdc"))]
    joined = b"".join(blobs)
    expected = b"".join(midicoth.decompress(blob) for blob in blobs)
    assert midicoth.decompress(joined) == expected
    # Piecewise, a new decompressor per stream, as a file reader does it.
    out, streams, dec = [], 0, midicoth.MidicothDecompressor()
    for i in range(0, len(joined), 97):
        piece = joined[i : i + 97]
        while piece:
            out.append(dec.decompress(piece, 50))
            piece = b""
            while not dec.needs_input and not dec.eof:
                out.append(dec.decompress(b"", 50))
            if dec.eof:
                streams += 1
                piece, dec = dec.unused_data, midicoth.MidicothDecompressor()
    assert streams == len(blobs)
    assert b"".join(out) == expected


# --- versions kept from earlier releases ---------------------------------------------


@pytest.mark.parametrize("pair", sorted(KEPT))
def test_kept_versions_match_their_pin(pair: tuple[int, int]) -> None:
    """The files of an older version are the ones that version pinned: they
    are what that release wrote, never regenerated."""
    directory = KEPT[pair]
    manifest = read_manifest(directory)
    assert sorted(manifest) == sorted(path.name for path in directory.glob("*.mdc"))
    stored = {name: (directory / name).read_bytes() for name in manifest}
    assert golden_digest({name: stored[name] for name in pinned(manifest)}) == read_pins()[pair]
    for name, packed in stored.items():
        params = fmt.parse_stream_header(packed)
        assert (params.format_version, params.model_version) == pair, name


@pytest.mark.parametrize(
    "pair, name",
    [(pair, name) for pair, directory in sorted(KEPT.items()) for name in read_manifest(directory)],
)
def test_kept_versions_still_decode(pair: tuple[int, int], name: str) -> None:
    row = read_manifest(KEPT[pair])[name]
    packed = (KEPT[pair] / name).read_bytes()
    for threads in (1, 2):
        data = midicoth.decompress(packed, threads=threads)
        assert len(data) == int(row["size"])
        assert hashlib.sha256(data).hexdigest() == row["sha256"]
    assert data == INPUTS[row["input"]]()
    dec = midicoth.MidicothDecompressor()
    out = [dec.decompress(packed[i : i + 7], 100) for i in range(0, len(packed), 7)]
    while not dec.eof:
        out.append(dec.decompress(b"", 100))
    assert b"".join(out) == data
    if "methods" in row:
        assert (",".join(block_methods(packed)) or "-") == row["methods"]
    else:  # format 2: every block plain
        assert set(block_methods(packed)) <= {"plain"}
    assert fmt.parse_stream_header(packed).level == int(row.get("level", 0))


def test_every_release_from_0_5_stays_decodable() -> None:
    """The policy of docs/FORMAT.md: every (format, model) pair that a
    release from 0.5.0 on wrote is read, and has golden files that decode
    (the kept directories above, the current pair in tests/golden/)."""
    current = (fmt.FORMAT_VERSION, _core.MODEL_VERSION)
    since_0_5 = {pair for pair in fmt.RELEASES if pair >= (2, 5)}
    assert current in since_0_5
    assert fmt.READ_VERSIONS == since_0_5 == set(KEPT) | {current}
    assert set(read_pins()) >= since_0_5


@pytest.mark.parametrize("pair", sorted(set(KEPT) | {(fmt.FORMAT_VERSION, _core.MODEL_VERSION)}))
def test_info_names_the_release_that_wrote_a_stream(pair: tuple[int, int]) -> None:
    from click.testing import CliRunner

    from midicoth.cli import main

    directory = KEPT.get(pair, GOLDEN)
    name = min(read_manifest(directory))
    done = CliRunner().invoke(main, ["info", str(directory / name)])
    assert done.exit_code == 0, done.output
    assert f"written by      midicoth {fmt.RELEASES[pair]}" in done.output
    if pair[0] < 4:  # no level recorded before format 4
        assert "\n  level           -\n" in done.output


def block_bodies(packed: bytes) -> list[bytes]:
    """The coded (or stored) bytes of every block of a one-stream file."""
    params, at = fmt.read_stream_header(packed)
    bodies = []
    while True:
        block, size = fmt.read_block_header(packed[at:], params)
        if block.end:
            return bodies
        bodies.append(packed[at + size : at + size + block.csize])
        at += size + block.csize


@pytest.mark.parametrize("name", sorted(read_manifest(KEPT[2, 5])))
def test_plain_method_codes_as_model_5(name: str) -> None:
    """Method 0 of this engine is model 5: compressing a format-2 golden
    file's input with ``modes=0`` gives the same coded blocks under the
    format-3 headers."""
    row = read_manifest(KEPT[2, 5])[name]
    packed = midicoth.compress(
        INPUTS[row["input"]](),
        memory_mib=int(row["memory_mib"]),
        stages=int(row["stages"]),
        block_size=int(row["block_size"]) or None,
        modes=0,
    )
    assert block_bodies(packed) == block_bodies((KEPT[2, 5] / name).read_bytes())


@pytest.mark.parametrize("name", sorted(read_manifest(KEPT[3, 6])))
def test_format_3_blocks_are_written_unchanged(name: str) -> None:
    """Format 4 changed the stream header alone: compressing a format-3
    golden file's input with its settings gives its blocks and end marker
    byte for byte, under a header that differs in the version (and records
    level 0). Where those settings are the default level's, the default
    call (no argument) writes the same blocks, and records that level."""
    row = read_manifest(KEPT[3, 6])[name]
    old = (KEPT[3, 6] / name).read_bytes()
    data = INPUTS[row["input"]]()
    settings = {
        "memory_mib": int(row["memory_mib"]),
        "stages": int(row["stages"]),
        "modes": int(row["modes"]),
    }
    block_size = int(row["block_size"]) or None
    packed = midicoth.compress(data, block_size=block_size, **settings)
    old_params, old_at = fmt.read_stream_header(old)
    params, at = fmt.read_stream_header(packed)
    assert packed[at:] == old[old_at:]
    assert params == old_params._replace(format_version=fmt.FORMAT_VERSION)
    default = midicoth.LEVELS[midicoth.DEFAULT_LEVEL]
    if settings == {
        "memory_mib": midicoth.memory_for(default, len(data)),
        "stages": default.stages,
        "modes": default.modes,
    }:
        plain = midicoth.compress(data, block_size=block_size)
        params, at = fmt.read_stream_header(plain)
        assert plain[at:] == old[old_at:]
        assert params == old_params._replace(
            format_version=fmt.FORMAT_VERSION, level=midicoth.DEFAULT_LEVEL
        )


if __name__ == "__main__":
    if sys.argv[1:] != ["--regenerate"]:
        sys.exit(__doc__)
    regenerate()
    print(f"wrote {len(CASES)} files and {MANIFEST.name} in {GOLDEN}")
