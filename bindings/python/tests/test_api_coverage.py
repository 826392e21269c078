"""The wrappers cover the whole C API, so that a function added to include/sio.h cannot be
forgotten: each has a ctypes prototype in sio/_lib.py, each ``sio_options_*`` function is
called by sio/_options.py (a keyword option of ``Client``), and each is called by the C++
wrapper include/sio.hpp."""

import re
from pathlib import Path

from sio import _lib

ROOT = Path(__file__).resolve().parents[3]


def header_functions():
    text = (ROOT / "include" / "sio.h").read_text()
    code = re.sub(r"/\*.*?\*/|//[^\n]*", "", text, flags=re.S)  # the docs show calls too
    names = set(re.findall(r"\b(sio_\w+)\s*\(", code))
    assert {"sio_connect", "sio_emit", "sio_options_new"} <= names, "the header was parsed"
    return names


def called_in(path, names):
    text = path.read_text()
    return {n for n in names if re.search(rf"\b{n}\s*\(", text)}


def test_every_header_function_has_a_ctypes_prototype():
    functions = header_functions()
    assert sorted(functions - _lib._PROTOTYPES.keys()) == []
    assert sorted(_lib._PROTOTYPES.keys() - functions) == [], "prototypes of functions sio.h lacks"


def test_every_option_function_is_a_keyword_option():
    options = {n for n in header_functions() if n.startswith("sio_options_")}
    assert sorted(options - called_in(ROOT / "bindings/python/sio/_options.py", options)) == []


def test_every_header_function_is_called_by_the_cpp_wrapper():
    functions = header_functions()
    assert sorted(functions - called_in(ROOT / "include/sio.hpp", functions)) == []
