"""Build the native core: the C model in csrc/ behind a thin Cython skin."""

import glob
import sys

from Cython.Build import cythonize
from setuptools import Extension, setup

if sys.platform == "win32":
    compile_args = ["/O2"]
else:
    # -ffp-contract=off is belt and braces: the core uses no floating point
    # on any path that reaches the coder, so output does not depend on flags.
    compile_args = ["-O2", "-std=c99", "-ffp-contract=off"]

core = Extension(
    "midicoth._core",
    sources=["midicoth/_core.pyx"] + sorted(glob.glob("csrc/*.c")),
    include_dirs=["csrc"],
    extra_compile_args=compile_args,
)

setup(ext_modules=cythonize([core], language_level=3))
