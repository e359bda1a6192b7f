"""Conversions between Python values and the C ABI's bytes."""

from __future__ import annotations

import ctypes
from typing import Optional, Tuple

from ._ffi import mdb_bytes
from ._lib import lib

#: What the binding accepts where the C ABI takes bytes.
BytesLike = (bytes, bytearray, memoryview)


def as_bytes(value: object, what: str) -> bytes:
    """`value` as bytes for a `const uint8_t *` argument; str is refused, not guessed at."""
    if type(value) is bytes:
        return value
    if isinstance(value, BytesLike):
        return bytes(value)
    raise TypeError(f"{what} must be bytes, not {type(value).__name__}")


def as_name(value: object, what: str) -> bytes:
    """An index name, prefix or namespace (a str) as the UTF-8 bytes the C ABI takes."""
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, not {type(value).__name__}")
    return value.encode("utf-8")


def as_group(group: object) -> Tuple[Optional[bytes], int]:
    """A group key as (pointer, length). None is the index outside any group (a NULL key);
    b"" is the group member whose key is empty, another index."""
    if group is None:
        return None, 0
    key = as_bytes(group, "a group key")
    return key, len(key)


def as_position(value: object, what: str = "a position") -> int:
    """A list position: an int from 0 to 2**64 - 1."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    if not 0 <= value < 1 << 64:
        raise OverflowError(f"{what} must be from 0 to 2**64 - 1, not {value}")
    return value


def take(out: mdb_bytes) -> bytes:
    """Copies the bytes the library handed over, and frees them."""
    try:
        return ctypes.string_at(out.data, out.len) if out.len else b""
    finally:
        lib.mdb_bytes_free(ctypes.byref(out))


def lent(pointer: ctypes.c_void_p, length: ctypes.c_size_t) -> bytes:
    """Copies bytes the library lends (valid until its next call on the same object)."""
    return ctypes.string_at(pointer.value or 0, length.value) if length.value else b""


def position_key(key: bytes) -> int:
    """The position of a list's iterator key: 8 big-endian bytes."""
    return int.from_bytes(key, "big")
