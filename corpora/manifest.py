"""The corpus manifest (MANIFEST.tsv) and the reference sizes (REFERENCE.tsv).

MANIFEST.tsv lists one corpus file a line: the set it belongs to, its name,
size, digest, the canonical public URL it is distributed at, the member of
that archive holding it, whether it is only a prefix of that member, and its
licence. REFERENCE.tsv lists, per file, the compressed size written by the
paper's reference program (``mdc_ref_bytes``) and by the best PPMd setting
found (``ppmd_best_bytes``), for comparison in the benchmark tables.

The digest column holds a SHA-256 in hex, or ``sha1:<hex>`` for the few
files whose SHA-256 is not recorded but whose SHA-1 is published.
"""

from __future__ import annotations

import csv
import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST_PATH = HERE / "MANIFEST.tsv"
REFERENCE_PATH = HERE / "REFERENCE.tsv"


@dataclass(frozen=True)
class CorpusFile:
    """One file of a standard corpus, as the manifest describes it."""

    set: str
    name: str
    size: int
    digest: str
    url: str
    member: str
    prefix: bool
    licence: str

    @property
    def key(self) -> str:
        """``set/name``, the file's name throughout the bench and tests."""
        return f"{self.set}/{self.name}"

    @property
    def hash_name(self) -> str:
        """The hashlib algorithm of :attr:`digest` (``sha256`` or ``sha1``)."""
        return self.digest.split(":", 1)[0] if ":" in self.digest else "sha256"

    @property
    def hex_digest(self) -> str:
        """:attr:`digest` without its algorithm prefix."""
        return self.digest.split(":", 1)[1] if ":" in self.digest else self.digest

    def check(self, data: bytes) -> bool:
        """True if `data` has this file's size and digest."""
        if len(data) != self.size:
            return False
        return hashlib.new(self.hash_name, data).hexdigest() == self.hex_digest

    def check_path(self, path: Path) -> bool:
        """True if the file at `path` has this file's size and digest (streamed)."""
        try:
            if path.stat().st_size != self.size:
                return False
        except OSError:
            return False
        h = hashlib.new(self.hash_name)
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest() == self.hex_digest


@dataclass(frozen=True)
class Reference:
    """Published compressed sizes of one corpus file (REFERENCE.tsv)."""

    mdc_ref_bytes: int | None
    ppmd_best_bytes: int | None
    ppmd_best_setting: str
    dict_best_bytes: int | None
    dict_best_codec: str


def _read_tsv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def _int_or_none(text: str) -> int | None:
    text = (text or "").strip()
    return int(text) if text else None


@functools.cache
def manifest() -> tuple[CorpusFile, ...]:
    """Every corpus file of MANIFEST.tsv, in manifest order."""
    return tuple(
        CorpusFile(
            set=row["set"],
            name=row["file"],
            size=int(row["bytes"]),
            digest=row["sha256"].lower(),
            url=row["url"],
            member=row["member"],
            prefix=row["prefix"].strip().lower() == "yes",
            licence=row["licence"],
        )
        for row in _read_tsv(MANIFEST_PATH)
    )


def set_names() -> list[str]:
    """The corpus sets, in manifest order."""
    seen: dict[str, None] = {}
    for entry in manifest():
        seen.setdefault(entry.set, None)
    return list(seen)


def set_files(set_name: str) -> list[CorpusFile]:
    """The manifest entries of one set; KeyError if the set is unknown."""
    files = [entry for entry in manifest() if entry.set == set_name]
    if not files:
        raise KeyError(f"unknown corpus set {set_name!r} (known: {', '.join(set_names())})")
    return files


def lookup(key: str) -> CorpusFile:
    """The manifest entry named ``set/name``; KeyError if there is none."""
    for entry in manifest():
        if entry.key == key:
            return entry
    raise KeyError(f"no corpus file {key!r} in the manifest")


@functools.cache
def references() -> dict[tuple[str, str], Reference]:
    """Reference sizes keyed by (set, file)."""
    table: dict[tuple[str, str], Reference] = {}
    for row in _read_tsv(REFERENCE_PATH):
        table[(row["set"], row["file"])] = Reference(
            mdc_ref_bytes=_int_or_none(row.get("mdc_ref_bytes", "")),
            ppmd_best_bytes=_int_or_none(row.get("ppmd_best_bytes", "")),
            ppmd_best_setting=row.get("ppmd_best_setting", ""),
            dict_best_bytes=_int_or_none(row.get("dict_best_bytes", "")),
            dict_best_codec=row.get("dict_best_codec", ""),
        )
    return table
