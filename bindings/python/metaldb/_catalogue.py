"""The catalogue: every index of a database, as `Database.catalogue` lists it."""

from __future__ import annotations

import ctypes
import dataclasses
from ctypes import POINTER, byref, c_bool, sizeof
from typing import TYPE_CHECKING, List, Optional, Union

from . import _ffi
from ._access import IndexType
from ._handle import call
from ._lib import lib

if TYPE_CHECKING:
    from ._database import Database


@dataclasses.dataclass(frozen=True)
class CatalogueRecord:
    """One index of a database."""

    #: The key of the index's metadata: ``[b"^"] name [b"\\0" group key]``.
    full_name: bytes
    #: The index name; for an index of a pending migration, ``"namespace.name"``.
    name: str
    #: The group key of a group member (``b""`` is the member whose key is empty); None for
    #: an index outside any group. With `name`, the address that opens the index.
    group: Optional[bytes]
    #: The part of `name` before its first ``.``, or None if it has none; for an index of a
    #: pending migration, the migration's namespace.
    namespace: Optional[str]
    #: Whether the index belongs to a pending migration (its full name starts with ``^``).
    in_migration: bool
    #: The index type (`IndexType.TOMBSTONE` for an index a pending migration removes); the
    #: number of a type this binding does not know, from a newer library.
    index_type: Union[IndexType, int]
    #: The identifier that prefixes every stored key of the index.
    identifier: int
    #: The length of a list or sparse list that was written; None for the other types.
    length: Optional[int]
    #: Estimated bytes on disk of the index's data (flushed data only); 0 for a temporary
    #: database.
    size_on_disk: int


def _lent(record: _ffi.mdb_catalogue_record, field: str, length: int) -> bytes:
    """Copies the bytes that a pointer field of `record` lends. The pointer is read as an
    address: ctypes would read a ``char *`` field up to a NUL, and the name has none."""
    if not length:
        return b""
    offset = getattr(_ffi.mdb_catalogue_record, field).offset
    return ctypes.string_at(ctypes.c_void_p.from_buffer(record, offset).value or 0, length)


def _copy(record: _ffi.mdb_catalogue_record) -> CatalogueRecord:
    name = _lent(record, "name", record.name_len).decode("utf-8")
    namespace, dot, _ = name.partition(".")
    try:
        index_type: Union[IndexType, int] = IndexType(record.index_type)
    except ValueError:
        index_type = record.index_type
    return CatalogueRecord(
        full_name=_lent(record, "full_name", record.full_name_len),
        name=name,
        group=_lent(record, "group_key", record.group_key_len) if record.has_group_key else None,
        namespace=namespace if dot else None,
        in_migration=bool(record.in_migration),
        index_type=index_type,
        identifier=record.identifier,
        length=record.len if record.has_len else None,
        size_on_disk=record.size_on_disk,
    )


def read(db: "Database") -> List[CatalogueRecord]:
    """Reads the catalogue of `db` into records that outlive the C catalogue, which is freed
    before this returns."""
    catalogue = POINTER(_ffi.mdb_catalogue)()
    db._call(lib.mdb_catalogue_new, byref(catalogue))
    try:
        records: List[CatalogueRecord] = []
        record, found = _ffi.mdb_catalogue_record(), c_bool()
        # The size as the generated declaration has it: the library fills what it knows and
        # zeroes the rest. It leaves the field unchanged, so one setting serves every call.
        record.struct_size = sizeof(record)
        while True:
            call(lib.mdb_catalogue_next, catalogue, byref(record), byref(found),
                 context=lambda: f"the catalogue of the {db._describe()}")
            if not found.value:
                return records
            records.append(_copy(record))
    finally:
        lib.mdb_catalogue_free(catalogue)
