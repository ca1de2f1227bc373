"""What a benchmark runs on: corpus sets, single files, synthetic inputs.

A run names corpus sets (``canterbury``, ``calgary``, ... as in
``corpora/MANIFEST.tsv``), the pseudo-set ``synthetic`` (generated on the
spot by ``corpora.synth``), and/or single files (``set/name`` from the
manifest, or any path, which then belongs to the pseudo-set ``files``).
Files that are not on this machine are skipped with a note, so a run on a
machine without corpora still works on whatever it can find.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import corpora
from corpora.manifest import Reference

SYNTHETIC = "synthetic"
FILES = "files"
SYNTHETIC_SIZE = 1 << 17


@dataclass(frozen=True)
class Input:
    """One file to compress."""

    set: str
    name: str
    path: Path
    size: int
    sha256: str
    reference: Reference | None = None

    @property
    def key(self) -> str:
        return f"{self.set}/{self.name}"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def synthetic_inputs(folder: Path, size: int = SYNTHETIC_SIZE) -> list[Input]:
    """Write one synthetic input of each kind into `folder` and describe them."""
    folder.mkdir(parents=True, exist_ok=True)
    inputs = []
    for kind, data in corpora.synthetic_set(size).items():
        path = folder / kind
        path.write_bytes(data)
        inputs.append(Input(SYNTHETIC, kind, path, len(data), hashlib.sha256(data).hexdigest()))
    return inputs


def set_inputs(set_name: str) -> tuple[list[Input], list[str]]:
    """The files of a corpus set found here, and the keys of those missing."""
    refs = corpora.references()
    found: list[Input] = []
    missing: list[str] = []
    for located in corpora.locate_set(set_name):
        entry = located.entry
        if located.path is None:
            missing.append(entry.key)
            continue
        digest = entry.hex_digest if entry.hash_name == "sha256" else _sha256(located.path)
        found.append(
            Input(
                entry.set,
                entry.name,
                located.path,
                entry.size,
                digest,
                refs.get((entry.set, entry.name)),
            )
        )
    return found, missing


def file_input(spec: str) -> Input:
    """A single file: ``set/name`` of the manifest, or a path; FileNotFoundError if absent."""
    try:
        entry = corpora.lookup(spec)
    except KeyError:
        path = Path(spec)
        if not path.is_file():
            raise FileNotFoundError(f"{spec}: neither a file nor a corpus file of the manifest")
        return Input(FILES, path.name, path, path.stat().st_size, _sha256(path))
    path = corpora.locate(entry)
    if path is None:
        raise FileNotFoundError(f"{spec}: corpus file not found here (see corpora/README.md)")
    digest = entry.hex_digest if entry.hash_name == "sha256" else _sha256(path)
    return Input(
        entry.set,
        entry.name,
        path,
        entry.size,
        digest,
        corpora.references().get((entry.set, entry.name)),
    )


def gather(sets: list[str], files: list[str], scratch: Path) -> tuple[list[Input], list[str]]:
    """Every input of the named sets and files (in order), and notes on what is missing."""
    inputs: list[Input] = []
    notes: list[str] = []
    for name in sets:
        if name == SYNTHETIC:
            inputs.extend(synthetic_inputs(scratch / SYNTHETIC))
            continue
        found, missing = set_inputs(name)
        if not found:
            notes.append(
                f"set {name}: no file found (run `python -m corpora.download --set {name}` "
                f"or set {corpora.ENV_VAR})"
            )
        elif missing:
            notes.append(f"set {name}: {len(missing)} file(s) not found: {', '.join(missing)}")
        inputs.extend(found)
    for spec in files:
        inputs.append(file_input(spec))
    return inputs, notes


def known_sets() -> list[str]:
    """Names accepted by ``--set``."""
    return corpora.set_names() + [SYNTHETIC]
