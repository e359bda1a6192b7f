"""Opening databases, and the Database object."""

from __future__ import annotations

import contextlib
import enum
import os
from ctypes import POINTER, byref, sizeof
from typing import Any, Generator, List, Optional, Union

from . import _catalogue, _ffi
from ._access import Fork, Patch, Snapshot
from ._catalogue import CatalogueRecord
from ._handle import Handle, call
from ._lib import lib
from ._migration import MigrationHelper

PathLike = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]


class Compression(enum.IntEnum):
    """Compression of the database's files (of column families this process creates)."""

    NONE = _ffi.MDB_COMPRESSION_NONE
    SNAPPY = _ffi.MDB_COMPRESSION_SNAPPY
    LZ4 = _ffi.MDB_COMPRESSION_LZ4
    LZ4HC = _ffi.MDB_COMPRESSION_LZ4HC
    ZLIB = _ffi.MDB_COMPRESSION_ZLIB
    ZSTD = _ffi.MDB_COMPRESSION_ZSTD
    BZIP2 = _ffi.MDB_COMPRESSION_BZIP2


def _compression(value: Union[Compression, str, None]) -> Optional[int]:
    if value is None:
        return None
    if isinstance(value, Compression):
        return int(value)
    if isinstance(value, str):
        try:
            return int(Compression[value.upper()])
        except KeyError:
            names = ", ".join(repr(c.name.lower()) for c in Compression)
            raise ValueError(f"unknown compression {value!r}: use one of {names}") from None
    raise TypeError(f"compression must be a Compression, a str or None, not "
                    f"{type(value).__name__}")


def _encode_path(path: PathLike) -> bytes:
    encoded = os.fsencode(path)
    if b"\0" in encoded:
        raise ValueError(f"a database path may not contain NUL: {path!r}")
    return encoded


def open(path: PathLike, *, compression: Union[Compression, str, None] = None,
         create_if_missing: bool = True, max_open_files: Optional[int] = None,
         max_total_wal_size: Optional[int] = None,
         max_cache_size: Optional[int] = None, read_only: bool = False) -> "Database":
    """Opens the database in the directory `path`, creating it if it is missing (unless
    `create_if_missing` is false or `read_only` true).

    Args:
        compression: a `Compression` or its name (``"snappy"``), for the files of indexes this
            process creates; None keeps the library's default (none).
        max_open_files: the most files RocksDB keeps open; None or 0 for no limit.
        max_total_wal_size: the largest total size of the write-ahead logs, in bytes; None lets
            RocksDB choose.
        max_cache_size: the size of a row cache in bytes; None for no cache.
        read_only: open in RocksDB's read-only mode. No lock is taken, so this works while
            another process has the database open for writing, and the database is seen as it
            was when opened. Merges (committing a transaction) and `checkpoint` raise
            StorageError: a checkpoint would leave out the writer's write-ahead log.

    Raises StorageError (an OSError) if the database cannot be opened (missing, locked by
    another process, damaged), NotADatabaseError, IncompatibleVersionError, CorruptionError.
    """
    encoded = _encode_path(path)
    options = _ffi.mdb_db_options()
    # The struct's size as the generated declaration has it: a library of another 1.x minor
    # version reads (or zero-fills) what it knows of it.
    call(lib.mdb_db_options_init, byref(options), sizeof(options),
         context=lambda: "the default database options")
    options.create_if_missing = bool(create_if_missing)
    code = _compression(compression)
    if code is not None:
        options.compression = code
    if max_open_files is not None:
        options.max_open_files = max_open_files
    if max_total_wal_size is not None:
        options.max_total_wal_size = max_total_wal_size
    if max_cache_size is not None:
        options.max_cache_size = max_cache_size
    options.read_only = bool(read_only)
    out = POINTER(_ffi.mdb_db)()
    call(lib.mdb_db_open, encoded, byref(options), byref(out),
         context=lambda: f"opening the database {os.fsdecode(encoded)!r}")
    return Database(out, os.fsdecode(encoded))


def temporary() -> "Database":
    """A new, empty database in memory, gone when it is closed. For tests."""
    out = POINTER(_ffi.mdb_db)()
    call(lib.mdb_db_open_temporary, byref(out), context=lambda: "a temporary database")
    return Database(out, None)


class Database(Handle):
    """An open database. Thread-safe: any thread may use it, concurrently.

    Closing it closes every fork, snapshot, patch and migration helper made from it (and their
    indexes and iterators); use it as a context manager.
    """

    _kind = "database"

    def __init__(self, ptr: Any, path: Optional[str]):
        #: The directory of the database, or None for a temporary one.
        self.path = path
        super().__init__(ptr, lib.mdb_db_free, None)

    def _describe(self) -> str:
        return "temporary database" if self.path is None else f"database {self.path!r}"

    def fork(self) -> Fork:
        """A fork of the current state, to write in; merge it with `merge`."""
        out = POINTER(_ffi.mdb_fork)()
        self._call(lib.mdb_fork_new, byref(out))
        return Fork(out, self)

    def snapshot(self) -> Snapshot:
        """An isolated, read-only view of the current state."""
        out = POINTER(_ffi.mdb_snapshot)()
        self._call(lib.mdb_snapshot_new, byref(out))
        return Snapshot(out, self)

    def merge(self, changes: Union[Patch, Fork], sync: bool = False) -> None:
        """Applies a patch (or a fork, turned into its patch) to the database atomically.
        With `sync`, returns once the changes are durable on disk.

        The patch is consumed and closed whatever the result; a fork is consumed (its indexes
        become stale) but left for you to close. StorageError if the write failed: then
        nothing of the patch was written.
        """
        if isinstance(changes, Fork):
            changes = changes.into_patch()
        elif not isinstance(changes, Patch):
            raise TypeError(f"merge takes a Patch or a Fork, not {type(changes).__name__}")
        function = lib.mdb_db_merge_sync if sync else lib.mdb_db_merge
        try:
            patch = changes._enter()
            try:
                self._call(function, patch)
            finally:
                changes._leave()
        finally:
            changes.close()

    @contextlib.contextmanager
    def transaction(self, sync: bool = False) -> Generator[Fork, None, None]:
        """``with db.transaction() as fork:`` gives a fork that is merged when the block ends
        normally, and discarded if it raises. Either way the fork and the indexes opened from
        it are closed at the end of the block."""
        with self.fork() as fork:
            yield fork
            self.merge(fork, sync=sync)

    def checkpoint(self, path: PathLike) -> None:
        """Writes a complete, independent copy of the database to `path`, which must not exist
        (its parent must). Unchanged files are shared through hard links where possible."""
        self._call(lib.mdb_db_checkpoint, _encode_path(path))

    def catalogue(self) -> List[CatalogueRecord]:
        """Every index of the database, pending migrations included, in the order of their
        full names: the database as it is now, like a snapshot.

        The library reads the whole catalogue at once, so a list costs no more memory than
        an iterator would, and holds no C handle: the records are plain values that outlive
        the database. CorruptionError (naming the index) if an index's metadata does not
        decode; StorageError for an index of a type the library does not know."""
        return _catalogue.read(self)

    def migration(self, namespace: str, *, abortable: bool = True) -> MigrationHelper:
        """A helper that migrates the indexes ``namespace.*`` in steps, each merged into the
        database. With `abortable` it has an `abort_handle`, which any thread may use to abort
        the migration."""
        return MigrationHelper._create(self, namespace, abortable)

    def flush_migration(self, namespace: str, sync: bool = False) -> None:
        """Swaps in the migrated indexes of the finished migration in `namespace`, in one
        merge: a transaction doing `Fork.flush_migration`."""
        with self.transaction(sync=sync) as fork:
            fork.flush_migration(namespace)

    def rollback_migration(self, namespace: str, sync: bool = False) -> None:
        """Drops the migration in `namespace`, in one merge: a transaction doing
        `Fork.rollback_migration`."""
        with self.transaction(sync=sync) as fork:
            fork.rollback_migration(namespace)
