"""Finds and loads libmetaldb, checks its version and declares its functions to ctypes."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from . import _ffi

#: The major version of the C ABI this binding is written for (the header's).
SUPPORTED_MAJOR = _ffi.METALDB_VERSION_MAJOR

#: Where a wheel bundles the library, next to this module.
BUNDLED = Path(__file__).resolve().parent / "_native" / (
    "libmetaldb.dylib" if sys.platform == "darwin" else "libmetaldb.so"
)

#: Functions of the header that the binding deliberately does not call, and why. A test fails
#: when a function of the header is neither called by the package nor listed here.
UNWRAPPED = {
    "mdb_abort_handle_free": "freeing an abort handle aborts its migration; Python releases "
    "abort handles with mdb_abort_handle_forget (close never aborts; abort() is explicit)",
    "mdb_last_error_copy": "the binding copies mdb_last_error_message's string at once, on the "
    "thread of the failed call, which is what this copy function is for",
    "mdb_fault_injection_arm_panic": "test-only, absent from shipped libraries",
}


def _version_text(number: int) -> str:
    return f"{number // 1_000_000}.{number // 1_000 % 1_000}.{number % 1_000}"


def _locate() -> tuple[str, str]:
    """The library to load and where it was found: METALDB_LIBRARY, the wheel, the system."""
    explicit = os.environ.get("METALDB_LIBRARY")
    if explicit:
        return explicit, "METALDB_LIBRARY"
    if BUNDLED.exists():
        return str(BUNDLED), "the copy bundled with the package"
    found = ctypes.util.find_library("metaldb")
    if found:
        return found, "the system (ctypes.util.find_library)"
    raise ImportError(
        "metaldb: cannot find libmetaldb: set METALDB_LIBRARY to its path, install a wheel "
        "that bundles it, or install it where the dynamic linker finds it"
    )


def _load() -> tuple[SimpleNamespace, str, int]:
    path, origin = _locate()
    try:
        cdll = ctypes.CDLL(path)
    except OSError as err:
        raise ImportError(f"metaldb: cannot load {path} (from {origin}): {err}") from err
    try:
        version_number = cdll.mdb_version_number
    except AttributeError:
        raise ImportError(f"metaldb: {path} (from {origin}) is not libmetaldb") from None
    version_number.restype = ctypes.c_uint32
    version_number.argtypes = ()
    number = int(version_number())
    if number // 1_000_000 != SUPPORTED_MAJOR:
        raise ImportError(
            f"metaldb: {path} (from {origin}) is libmetaldb {_version_text(number)}, but this "
            f"binding supports major version {SUPPORTED_MAJOR} "
            f"(it was generated from metaldb.h {_ffi.METALDB_VERSION_STRING})"
        )
    functions: dict[str, Any] = {}
    missing = []
    for name, spec in _ffi.FUNCTIONS.items():
        try:
            function = getattr(cdll, name)
        except AttributeError:
            if spec.condition is None:
                missing.append(name)
            continue
        function.restype = spec.restype
        function.argtypes = spec.argtypes
        functions[name] = function
    if missing:
        raise ImportError(
            f"metaldb: {path} (from {origin}) is libmetaldb {_version_text(number)}, which lacks "
            f"{', '.join(missing)} of metaldb.h {_ffi.METALDB_VERSION_STRING}: install a "
            "library at least as new as the binding"
        )
    return SimpleNamespace(**functions), path, number


#: The library's functions, with their ctypes signatures.
lib, path, version_number = _load()
