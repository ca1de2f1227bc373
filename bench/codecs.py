"""The codecs a benchmark compares, behind one small interface.

A codec is named ``family`` or ``family:setting``; without a setting the
family's default below is used, chosen as the setting a user comparing
ratios would reach for (the strongest ordinary level, not the fastest):

=========  ======================================  =========================
family     library                                 setting (default)
=========  ======================================  =========================
midicoth   this package (``midicoth.compress``)    memory budget in MiB
                                                   (the package's default)
zlib       stdlib ``zlib`` (= gzip)                level 0-9 (9)
bz2        stdlib ``bz2`` (= bzip2)                level 1-9 (9)
lzma       stdlib ``lzma`` (= xz)                  preset 0-9, ``e`` suffix
                                                   for extreme (9e)
zstd       ``zstandard``                           level 1-22 (19)
brotli     ``brotli``, 16 MiB window (``-w 24``)   quality 0-11 (11)
ppmd       ``pyppmd``, 256 MiB model memory       variant H or I and maximum
                                                   order 2-64 (I8)
=========  ======================================  =========================

PPMd defaults to variant I (PPMd8), the variant of most of the best PPMd
sizes in ``corpora/REFERENCE.tsv``; ``ppmd:H8`` is variant H (7-Zip's), with
an end mark. pyppmd 1.3.1's decoders are not reliable: variant I rejects its
own output for incompressible input (the synthetic ``random`` file) and
variant H for ``calgary/obj2``. The harness reports such a file as a failed
round trip of that codec, so a "failed" PPMd cell is pyppmd's, not a
measurement error.

Optional libraries that are not installed make their codec unavailable;
``python -m bench list`` shows which are.
"""

from __future__ import annotations

import importlib
import platform
from collections.abc import Callable
from dataclasses import dataclass

Transform = Callable[[bytes], bytes]

PPMD_MEMORY = 256 << 20
BROTLI_WINDOW = 24


@dataclass(frozen=True)
class Family:
    """A codec family: how to build its functions for a setting."""

    name: str
    module: str
    default: str
    describe: str
    needs: str = ""  # an attribute the module must have (a half-built package lacks it)

    def available(self) -> bool:
        try:
            module = importlib.import_module(self.module)
        except ImportError:
            return False
        return not self.needs or hasattr(module, self.needs)

    def version(self) -> str:
        return _version(self.name)


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in [
        Family("midicoth", "midicoth", "", "Midicoth (this package)", needs="compress"),
        Family("zlib", "zlib", "9", "zlib / gzip"),
        Family("bz2", "bz2", "9", "bzip2"),
        Family("lzma", "lzma", "9e", "xz (LZMA2)"),
        Family("zstd", "zstandard", "19", "Zstandard"),
        Family("brotli", "brotli", "11", "Brotli"),
        Family("ppmd", "pyppmd", "I8", "PPMd"),
    ]
}

DEFAULT_CODECS = ["midicoth", "zlib", "bz2", "lzma", "zstd", "brotli", "ppmd"]


@dataclass(frozen=True)
class Codec:
    """One codec at one setting."""

    family: str
    setting: str

    @property
    def name(self) -> str:
        """Short name used in tables, CSV and file names, e.g. ``zstd-19``."""
        return f"{self.family}-{self.setting}" if self.setting else self.family

    @property
    def spec(self) -> str:
        """The ``family:setting`` string this codec was parsed from."""
        return f"{self.family}:{self.setting}" if self.setting else self.family

    @property
    def label(self) -> str:
        """How a user would spell the setting on a command line."""
        return _LABELS[self.family](self.setting)

    def available(self) -> bool:
        return FAMILIES[self.family].available()

    def version(self) -> str:
        return FAMILIES[self.family].version()

    def functions(self) -> tuple[Transform, Transform]:
        """(compress, decompress) for this codec; ImportError if unavailable."""
        return _BUILDERS[self.family](self.setting)


def parse(spec: str) -> Codec:
    """A codec from ``family`` or ``family:setting``; ValueError if unknown or bad."""
    family, _, setting = spec.strip().partition(":")
    family = family.lower()
    if family not in FAMILIES:
        raise ValueError(f"unknown codec {family!r} (known: {', '.join(FAMILIES)})")
    setting = setting or FAMILIES[family].default
    _VALIDATORS[family](setting)
    if family == "ppmd":
        setting = "".join(_ppmd_setting(setting))
    return Codec(family, setting)


def _int_in(low: int, high: int, what: str) -> Callable[[str], None]:
    def check(setting: str) -> None:
        try:
            value = int(setting)
        except ValueError:
            raise ValueError(f"{what} must be an integer, not {setting!r}") from None
        if not low <= value <= high:
            raise ValueError(f"{what} must be in {low}..{high}, not {value}")

    return check


def _check_lzma(setting: str) -> None:
    _int_in(0, 9, "lzma preset")(setting.rstrip("e"))
    if setting.count("e") > 1:
        raise ValueError(f"bad lzma preset {setting!r}")


def _check_ppmd(setting: str) -> None:
    _int_in(2, 64, "ppmd order")(_ppmd_setting(setting)[1])


def _ppmd_setting(setting: str) -> tuple[str, str]:
    """(variant, order) of a ppmd setting such as ``H8``, ``I16`` or ``8`` (= H)."""
    if setting[:1].upper() in ("H", "I"):
        return setting[0].upper(), setting[1:]
    return "H", setting


def _check_midicoth(setting: str) -> None:
    if setting:
        _int_in(1, 1 << 20, "midicoth memory (MiB)")(setting)


_VALIDATORS: dict[str, Callable[[str], None]] = {
    "midicoth": _check_midicoth,
    "zlib": _int_in(0, 9, "zlib level"),
    "bz2": _int_in(1, 9, "bz2 level"),
    "lzma": _check_lzma,
    "zstd": _int_in(1, 22, "zstd level"),
    "brotli": _int_in(0, 11, "brotli quality"),
    "ppmd": _check_ppmd,
}

_LABELS: dict[str, Callable[[str], str]] = {
    "midicoth": lambda s: f"midicoth --memory {s}" if s else "midicoth (defaults)",
    "zlib": lambda s: f"gzip -{s}",
    "bz2": lambda s: f"bzip2 -{s}",
    "lzma": lambda s: f"xz -{s}",
    "zstd": lambda s: f"zstd -{s}" if int(s) <= 19 else f"zstd --ultra -{s}",
    "brotli": lambda s: f"brotli -q {s} -w {BROTLI_WINDOW}",
    "ppmd": lambda s: "PPMd var. {} -o{} -m{}M".format(*_ppmd_setting(s), PPMD_MEMORY >> 20),
}


def _midicoth(setting: str) -> tuple[Transform, Transform]:
    import midicoth

    if setting:
        memory = int(setting)
        return (lambda d: midicoth.compress(d, memory_mib=memory)), midicoth.decompress
    return midicoth.compress, midicoth.decompress


def _zlib(setting: str) -> tuple[Transform, Transform]:
    import zlib

    level = int(setting)
    return (lambda d: zlib.compress(d, level)), zlib.decompress


def _bz2(setting: str) -> tuple[Transform, Transform]:
    import bz2

    level = int(setting)
    return (lambda d: bz2.compress(d, level)), bz2.decompress


def _lzma(setting: str) -> tuple[Transform, Transform]:
    import lzma

    preset = int(setting.rstrip("e")) | (lzma.PRESET_EXTREME if setting.endswith("e") else 0)
    return (lambda d: lzma.compress(d, preset=preset)), lzma.decompress


def _zstd(setting: str) -> tuple[Transform, Transform]:
    import zstandard

    compressor = zstandard.ZstdCompressor(level=int(setting))
    decompressor = zstandard.ZstdDecompressor()
    return compressor.compress, decompressor.decompress


def _brotli(setting: str) -> tuple[Transform, Transform]:
    import brotli

    quality = int(setting)
    return (lambda d: brotli.compress(d, quality=quality, lgwin=BROTLI_WINDOW)), brotli.decompress


def _ppmd(setting: str) -> tuple[Transform, Transform]:
    import pyppmd

    variant, order_text = _ppmd_setting(setting)
    order = int(order_text)
    if variant == "I":
        return (
            lambda d: pyppmd.compress(d, max_order=order, mem_size=PPMD_MEMORY, variant="I"),
            lambda d: pyppmd.decompress(d, max_order=order, mem_size=PPMD_MEMORY, variant="I"),
        )

    def compress(data: bytes) -> bytes:
        encoder = pyppmd.Ppmd7Encoder(order, PPMD_MEMORY)
        return encoder.encode(data) + encoder.flush(endmark=True)

    def decompress(data: bytes) -> bytes:
        return pyppmd.Ppmd7Decoder(order, PPMD_MEMORY).decode(data, -1)

    return compress, decompress


_BUILDERS: dict[str, Callable[[str], tuple[Transform, Transform]]] = {
    "midicoth": _midicoth,
    "zlib": _zlib,
    "bz2": _bz2,
    "lzma": _lzma,
    "zstd": _zstd,
    "brotli": _brotli,
    "ppmd": _ppmd,
}


def _version(family: str) -> str:
    """The version of the library behind a family, or '' if it is not installed."""
    try:
        if family == "zlib":
            import zlib

            return f"zlib {zlib.ZLIB_RUNTIME_VERSION}"
        if family == "bz2":
            return f"bz2 (Python {platform.python_version()})"
        if family == "lzma":
            return f"liblzma (Python {platform.python_version()})"
        if family == "midicoth":
            import midicoth

            version = getattr(midicoth, "__version__", "?")
            core = importlib.import_module("midicoth._core")
            return f"midicoth {version}, model {getattr(core, 'MODEL_VERSION', '?')}"
        module = importlib.import_module(FAMILIES[family].module)
        version = getattr(module, "__version__", None) or getattr(module, "version", "?")
        return f"{FAMILIES[family].module} {version}"
    except ImportError:
        return ""


def available_codecs(specs: list[str]) -> tuple[list[Codec], list[str]]:
    """Parse `specs`; return the available codecs and the names of the missing ones."""
    chosen: list[Codec] = []
    missing: list[str] = []
    for spec in specs:
        codec = parse(spec)
        if codec in chosen:
            continue
        if codec.available():
            chosen.append(codec)
        else:
            missing.append(codec.name)
    return chosen, missing
