"""The cffi declarations (trawl/_cdef.py) against the C headers: cffi's
ABI mode lays out structs from the declarations alone, so a field added to
a header and not to the declarations would silently shift every field after
it. A C program compiled against include/trawl prints sizeof and offsetof
of every field of every struct the binding uses; they must equal cffi's."""

import os
import shutil
import subprocess

import pytest

from conftest import ROOT
from trawl._cdef import STRUCTS
from trawl._lib import ffi


def _fields(name):
    return [f for f, _ in ffi.typeof(name).fields]


def test_struct_layouts_match_headers(tmp_path):
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler: layout check skipped")
    lines = ["#include <stdio.h>", "#include <stddef.h>", "#include <trawl/trawl.h>",
             "int main(void) {"]
    want = []
    for s in STRUCTS:
        lines.append(f'printf("%zu\\n", sizeof({s}));')
        want.append(ffi.sizeof(s))
        for f in _fields(s):
            lines.append(f'printf("%zu\\n", offsetof({s}, {f}));')
            want.append(ffi.offsetof(s, f))
    lines.append("return 0; }")
    src = tmp_path / "layout.c"
    src.write_text("\n".join(lines))
    exe = tmp_path / "layout"
    subprocess.run([cc, "-std=c11", "-I", os.path.join(ROOT, "include"), str(src), "-o",
                    str(exe)], check=True)
    got = [int(x) for x in subprocess.run([str(exe)], check=True, capture_output=True,
                                           text=True).stdout.split()]
    assert got == want


def test_every_struct_is_checked():
    # the structs passed by value or pointer whose fields the binding reads
    for s in STRUCTS:
        assert ffi.sizeof(s) > 0
    assert "trawl_frame_unit" in STRUCTS and "trawl_match" in STRUCTS


def test_enums_match_headers(tmp_path):
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler")
    names = ["TRAWL_ESTATE", "TRAWL_ETRUNCATED", "TRAWL_FRAME_IO", "TRAWL_FRAME_SHORT_TAIL",
             "TRAWL_FUZZY_OP_DELETE", "TRAWL_SYNTAX_LITERAL", "TRAWL_FRAME_FAULT"]
    src = tmp_path / "enums.c"
    src.write_text("#include <stdio.h>\n#include <trawl/trawl.h>\nint main(void){"
                   + "".join(f'printf("%d\\n", (int){n});' for n in names) + "return 0;}")
    exe = tmp_path / "enums"
    subprocess.run([cc, "-I", os.path.join(ROOT, "include"), str(src), "-o", str(exe)],
                   check=True)
    got = [int(x) for x in subprocess.run([str(exe)], check=True, capture_output=True,
                                           text=True).stdout.split()]
    from trawl._lib import lib
    assert got == [getattr(lib, n) for n in names]
