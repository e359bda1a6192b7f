"""Where indexes are opened from: forks, snapshots, patches and views (prefixed namespaces,
migrations, scratchpads, read-only forks)."""

from __future__ import annotations

import enum
from ctypes import POINTER, byref, c_bool, c_uint32
from typing import Any, Callable, Hashable, Optional, Type, TypeVar, Union

from . import _ffi
from ._bytes import as_group, as_name
from ._handle import Handle
from ._indexes import (
    Entry, Index, Iterator, KeySet, ListIndex, MapIndex, SparseListIndex, _key, _pair,
    _position_pair,
)
from ._lib import lib

I = TypeVar("I", bound=Index)


class IndexType(enum.IntEnum):
    """The type of an index, as `Access.index_type` reports it."""

    MAP = _ffi.MDB_INDEX_MAP
    LIST = _ffi.MDB_INDEX_LIST
    ENTRY = _ffi.MDB_INDEX_ENTRY
    KEY_SET = _ffi.MDB_INDEX_KEY_SET
    SPARSE_LIST = _ffi.MDB_INDEX_SPARSE_LIST
    #: An index removed by a migration.
    TOMBSTONE = _ffi.MDB_INDEX_TOMBSTONE


#: For each index class: the C function opening it, and the ctypes type of its handle.
_OPENERS = {
    MapIndex: ("mdb_access_map", _ffi.mdb_map),
    ListIndex: ("mdb_access_list", _ffi.mdb_list),
    SparseListIndex: ("mdb_access_sparse_list", _ffi.mdb_sparse_list),
    KeySet: ("mdb_access_key_set", _ffi.mdb_key_set),
    Entry: ("mdb_access_entry", _ffi.mdb_entry),
}

#: For each index class: how its iterator items decode, and the C functions that make
#: persistent iterators over it (through an access; through a round's iterators).
PERSISTENT = {
    MapIndex: (_pair, "mdb_persistent_iter_new_map", "mdb_persistent_iters_new_map"),
    ListIndex: (_position_pair, "mdb_persistent_iter_new_list",
                "mdb_persistent_iters_new_list"),
    SparseListIndex: (_position_pair, "mdb_persistent_iter_new_sparse_list",
                      "mdb_persistent_iters_new_sparse_list"),
    KeySet: (_key, "mdb_persistent_iter_new_key_set", "mdb_persistent_iters_new_key_set"),
}


def persistent_iter(through_round: bool, first: Any, name: str, index: Index,
                    owner: Handle) -> Iterator[Any]:
    """Makes a persistent iterator over `index`, through `first`: an access of `owner`, or
    (`through_round`) the iterators of a round of `MigrationHelper.iter_loop`."""
    spec = PERSISTENT.get(type(index))
    if spec is None:
        raise TypeError(f"persistent iterators go over maps, lists, sparse lists and key sets, "
                        f"not {type(index).__name__}")
    function = getattr(lib, spec[2] if through_round else spec[1])
    encoded = as_name(name, "a persistent iterator name")
    out = POINTER(_ffi.mdb_iter)()
    index_ptr = index._enter()
    try:
        owner._call_first(function, first, encoded, len(encoded), index_ptr, byref(out))
    finally:
        index._leave()
    return Iterator(out, index, spec[0], name, owned=through_round)


class Access(Handle):
    """Opens indexes by name and optional group key. A group key of None is the index outside
    any group; ``b""`` is the group member whose key is empty, another index."""

    def __init__(self, ptr: Any, free: Callable[[Any], None], parent: Optional[Handle],
                 access: Any, owner_key: Optional[Hashable] = None):
        self._access = access  # the mdb_access pointer: the handle itself, or lent by it
        super().__init__(ptr, free, parent, owner_key)

    def _call_access(self, function: Callable[..., int], *args: Any) -> None:
        self._call_first(function, self._access, *args)

    def _open(self, cls: Type[I], name: str, group: Optional[bytes]) -> I:
        function, ctype = _OPENERS[cls]
        encoded = as_name(name, "an index name")
        key, key_len = as_group(group)

        def open_index() -> I:
            out = POINTER(ctype)()
            self._call_access(getattr(lib, function), encoded, len(encoded), key, key_len,
                              byref(out))
            return cls(out, self, name, key)  # type: ignore[call-arg]

        return self._owned_child((cls._kind, name, key), open_index)

    def map(self, name: str, group: Optional[bytes] = None) -> MapIndex:
        """Opens the map `name` (in the group `group`), creating it on first write."""
        return self._open(MapIndex, name, group)

    def list(self, name: str, group: Optional[bytes] = None) -> ListIndex:
        """Opens the list `name` (in the group `group`)."""
        return self._open(ListIndex, name, group)

    def sparse_list(self, name: str, group: Optional[bytes] = None) -> SparseListIndex:
        """Opens the sparse list `name` (in the group `group`)."""
        return self._open(SparseListIndex, name, group)

    def key_set(self, name: str, group: Optional[bytes] = None) -> KeySet:
        """Opens the key set `name` (in the group `group`)."""
        return self._open(KeySet, name, group)

    def entry(self, name: str, group: Optional[bytes] = None) -> Entry:
        """Opens the entry `name` (in the group `group`)."""
        return self._open(Entry, name, group)

    def index_type(self, name: str, group: Optional[bytes] = None
                   ) -> Union[IndexType, int, None]:
        """The type of the index at the address, or None if there is none; the number of a
        type this binding does not know, from a newer library."""
        encoded = as_name(name, "an index name")
        key, key_len = as_group(group)
        index_type, found = c_uint32(), c_bool()
        self._call_access(lib.mdb_access_index_type, encoded, len(encoded), key, key_len,
                          byref(index_type), byref(found))
        if not found.value:
            return None
        try:
            return IndexType(index_type.value)
        except ValueError:
            return index_type.value

    def _view(self, function: str, name: str, kind: str) -> "View":
        encoded = as_name(name, f"a {kind}")
        what = f"{kind} {name!r}"

        def open_view() -> View:
            out = POINTER(_ffi.mdb_access)()
            self._call_access(getattr(lib, function), encoded, len(encoded), byref(out))
            return View(out, self, what)

        return self._owned_child(what, open_view)

    def prefixed(self, prefix: str) -> "View":
        """A view whose index `x` is this access's ``prefix.x``."""
        return self._view("mdb_access_prefixed", prefix, "prefix")

    def migration(self, namespace: str) -> "View":
        """A view of the migrated indexes of the migration in `namespace`: its `x` is the new
        ``namespace.x``, which replaces the old one when the migration is flushed."""
        return self._view("mdb_access_migration", namespace, "migration")

    def scratchpad(self, namespace: str) -> "View":
        """The scratchpad of the migration in `namespace`: temporary indexes."""
        return self._view("mdb_access_scratchpad", namespace, "scratchpad")


class View(Access):
    """An access made from another one: a prefixed namespace, a migration, a scratchpad, a
    read-only fork or a migration helper's data. Closed with what it was made from."""

    _kind = "view"

    def __init__(self, ptr: Any, parent: Handle, what: str):
        self._what = what
        self._parent_description = parent._describe()
        super().__init__(ptr, lib.mdb_access_free, parent, ptr, owner_key=what)

    def _describe(self) -> str:
        return f"{self._what} of the {self._parent_description}"

    def create_tombstone(self, name: str, group: Optional[bytes] = None) -> None:
        """Marks the index at the address as removed by the migration (a migration view only):
        the old index is deleted when the migration is flushed."""
        encoded = as_name(name, "an index name")
        key, key_len = as_group(group)
        self._call_access(lib.mdb_migration_create_tombstone, encoded, len(encoded), key, key_len)

    def persistent_iter(self, name: str, index: Union[MapIndex, ListIndex, SparseListIndex,
                                                      KeySet]) -> Iterator[Any]:
        """An iterator over `index` that saves its position in the entry `name` of this view
        (normally a scratchpad) at every step, and resumes from it: in this process, or after
        a restart once the fork is merged. It yields what ``index.iter()`` yields."""
        return persistent_iter(False, self._access, name, index, self)


def new_view(owner: Handle, function: Callable[..., int], what: str) -> View:
    """A view that `function(owner's handle, out)` makes, owned by `owner`."""
    out = POINTER(_ffi.mdb_access)()
    owner._call(function, byref(out))
    return View(out, owner, what)


class Snapshot(Access):
    """An isolated, read-only view of the database when it was taken."""

    _kind = "snapshot"

    def __init__(self, ptr: Any, parent: Handle):
        super().__init__(ptr, lib.mdb_snapshot_free, parent, lib.mdb_snapshot_as_access(ptr))


class Patch(Access):
    """The changes of a fork, ready for `Database.merge`; readable as an access."""

    _kind = "patch"

    def __init__(self, ptr: Any, parent: Handle):
        self._database = parent
        super().__init__(ptr, lib.mdb_patch_free, parent, lib.mdb_patch_as_access(ptr))

    def into_fork(self) -> "Fork":
        """Turns the patch back into a fork whose changes are the patch. The patch is consumed:
        its indexes become stale."""
        out = POINTER(_ffi.mdb_fork)()
        self._call(lib.mdb_patch_into_fork, byref(out))
        return Fork(out, self._database)


class Fork(Access):
    """A writable view: reads the database as of the fork's creation plus its own changes.
    Changes reach the database when it is merged (`Database.merge`, `Database.transaction`).
    Closing a fork without merging it discards its changes."""

    _kind = "fork"

    def __init__(self, ptr: Any, parent: Handle):
        self._database = parent
        super().__init__(ptr, lib.mdb_fork_free, parent, lib.mdb_fork_as_access(ptr))

    def readonly(self) -> View:
        """A read-only view of the fork, with its unmerged changes."""
        return self._owned_child(
            "read-only view", lambda: new_view(self, lib.mdb_fork_readonly, "read-only view"))

    def _retire_opened(self, what: str) -> None:
        # The library made every index, view and iterator of the fork stale; the fork goes
        # on, so they are dropped and opening them again gives fresh ones.
        with self._lock:
            opened = list(self._owned.values())
        for child in opened:
            child._retire(f"the fork was {what} after it was opened; open it again")

    def flush(self) -> None:
        """Makes a checkpoint of the changes, which `rollback` returns to."""
        self._call(lib.mdb_fork_flush)

    def rollback(self) -> None:
        """Discards the changes since the last `flush`. The indexes and views opened from the
        fork become stale (StaleHandleError); open them again."""
        self._call(lib.mdb_fork_rollback)
        self._retire_opened("rolled back")

    def into_patch(self) -> Patch:
        """Turns the fork into a patch for `Database.merge`. The fork is consumed: it and its
        indexes become stale (close them)."""
        out = POINTER(_ffi.mdb_patch)()
        self._call(lib.mdb_fork_into_patch, byref(out))
        return Patch(out, self._database)

    def _namespace_call(self, function: Callable[..., int], namespace: str, what: str) -> None:
        encoded = as_name(namespace, "a migration namespace")
        self._call(function, encoded, len(encoded))
        self._retire_opened(f"{what} the migration {namespace!r}")

    def flush_migration(self, namespace: str) -> None:
        """Flushes the migration in `namespace` into the fork: once merged, its migrated indexes
        replace the old ones. Use a fork made after the migration's last merge. The indexes and
        views opened from the fork become stale."""
        self._namespace_call(lib.mdb_migration_flush, namespace, "used to flush")

    def rollback_migration(self, namespace: str) -> None:
        """Drops the migration in `namespace`: once the fork is merged, its migrated indexes and
        scratchpad are gone and the old indexes stay. The indexes and views opened from the fork
        become stale."""
        self._namespace_call(lib.mdb_migration_rollback, namespace, "used to roll back")
