"""Builds the trawl package: runs _trawl_build.py through cffi (out-of-line
ABI mode: a generated pure-Python _trawl_cffi module, no C compiler) and,
when it finds the build tree's libtrawl.so (../build/lib, or the file named
by TRAWL_LIBRARY at install time), copies it into the package so the
installed package needs no library path.

    make && pip install --no-build-isolation ./python
"""

import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))


def _library():
    env = os.environ.get("TRAWL_LIBRARY")
    if env:
        return env
    cand = os.path.join(HERE, "..", "build", "lib", "libtrawl.so.0")
    return cand if os.path.exists(cand) else None


class BuildWithLibrary(build_py):
    def run(self):
        super().run()
        lib = _library()
        if lib:
            dest = os.path.join(self.build_lib, "trawl", "libtrawl.so.0")
            shutil.copyfile(os.path.realpath(lib), dest)
            self.announce(f"trawl: bundled {os.path.realpath(lib)}", level=2)
        else:
            self.announce("trawl: no build tree found; the package will load "
                          "libtrawl.so.0 from the system (make install)", level=2)


setup(cffi_modules=["_trawl_build.py:ffibuilder"], cmdclass={"build_py": BuildWithLibrary})
