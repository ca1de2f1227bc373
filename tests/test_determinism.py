"""Compressed bytes depend only on input and parameters: the C core built by
different compilers and with different optimisation flags (vectorised or
not, -march=native, FMA contraction allowed, internal asserts on), for a
32-bit target (other pointer and size_t widths, other struct layouts),
under user-mode emulation for a big-endian and an ARM machine, and for
Windows (MinGW-w64, run by Wine), writes identical bytes, and so does the
installed extension. The builds whose toolchain is not installed are
skipped."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from samples import SAMPLES

from corpora import synth
from midicoth import _core

ROOT = Path(__file__).resolve().parent.parent
CSRC = ROOT / "csrc"
DRIVER = ROOT / "tests" / "c" / "mdc_raw.c"

BUILDS = {
    "gcc-O0": ["gcc", "-O0"],
    "gcc-O3-native": ["gcc", "-O3", "-march=native", "-ffp-contract=fast", "-funroll-loops"],
    "gcc-O2-novec": ["gcc", "-O2", "-fno-tree-vectorize"],
    # the default clone alone, where the others dispatch to AVX2 at load time
    "gcc-O2-no-clones": ["gcc", "-O2", "-DMDC_NO_VECTOR_CLONES"],
    "gcc-debug-asserts": ["gcc", "-O1", "-DMDC_DEBUG"],
    "clang-O2": ["clang", "-O2"],
    "clang-O3-native": ["clang", "-O3", "-march=native", "-ffp-contract=fast"],
    "gcc-m32": ["gcc", "-m32", "-O2"],
    "s390x-big-endian": ["s390x-linux-gnu-gcc", "-static", "-O2"],
    "aarch64": ["aarch64-linux-gnu-gcc", "-static", "-O2"],
    "windows-mingw": ["x86_64-w64-mingw32-gcc", "-static", "-O2"],
}

# Builds for another machine run under QEMU's user-mode emulator or Wine
# (Debian: gcc-s390x-linux-gnu, gcc-aarch64-linux-gnu, qemu-user,
# gcc-mingw-w64-x86-64, wine).
EMULATORS = {
    "s390x-big-endian": "qemu-s390x",
    "aarch64": "qemu-aarch64",
    "windows-mingw": "wine",
}

INPUTS = {
    "text": synth.generate("text", 60000, 9),
    "random": SAMPLES["random"][:6000],
    "records": SAMPLES["binary_records"],
    "all256": SAMPLES["all256x8"],
    # one input for each structure model the analyser turns on
    "table": synth.generate("table", 30000),
    "numbers": synth.generate("numbers", 30000),
    "code": synth.generate("code", 30000),
}

PARAMS = [
    (16, _core.ALL_STAGES),
    (32, _core.STAGE_MATCH | _core.STAGE_TWEEDIE),
    (16, _core.STAGE_LEAN | _core.STAGE_MATCH),
]


def build(name: str, out_dir: Path) -> Path:
    cmd = BUILDS[name]
    for tool in (cmd[0], EMULATORS.get(name)):
        if tool and shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    # A compiler may be there without what it needs to link (gcc -m32
    # without gcc-multilib): a trivial program tells.
    probe = out_dir / "probe.c"
    probe.write_text("int main(void) { return 0; }\n")
    linked = subprocess.run(
        cmd + ["-o", str(out_dir / "probe.exe"), str(probe)], capture_output=True, check=False
    )
    if linked.returncode != 0:
        pytest.skip(f"{name}: the toolchain cannot link a program")
    exe = out_dir / f"{name}.exe"  # Wine wants the suffix; the other systems ignore it
    sources = [str(DRIVER)] + sorted(str(p) for p in CSRC.glob("*.c"))
    subprocess.run(
        cmd + ["-std=c99", f"-I{CSRC}", "-o", str(exe)] + sources + ["-lm"],
        check=True,
        capture_output=True,
    )
    return exe


@pytest.fixture(scope="module")
def extension_outputs() -> dict[tuple[str, int, int], bytes]:
    out = {}
    for key, data in INPUTS.items():
        for memory, stages in PARAMS:
            enc = _core.Encoder(memory_mib=memory, stages=stages)
            mode, period = _core.analyse(data, stages, _core.MODE_ALL)
            enc.set_mode(mode, period)
            coded = bytearray(data)
            if mode & _core.MODE_X86:
                _core.x86_encode(coded)
            out[key, memory, stages] = enc.compress(coded) + enc.end_segment()
    return out


@pytest.mark.skipif(os.name != "posix", reason="builds with a POSIX C toolchain")
@pytest.mark.parametrize("name", sorted(BUILDS))
def test_build_writes_identical_bytes(name: str, tmp_path: Path, extension_outputs) -> None:
    exe = build(name, tmp_path)
    emulator = [EMULATORS[name]] if name in EMULATORS else []
    for key, data in INPUTS.items():
        for memory, stages in PARAMS:
            run = subprocess.run(
                emulator + [str(exe), str(memory), str(stages)],
                input=data,
                capture_output=True,
                check=False,
                env={**os.environ, "WINEDEBUG": "-all"},
            )
            assert run.returncode == 0, run.stderr.decode()
            assert run.stdout == extension_outputs[key, memory, stages], (name, key)
