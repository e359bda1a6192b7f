"""The exceptions of metaldb: one per status code of the C ABI, plus the binding's own."""

from __future__ import annotations

from typing import Dict, Optional, Type

from . import _ffi
from ._lib import lib


class Error(Exception):
    """A metaldb failure.

    Attributes:
        code: the C status code (an ``MDB_ERR_*`` value), or None for failures the binding
            detects itself (``ClosedError``, ``ForkedProcessError``).
        code_name: the name of the code, such as ``"MDB_ERR_BORROWED"``.
        message: the library's message for this failure, which says what failed and why.
    """

    code: Optional[int] = None
    code_name: str = "MDB_ERR_UNKNOWN"

    def __init__(self, message: str, *, code: Optional[int] = None, context: str = ""):
        self.message = message
        if code is not None:
            self.code = code
        self.context = context
        super().__init__(f"{context}: {message}" if context else message)

    def __str__(self) -> str:
        return str(self.args[0])


class InvalidArgumentError(Error, ValueError):
    """An argument was refused (an invalid index name, namespace or option); nothing was done."""

    code = _ffi.MDB_ERR_INVALID_ARGUMENT
    code_name = "MDB_ERR_INVALID_ARGUMENT"


class StorageError(Error, OSError):
    """RocksDB failed: I/O, a locked or damaged database, a full disk."""

    code = _ffi.MDB_ERR_STORAGE
    code_name = "MDB_ERR_STORAGE"

    def __init__(self, message: str, *, code: Optional[int] = None, context: str = ""):
        # OSError's own constructor would read a second argument as errno: keep one argument.
        Error.__init__(self, message, code=code, context=context)


class WrongIndexTypeError(Error, TypeError):
    """An index of another type exists at the address."""

    code = _ffi.MDB_ERR_WRONG_TYPE
    code_name = "MDB_ERR_WRONG_TYPE"


class BorrowedError(Error):
    """The index is in use in this fork: open elsewhere for writing, or being iterated."""

    code = _ffi.MDB_ERR_BORROWED
    code_name = "MDB_ERR_BORROWED"


class StaleHandleError(Error):
    """What the object was opened from was consumed (merged, rolled back, finished)."""

    code = _ffi.MDB_ERR_STALE_HANDLE
    code_name = "MDB_ERR_STALE_HANDLE"


class AbortedError(Error):
    """The migration was aborted through its abort handle; nothing of the step was written."""

    code = _ffi.MDB_ERR_ABORTED
    code_name = "MDB_ERR_ABORTED"


class PanicError(Error):
    """An internal error of the library; the objects of the family are unusable after it."""

    code = _ffi.MDB_ERR_PANIC
    code_name = "MDB_ERR_PANIC"


class PoisonedError(Error):
    """An earlier internal error left this fork, snapshot, patch or helper unusable."""

    code = _ffi.MDB_ERR_POISONED
    code_name = "MDB_ERR_POISONED"


class ReadOnlyError(Error):
    """A write through a snapshot, a patch or a read-only fork."""

    code = _ffi.MDB_ERR_READONLY
    code_name = "MDB_ERR_READONLY"


class OutOfRangeError(Error, IndexError):
    """A list position is out of range."""

    code = _ffi.MDB_ERR_OUT_OF_RANGE
    code_name = "MDB_ERR_OUT_OF_RANGE"


class IncompatibleVersionError(Error):
    """The database was written with an incompatible on-disk format."""

    code = _ffi.MDB_ERR_INCOMPATIBLE_VERSION
    code_name = "MDB_ERR_INCOMPATIBLE_VERSION"


class CorruptionError(Error):
    """A record metaldb wrote does not decode; the message names it."""

    code = _ffi.MDB_ERR_CORRUPTION
    code_name = "MDB_ERR_CORRUPTION"


class NotADatabaseError(Error):
    """The directory holds a RocksDB database that metaldb did not write."""

    code = _ffi.MDB_ERR_NOT_A_DATABASE
    code_name = "MDB_ERR_NOT_A_DATABASE"


class ConflictError(Error):
    """A merge was refused: its fork created an index that a fork merged since created with
    another type. The message names the index and both types; nothing was written."""

    code = _ffi.MDB_ERR_CONFLICT
    code_name = "MDB_ERR_CONFLICT"


class ClosedError(Error, ValueError):
    """The object was closed (or its database, fork or helper was). Raised before any C call."""

    code_name = "CLOSED"


class ForkedProcessError(Error, RuntimeError):
    """The object was made in a parent process: a forked child may not use it."""

    code_name = "FORKED_PROCESS"


#: The exception class of each status code the binding knows.
BY_CODE: Dict[int, Type[Error]] = {
    cls.code: cls
    for cls in (
        InvalidArgumentError, StorageError, WrongIndexTypeError, BorrowedError,
        StaleHandleError, AbortedError, PanicError, PoisonedError, ReadOnlyError,
        OutOfRangeError, IncompatibleVersionError, CorruptionError, NotADatabaseError,
        ConflictError,
    )
}


def from_status(status: int, message: str, context: str) -> Error:
    """The exception for a failed call; a code this binding does not know (from a newer
    library) is a plain ``Error``, with its code."""
    cls = BY_CODE.get(status)
    if cls is None:
        text = lib.mdb_status_str(status).decode("utf-8", "replace")
        error = Error(f"{message} ({text})" if message else text, code=status, context=context)
        error.code_name = f"MDB_ERR_{status}"
        return error
    return cls(message, context=context)
