"""Database.catalogue: every index with its address, type, identifier, length and size."""

from __future__ import annotations

import dataclasses
from typing import Optional

import pytest

import metaldb
from metaldb import CatalogueRecord, IndexType


def fill(db: metaldb.Database) -> None:
    """One index of each kind, two members of a group (one with an empty key), and a pending
    migration with a tombstone."""
    with db.transaction() as fork:
        fork.map("app.users")[b"alice"] = b"admin"
        log = fork.list("app.log")
        log.append(b"one")
        log.append(b"two")
        fork.sparse_list("sparse")[4] = b"four"
        fork.entry("config").set(b"debug")
        fork.key_set("tags", b"\xab\x00").add(b"x")
        fork.key_set("tags", b"").add(b"x")
    with db.transaction() as fork:
        migration = fork.migration("app")
        migration.list("log").append(b"migrated")
        migration.create_tombstone("users")


def record(full_name: bytes, name: str, index_type: IndexType, *, group: Optional[bytes] = None,
           in_migration: bool = False, length: Optional[int] = None) -> CatalogueRecord:
    namespace = name.partition(".")[0] if "." in name else None
    return CatalogueRecord(full_name=full_name, name=name, group=group, namespace=namespace,
                           in_migration=in_migration, index_type=index_type, identifier=0,
                           length=length, size_on_disk=0)


def test_catalogue_lists_every_index_with_its_address_type_and_length(db):
    fill(db)
    records = db.catalogue()
    identifiers = [r.identifier for r in records]
    assert all(identifiers) and len(set(identifiers)) == len(identifiers)
    assert [dataclasses.replace(r, identifier=0) for r in records] == [
        record(b"^app.log", "app.log", IndexType.LIST, in_migration=True, length=1),
        record(b"^app.users", "app.users", IndexType.TOMBSTONE, in_migration=True),
        record(b"app.log", "app.log", IndexType.LIST, length=2),
        record(b"app.users", "app.users", IndexType.MAP),
        record(b"config", "config", IndexType.ENTRY),
        record(b"sparse", "sparse", IndexType.SPARSE_LIST, length=1),
        record(b"tags\0", "tags", IndexType.KEY_SET, group=b""),
        record(b"tags\0\xab\0", "tags", IndexType.KEY_SET, group=b"\xab\x00"),
    ]


def test_catalogue_records_are_frozen_values_that_outlive_the_database():
    with metaldb.temporary() as db:
        fill(db)
        records = db.catalogue()
    assert records[0].name == "app.log"
    with pytest.raises(dataclasses.FrozenInstanceError):
        records[0].name = "other"
    with pytest.raises(metaldb.ClosedError):
        db.catalogue()


def test_catalogue_of_an_empty_database_is_empty(db):
    assert db.catalogue() == []


def test_catalogue_reports_the_size_on_disk_of_flushed_data(tmp_path):
    big = bytes(i % 251 for i in range(64 << 10))
    with metaldb.open(tmp_path / "db") as db:
        with db.transaction() as fork:
            fork.map("big")[b"k"] = big
    # Opening again writes the recovered write-ahead log to a table file: flushed data.
    with metaldb.open(tmp_path / "db") as db:
        (only,) = db.catalogue()
    assert only.name == "big" and 60 << 10 <= only.size_on_disk <= 1 << 20
