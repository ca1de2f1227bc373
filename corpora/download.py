"""Download the standard corpora and verify every file's digest.

Usage, from the repository root::

    python -m corpora.download                  # every set but enwik_full
    python -m corpora.download --set canterbury --set calgary
    python -m corpora.download --file enwik_full/enwik8
    python -m corpora.download --list           # what is where
    python -m corpora.download --check          # verify what is already here

Files go to the download cache (``~/.cache/midicoth/corpora`` unless
``XDG_CACHE_HOME`` says otherwise) or to ``--dest``; the resolver in
``corpora.resolve`` finds them there. Each archive named in MANIFEST.tsv is
fetched once, the needed members are streamed out of it (for prefixes, only
their first bytes), each file is checked against the manifest's size and
digest before it is moved into place, and the archive is deleted unless
``--keep-archives``. Archives are zip files (``.zip``, and Python wheels,
``.whl``) or tar files (``.tar``, ``.tar.gz``/``.tgz``, ``.tar.bz2``,
``.tar.xz``); a row without a member is the downloaded file itself. A file
already present and correct is not fetched again.
Exit status: 0 when every requested file is in place and verified, 1 if any
failed, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import sys
import tarfile
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO

if __package__ in (None, ""):  # run as a script: python corpora/download.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "corpora"

from corpora.manifest import CorpusFile, lookup, manifest, set_files, set_names
from corpora.resolve import cache_dir, locate, search_roots

DEFAULT_EXCLUDED_SETS = ("enwik_full",)
CHUNK = 1 << 20

Log = Callable[[str], None]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _fetch_url(url: str, target: Path, log: Log) -> None:
    """Stream `url` to `target`, reporting progress now and then."""
    tmp = target.with_name(target.name + ".part")
    with urllib.request.urlopen(url, timeout=60) as response, open(tmp, "wb") as out:
        total = int(response.headers.get("Content-Length") or 0)
        done = 0
        next_report = 0
        while True:
            chunk = response.read(CHUNK)
            if not chunk:
                break
            out.write(chunk)
            done += len(chunk)
            if done >= next_report:
                share = f" ({100 * done // total}%)" if total else ""
                log(f"  {url}: {done / 1e6:.1f} MB{share}")
                next_report = done + 16 * CHUNK
    os.replace(tmp, target)


def _archive_name(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


@contextlib.contextmanager
def _open_member(archive: Path, url: str, member: str) -> Iterator[IO[bytes]]:
    """A binary stream of `member` in `archive` (the archive itself if no member)."""
    name = _archive_name(url).lower()
    if not member:
        with open(archive, "rb") as fh:
            yield fh
    elif name.endswith((".zip", ".whl")):  # a wheel is a zip archive
        with zipfile.ZipFile(archive) as zf, zf.open(_pick_member(zf.namelist(), member)) as fh:
            yield fh
    elif name.endswith((".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tar.xz")):
        with tarfile.open(archive) as tf:
            names = [m.name for m in tf.getmembers() if m.isfile()]
            stream = tf.extractfile(_pick_member(names, member))
            if stream is None:
                raise FileNotFoundError(f"{member} in {archive.name} is not a regular file")
            with stream:
                yield stream
    else:
        raise ValueError(f"don't know how to open archive {archive.name}")


def _pick_member(names: Sequence[str], member: str) -> str:
    """The archive member called `member`, or the only one with that base name."""
    if member in names:
        return member
    matches = [n for n in names if n.rstrip("/").rsplit("/", 1)[-1] == member]
    if len(matches) == 1:
        return matches[0]
    raise FileNotFoundError(f"archive has {len(matches)} members named {member!r}")


def _install(entry: CorpusFile, source: IO[bytes], dest: Path) -> str | None:
    """Copy (a prefix of) `source` to dest/set/name if it verifies; else an error."""
    folder = dest / entry.set
    folder.mkdir(parents=True, exist_ok=True)
    h = hashlib.new(entry.hash_name)
    remaining = entry.size if entry.prefix else None
    written = 0
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{entry.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            while remaining is None or remaining > 0:
                chunk = source.read(CHUNK if remaining is None else min(CHUNK, remaining))
                if not chunk:
                    break
                out.write(chunk)
                h.update(chunk)
                written += len(chunk)
                if remaining is not None:
                    remaining -= len(chunk)
        if written != entry.size:
            return f"{entry.key}: got {written} bytes, manifest says {entry.size}"
        if h.hexdigest() != entry.hex_digest:
            return f"{entry.key}: {entry.hash_name} {h.hexdigest()} != manifest {entry.hex_digest}"
        os.replace(tmp, folder / entry.name)
        return None
    finally:
        if tmp.exists():
            tmp.unlink()


def _group_by_url(entries: Sequence[CorpusFile]) -> dict[str, list[CorpusFile]]:
    groups: dict[str, list[CorpusFile]] = {}
    for entry in entries:
        groups.setdefault(entry.url, []).append(entry)
    return groups


def fetch(
    entries: Sequence[CorpusFile],
    dest: Path,
    *,
    keep_archives: bool = False,
    log: Log = _stderr,
) -> list[str]:
    """Put every entry, verified, under dest/<set>/<name>; return the errors."""
    errors: list[str] = []
    archives = dest / ".archives"
    for url, group in _group_by_url(entries).items():
        missing = [e for e in group if not e.check_path(dest / e.set / e.name)]
        for entry in group:
            if entry not in missing:
                log(f"ok      {entry.key} (already verified)")
        if not missing:
            continue
        archives.mkdir(parents=True, exist_ok=True)
        archive = archives / _archive_name(url)
        try:
            if not archive.exists():
                log(f"fetch   {url}")
                _fetch_url(url, archive, log)
            for entry in missing:
                with _open_member(archive, url, entry.member) as source:
                    error = _install(entry, source, dest)
                if error:
                    errors.append(error)
                    log(f"FAILED  {error}")
                else:
                    log(f"ok      {entry.key}")
        except (OSError, ValueError, tarfile.TarError, zipfile.BadZipFile) as exc:
            for entry in missing:
                errors.append(f"{entry.key}: {url}: {exc}")
            log(f"FAILED  {url}: {exc}")
        finally:
            if not keep_archives and archive.exists():
                archive.unlink()
    if archives.exists() and not any(archives.iterdir()):
        archives.rmdir()
    return errors


def _select(sets: Sequence[str], files: Sequence[str]) -> list[CorpusFile]:
    if not sets and not files:
        return [e for e in manifest() if e.set not in DEFAULT_EXCLUDED_SETS]
    chosen: list[CorpusFile] = []
    for name in sets:
        chosen.extend(set_files(name))
    for key in files:
        chosen.append(lookup(key))
    unique: dict[str, CorpusFile] = {e.key: e for e in chosen}
    return list(unique.values())


def _iter_listing(entries: Sequence[CorpusFile]) -> Iterator[str]:
    yield "roots searched: " + ", ".join(str(p) for p in search_roots())
    for entry in entries:
        path = locate(entry)
        where = str(path) if path else "missing"
        yield f"{entry.key:60s} {entry.size:>12,d}  {where}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m corpora.download",
        description="Download the standard corpora and verify their digests.",
    )
    parser.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="NAME",
        help=f"a corpus set (repeatable); one of {', '.join(set_names())}",
    )
    parser.add_argument(
        "--file",
        dest="files",
        action="append",
        default=[],
        metavar="SET/NAME",
        help="one corpus file (repeatable)",
    )
    parser.add_argument(
        "--dest",
        type=Path,
        default=None,
        help=f"target folder (default: the download cache, {cache_dir()})",
    )
    parser.add_argument(
        "--keep-archives",
        action="store_true",
        help="keep the downloaded archives in DEST/.archives",
    )
    parser.add_argument(
        "--list",
        action="store_true",
        help="show where each selected file is found, download nothing",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="verify the digests of the files found, download nothing",
    )
    args = parser.parse_args(argv)
    try:
        entries = _select(args.sets, args.files)
    except KeyError as exc:
        parser.error(str(exc.args[0]))
    if args.list:
        for line in _iter_listing(entries):
            print(line)
        return 0
    if args.check:
        bad = 0
        for entry in entries:
            path = locate(entry)
            if path is None:
                print(f"missing {entry.key}")
                continue
            good = entry.check_path(path)
            bad += not good
            print(f"{'ok     ' if good else 'BAD    '} {entry.key}")
        return 1 if bad else 0
    dest = args.dest if args.dest is not None else cache_dir()
    errors = fetch(entries, dest, keep_archives=args.keep_archives)
    if errors:
        _stderr(f"{len(errors)} file(s) failed:")
        for error in errors:
            _stderr(f"  {error}")
        return 1
    _stderr(f"{len(entries)} file(s) in place under {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
