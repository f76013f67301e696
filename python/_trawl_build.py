"""Generates _trawl_cffi, the out-of-line ABI-mode cffi module of the trawl
package: a pure-Python file holding the parsed declarations, so importing
trawl needs only cffi's backend (Debian: python3-cffi-backend), never a C
compiler or the cffi parser.

    python3 _trawl_build.py OUT.py      writes the module (used by CMake)
    pip install ./python                setup.py runs it through cffi_modules
"""

import os
import runpy
import sys

import cffi

_HERE = os.path.dirname(os.path.abspath(__file__))
# Read the declarations without importing the trawl package (which would
# need the module this script makes).
_decl = runpy.run_path(os.path.join(_HERE, "trawl", "_cdef.py"))

ffibuilder = cffi.FFI()
ffibuilder.cdef(_decl["CDEF"])
ffibuilder.cdef(_decl["LIBC_CDEF"])
ffibuilder.set_source("_trawl_cffi", None)

if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: _trawl_build.py OUT.py")
    os.makedirs(os.path.dirname(os.path.abspath(sys.argv[1])), exist_ok=True)
    ffibuilder.emit_python_code(sys.argv[1])
