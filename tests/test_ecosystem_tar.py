"""``midicoth`` as tar's compress program, driven by the real ``tar`` binary.

tar runs the program with no arguments to compress stdin to stdout and with
``-d`` to decompress; these tests need ``tar`` and the installed ``midicoth``
command on PATH and skip otherwise.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

import midicoth

TAR = shutil.which("tar")
MIDICOTH = shutil.which("midicoth")

pytestmark = pytest.mark.skipif(
    TAR is None or MIDICOTH is None,
    reason="needs tar and the installed midicoth command on PATH (pip install puts it there)",
)


def _tar(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    assert TAR is not None
    return subprocess.run([TAR, *args], cwd=cwd, capture_output=True, timeout=120, check=check)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A small directory tree: text, binary, empty and nested files."""
    root = tmp_path / "src" / "data"
    (root / "nested" / "deeper").mkdir(parents=True)
    (root / "readme.txt").write_text("Midicoth through tar.\n" * 200, encoding="utf-8")
    (root / "nested" / "random.bin").write_bytes(os.urandom(5000))
    (root / "nested" / "empty").write_bytes(b"")
    (root / "nested" / "deeper" / "table.csv").write_text(
        "".join(f"{i},{i * i}\n" for i in range(500)), encoding="ascii"
    )
    return tmp_path / "src"


def _contents(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_tar_create_and_extract(tree: Path, tmp_path: Path) -> None:
    archive = tmp_path / "data.tar.mdc"
    _tar("--use-compress-program=midicoth", "-cf", str(archive), "data", cwd=tree)
    # the archive is one Midicoth stream holding a tar archive
    packed = archive.read_bytes()
    with tarfile.open(fileobj=io.BytesIO(midicoth.decompress(packed))) as inner:
        assert "data/nested/deeper/table.csv" in inner.getnames()
    out = tmp_path / "out"
    out.mkdir()
    _tar("--use-compress-program=midicoth", "-xf", str(archive), cwd=out)
    assert _contents(out / "data") == _contents(tree / "data")


def test_tar_short_option_and_listing(tree: Path, tmp_path: Path) -> None:
    archive = tmp_path / "data.tar.mdc"
    _tar("-I", "midicoth", "-cf", str(archive), "data", cwd=tree)
    listing = _tar("-I", "midicoth", "-tf", str(archive), cwd=tmp_path).stdout.decode()
    assert "data/readme.txt" in listing.split()
    assert "data/nested/random.bin" in listing.split()


def test_tar_reports_a_damaged_archive(tree: Path, tmp_path: Path) -> None:
    archive = tmp_path / "data.tar.mdc"
    _tar("--use-compress-program=midicoth", "-cf", str(archive), "data", cwd=tree)
    damaged = bytearray(archive.read_bytes())
    damaged[len(damaged) // 2] ^= 0x55
    archive.write_bytes(bytes(damaged))
    out = tmp_path / "out"
    out.mkdir()
    run = _tar("--use-compress-program=midicoth", "-xf", str(archive), cwd=out, check=False)
    assert run.returncode != 0
    assert b"midicoth" in run.stderr  # our one-line error reaches the user through tar
