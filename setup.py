"""Build the native core: the C model in csrc/ behind a thin Cython skin."""

import glob
import sys

from Cython.Build import cythonize
from setuptools import Extension, setup

if sys.platform == "win32":
    compile_args = ["/O2"]
else:
    # -O2: -O3 and -march=native give the same bytes and code no faster
    # (CHANGELOG.md has the measurements).
    # -ffp-contract=off is belt and braces: the core uses no floating point
    # on any path that reaches the coder, so output does not depend on flags.
    # -fno-wrapv undoes the -fwrapv that CPython's own CFLAGS pass to every
    # extension: the core never overflows a signed integer (the sanitizer
    # tests check), and wrapping semantics slow its int-indexed loops. It
    # also makes the extension the same code as the plain C builds the
    # determinism test compares it with.
    # -fvisibility=hidden: the core and its Cython skin are one shared
    # object, so nothing but the module's init function needs exporting;
    # calls between the core's files then skip the PLT.
    compile_args = ["-O2", "-std=c99", "-ffp-contract=off", "-fno-wrapv", "-fvisibility=hidden"]

core = Extension(
    "midicoth._core",
    sources=["midicoth/_core.pyx"] + sorted(glob.glob("csrc/*.c")),
    # the headers: a change to one rebuilds the extension
    depends=sorted(glob.glob("csrc/*.h")),
    include_dirs=["csrc"],
    extra_compile_args=compile_args,
)

setup(ext_modules=cythonize([core], language_level=3))
