"""metaldb: a persistent storage engine on RocksDB with typed indexes, forks and migrations.

This package calls libmetaldb's C ABI through ctypes. The quick start and the rules are in
the package's README; in short::

    import metaldb

    with metaldb.open("my.db") as db:
        with db.transaction() as fork:        # merged when the block ends normally
            fork.map("balances")[b"alice"] = b"100"
        with db.snapshot() as snapshot:
            print(snapshot.map("balances")[b"alice"])

Every object owns a C handle: close it (``close()`` or a ``with`` block), or closing what it
was opened from closes it. Objects left to the garbage collector are freed with a
ResourceWarning. Objects may be used from any thread; a forked child process may not use
its parent's objects (ForkedProcessError).
"""

from __future__ import annotations

from typing import FrozenSet

from . import _ffi, _lib
from ._access import Access, Fork, IndexType, Patch, Snapshot, View
from ._catalogue import CatalogueRecord
from ._database import Compression, Database, open, temporary
from ._errors import (
    AbortedError, BorrowedError, ClosedError, ConflictError, CorruptionError, Error,
    ForkedProcessError,
    IncompatibleVersionError, InvalidArgumentError, NotADatabaseError, OutOfRangeError,
    PanicError, PoisonedError, ReadOnlyError, StaleHandleError, StorageError,
    WrongIndexTypeError,
)
from ._indexes import Entry, Iterator, KeySet, ListIndex, MapIndex, SparseListIndex
from ._lib import path as library_path
from ._migration import AbortHandle, MigrationHelper, PersistentIters

__all__ = [
    "AbortHandle", "AbortedError", "Access", "BorrowedError", "CatalogueRecord", "ClosedError",
    "Compression",
    "ConflictError", "CorruptionError", "Database", "Entry", "Error", "Fork", "ForkedProcessError",
    "IncompatibleVersionError", "IndexType", "InvalidArgumentError", "Iterator", "KeySet",
    "ListIndex", "MapIndex", "MigrationHelper", "NotADatabaseError", "OutOfRangeError",
    "PanicError", "Patch", "PersistentIters", "PoisonedError", "ReadOnlyError", "Snapshot",
    "SparseListIndex", "StaleHandleError", "StorageError", "View", "WrongIndexTypeError",
    "features", "library_path", "library_version", "open", "temporary",
]

#: The version of the binding: the version of the header it was generated from.
__version__ = _ffi.METALDB_VERSION_STRING

#: The version of the loaded library, such as "1.0.0".
library_version: str = _lib.lib.mdb_version_str().decode()


def features() -> FrozenSet[str]:
    """The optional features built into the library, such as ``{"snappy"}``."""
    bits = _lib.lib.mdb_features()
    prefix = "MDB_FEATURE_"
    return frozenset(
        name[len(prefix):].lower()
        for name, bit in vars(_ffi).items()
        if name.startswith(prefix) and bits & bit
    )
