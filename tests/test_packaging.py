"""The release path: the sdist builds, installs and tests; the wheel is binary.

``test_sdist_builds_a_wheel_that_passes_the_tests`` follows a release the way
a user meets it, in one pass (under a minute, most of it compiling the core):

1. the tree is copied as a fresh clone has it (no build products) and the
   sdist built from the copy (``python -m build --sdist --no-isolation``: the
   test extra brings build, setuptools and Cython);
2. the sdist must hold everything that builds, tests and documents the
   package: the .pyx and .pyi, every file of csrc/, tests/ (its C harnesses
   and golden files too), corpora/ and bench/ (imported by the tests), docs/,
   README.md, CHANGELOG.md and LICENSE, and no generated C;
3. a wheel is built from the unpacked sdist, not from the checkout: it must
   hold the compiled core and no C or Cython source;
4. the wheel is installed into a fresh virtual environment (which sees the
   test environment's packages, for pytest, hypothesis and click), and some
   of the unpacked sdist's own tests run against it from an empty folder,
   where the checkout's ``midicoth/`` cannot be imported: the golden files,
   round trips through the installed command, and tar driving it.

The same path by hand, with build isolation and the whole suite, is in
docs/TESTING.md ("Packaging").
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import site
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# What a fresh clone does not have: build products and tool caches (.gitignore).
NOT_IN_A_CLONE = shutil.ignore_patterns(
    ".git",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    "*.py[cod]",
    "*.so",
    "*.pyd",
    "*.o",
    "_core.c",
    ".pytest_cache",
    ".hypothesis",
    ".benchmarks",
    ".ruff_cache",
    "bench-out",
    ".venv",
)

# Files that must be in the sdist whatever else the tree holds.
ESSENTIAL = [
    "PKG-INFO",
    "pyproject.toml",
    "setup.py",
    "MANIFEST.in",
    "README.md",
    "CHANGELOG.md",
    "LICENSE",
    "midicoth/_core.pyx",
    "midicoth/_core.pyi",
    "midicoth/py.typed",
    "csrc/midicoth.h",
    "tests/conftest.py",
    "tests/c/harness.h",
    "tests/golden/MANIFEST.tsv",
    "tests/golden/VERSIONS.tsv",
    "tests/golden/format-2/MANIFEST.tsv",
    "tests/golden/format-3/MANIFEST.tsv",
    "corpora/__init__.py",
    "corpora/MANIFEST.tsv",
    "bench/__init__.py",
    "docs/FORMAT.md",
]

# Every file these patterns find in the tree must be in the sdist too.
SHIPPED = [
    "midicoth/*.py",
    "csrc/*.c",
    "csrc/*.h",
    "tests/**/*",
    "corpora/**/*",
    "bench/**/*",
    "docs/**/*",
]

# The sdist's own tests run against the installed wheel.
INSTALLED_TESTS = [
    "tests/test_format_golden.py",
    "tests/test_roundtrip_fuzzing.py::test_process_round_trip",
    "tests/test_cli.py::test_subprocess_round_trip",
    "tests/test_ecosystem_tar.py",
]


def run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False, **kwargs)
    assert done.returncode == 0, f"{' '.join(cmd)}\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done


def build(what: str, source: Path, out: Path) -> Path:
    """``python -m build --<what> --no-isolation``: the one file it makes."""
    run(
        [sys.executable, "-m", "build", f"--{what}", "--no-isolation", "--outdir", str(out), "."],
        cwd=source,
    )
    (made,) = out.iterdir()
    return made


def site_dirs() -> list[str]:
    """The site-packages folders this interpreter imports from (a venv's, the base's, the user's)."""
    found = [*site.getsitepackages(), site.getusersitepackages(), *sys.path]
    dirs: list[str] = []
    for entry in found:
        path = Path(entry)
        known = path.name in ("site-packages", "dist-packages") and path.is_dir()
        if known and str(path) not in dirs:
            dirs.append(str(path))
    return dirs


def test_sdist_builds_a_wheel_that_passes_the_tests(tmp_path: Path) -> None:
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if os.name == "posix" and shutil.which(compiler) is None:
        pytest.skip(f"no C compiler ({compiler}) to build the extension with")
    for module in ("build", "Cython", "setuptools"):
        if importlib.util.find_spec(module) is None:
            pytest.fail(
                f"{module} is missing: the test extra installs it (pip install -e '.[test]')"
            )

    # 1. the sdist, from the tree as a fresh clone has it
    tree = tmp_path / "clone"
    shutil.copytree(ROOT, tree, ignore=NOT_IN_A_CLONE)
    expected = set(ESSENTIAL)
    for pattern in SHIPPED:
        expected |= {p.relative_to(tree).as_posix() for p in tree.glob(pattern) if p.is_file()}
    sdist = build("sdist", tree, tmp_path / "sdist")
    assert re.fullmatch(r"midicoth-[^-]+\.tar\.gz", sdist.name), sdist.name
    top = sdist.name[: -len(".tar.gz")]

    # 2. its members
    with tarfile.open(sdist) as tar:
        names = [m.name for m in tar.getmembers() if m.isfile()]
        pkg_info = tar.extractfile(f"{top}/PKG-INFO").read().decode()  # type: ignore[union-attr]
    assert all(n.startswith(f"{top}/") for n in names)
    members = {n[len(top) + 1 :] for n in names}
    missing = sorted(expected - members)
    assert not missing, f"the sdist lacks {missing}"
    generated = sorted(
        m
        for m in members
        if m == "midicoth/_core.c"
        or "__pycache__" in m
        or m.endswith((".so", ".pyd", ".pyc", ".o"))
    )
    assert not generated, f"the sdist holds build products: {generated}"
    assert "License-Expression: MIT" in pkg_info.splitlines()
    assert "License-File: LICENSE" in pkg_info.splitlines()

    # 3. a wheel from the unpacked sdist
    unpacked = tmp_path / "unpacked"
    with tarfile.open(sdist) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(unpacked, filter="data")
        else:  # Python < 3.10.12
            tar.extractall(unpacked)
    source = unpacked / top
    wheel = build("wheel", source, tmp_path / "wheel")
    with zipfile.ZipFile(wheel) as zf:
        files = set(zf.namelist())
    dist_info = f"{top}.dist-info"
    assert {name.split("/")[0] for name in files} == {"midicoth", dist_info}, sorted(files)
    sources = sorted(f for f in files if f.endswith((".c", ".h", ".pyx", ".pxd", ".cpp")))
    assert not sources, f"the wheel holds sources: {sources}"
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    assert f"midicoth/_core{suffix}" in files, sorted(files)
    package = {f"midicoth/{p.name}" for p in (source / "midicoth").glob("*.py")}
    package |= {"midicoth/py.typed", "midicoth/_core.pyi"}
    assert package <= files, sorted(package - files)
    assert f"{dist_info}/licenses/LICENSE" in files
    assert f"{dist_info}/entry_points.txt" in files

    # 4. installed into a fresh environment, tested by the sdist's own tests
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = str(bindir / ("python.exe" if os.name == "nt" else "python"))
    venv_site = run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
    ).stdout.strip()
    # after the venv's own folder: pytest, hypothesis, click from this environment
    # (a path in a .pth file does not run the .pth files it holds, such as an
    # editable install's)
    (Path(venv_site) / "test-environment.pth").write_text("\n".join(site_dirs()) + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PATH"] = str(bindir) + os.pathsep + env.get("PATH", "")
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    # --force-reinstall: the same version may be installed where the .pth points
    # (an editable install of the checkout); pip leaves that one alone
    install = [python, "-m", "pip", "install", "--no-index", "--no-deps", "--force-reinstall"]
    run([*install, str(wheel)], env=env)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = run(
        [
            python,
            "-c",
            "import midicoth, midicoth._core as c; print(midicoth.__file__); print(c.__file__)",
        ],
        cwd=elsewhere,
        env=env,
    ).stdout.split()
    assert all(Path(f).resolve().is_relative_to(Path(venv_site).resolve()) for f in where), where
    assert Path(shutil.which("midicoth", path=env["PATH"]) or "").parent == bindir

    tests = run(
        [
            python,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            *(str(source / t) for t in INSTALLED_TESTS),
        ],
        cwd=elsewhere,
        env=env,
    ).stdout
    print(tests[-800:])
    assert re.search(r"\d+ passed", tests), tests
