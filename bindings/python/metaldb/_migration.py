"""Migrations: MigrationHelper, its abort handle and the persistent iterators of its loop."""

from __future__ import annotations

import threading
from ctypes import POINTER, byref, c_bool
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

from . import _ffi, _errors
from ._access import View, new_view, persistent_iter
from ._bytes import as_name
from ._handle import Handle
from ._indexes import Iterator, KeySet, ListIndex, MapIndex, SparseListIndex
from ._lib import lib

if TYPE_CHECKING:
    from ._database import Database

#: The status a step returns to the C loop when the Python step raised: a code the library
#: never returns (codes from 1000 on are the bindings'). The exception is raised again.
_STEP_RAISED = 1000


class AbortHandle(Handle):
    """Aborts a migration from any thread, and tells when its helper is gone.

    ``close()`` releases the handle WITHOUT aborting (the C ``mdb_abort_handle_forget``), and
    so does garbage collection: a migration is only ever aborted by an explicit `abort`."""

    _kind = "abort handle"

    def __init__(self, ptr: Any, namespace: str):
        self._namespace = namespace
        super().__init__(ptr, lib.mdb_abort_handle_forget, None)

    def _describe(self) -> str:
        return f"abort handle of the migration {self._namespace!r}"

    def abort(self) -> None:
        """Aborts the migration: the helper's next merge writes nothing and raises
        AbortedError. Aborting twice, or after the helper is gone, does nothing more."""
        self._call(lib.mdb_abort_handle_abort)

    @property
    def finished(self) -> bool:
        """Whether the helper is gone: finished, or closed with everything opened from it."""
        finished = c_bool()
        self._call(lib.mdb_abort_handle_is_finished, byref(finished))
        return finished.value


class PersistentIters:
    """The persistent iterators of one round of `MigrationHelper.iter_loop`, lent to the step:
    usable until the step returns."""

    def __init__(self, ptr: Any, helper: "MigrationHelper"):
        self._ptr: Any = ptr
        self._helper = helper

    def create(self, name: str, index: Union[MapIndex, ListIndex, SparseListIndex, KeySet]
               ) -> Iterator[Any]:
        """An iterator over `index` (opened from one of the helper's views, usually
        `old_data`) that resumes where the last merged round left it; its position is saved
        in the scratchpad entry `name`. Take a bounded number of items per round: the loop
        ends after a round in which every iterator created through it reached its end."""
        if self._ptr is None:
            raise _errors.StaleHandleError(
                "the persistent iterators of a round are usable only during its step",
                context=f"migration {self._helper.namespace!r}")
        return persistent_iter(True, self._ptr, name, index, self._helper)


class MigrationHelper(Handle):
    """Runs the migration of one namespace in steps, each merged into the database.

    Its views `new_data` (the migrated indexes), `old_data` (the current ones, read-only) and
    `scratchpad` (temporary indexes) open indexes. Every merge (`merge`, `finish`, each round
    of `iter_loop`) makes everything opened from the helper stale: the binding then closes it,
    and using it raises StaleHandleError; open the views again for the next step.

    The helper never flushes its migration: after `finish`, call `Database.flush_migration`
    (or `rollback_migration`). Closing the helper (or leaving its ``with`` block) discards
    what is not merged yet.
    """

    _kind = "migration helper"

    def __init__(self, ptr: Any, database: "Database", namespace: str,
                 abort_handle: Optional[AbortHandle]):
        #: The namespace whose indexes (``namespace.*``) the migration concerns.
        self.namespace = namespace
        #: Aborts the migration from any thread; None for a helper made with abortable=False.
        self.abort_handle = abort_handle
        self._loop_thread: Optional[int] = None
        super().__init__(ptr, lib.mdb_migration_helper_free, database)

    @classmethod
    def _create(cls, database: "Database", namespace: str, abortable: bool) -> "MigrationHelper":
        encoded = as_name(namespace, "a migration namespace")
        out = POINTER(_ffi.mdb_migration_helper)()
        if abortable:
            handle = POINTER(_ffi.mdb_abort_handle)()
            database._call(lib.mdb_migration_helper_new_with_abort, encoded, len(encoded),
                           byref(out), byref(handle))
            # The helper has its C handle from here: the abort handle must not outlive it
            # unreleased, so it is wrapped before anything else can fail.
            abort_handle: Optional[AbortHandle] = AbortHandle(handle, namespace)
        else:
            database._call(lib.mdb_migration_helper_new, encoded, len(encoded), byref(out))
            abort_handle = None
        return cls(out, database, namespace, abort_handle)

    def _describe(self) -> str:
        return f"migration helper of {self.namespace!r}"

    def _view(self, function: Callable[..., int], what: str) -> View:
        return self._owned_child(what, lambda: new_view(self, function, what))

    @property
    def new_data(self) -> View:
        """The migrated indexes: its `x` is the new ``namespace.x``, which replaces the old one
        when the migration is flushed. Tombstones are made through it."""
        return self._view(lib.mdb_migration_helper_new_data, "new data")

    @property
    def old_data(self) -> View:
        """The current indexes of the namespace, read-only, as the helper's fork sees them."""
        return self._view(lib.mdb_migration_helper_old_data, "old data")

    @property
    def scratchpad(self) -> View:
        """Temporary indexes of the migration, removed when it is flushed or rolled back."""
        return self._view(lib.mdb_migration_helper_scratchpad, "scratchpad")

    def _after_merge(self) -> None:
        with self._lock:
            opened = list(self._owned.values())
        for child in opened:
            child._retire(f"it was opened from the {self._describe()} before its last merge")

    def _refuse_in_loop(self, what: str) -> None:
        if self._loop_thread == threading.get_ident():
            raise _errors.InvalidArgumentError(
                f"cannot {what} the helper inside its iter_loop step; the loop merges after "
                "each step", context=self._describe())

    def merge(self) -> None:
        """Merges the changes made through the views into the database, and starts the next
        step. AbortedError if the migration was aborted (nothing of the step was written);
        after that, or a StorageError, the helper is unusable."""
        self._refuse_in_loop("merge")
        try:
            self._call(lib.mdb_migration_helper_merge)
        finally:
            self._after_merge()

    def finish(self) -> None:
        """Merges the remaining changes and ends the helper (it is unusable after). Does not
        flush the migration: `Database.flush_migration` does."""
        self._refuse_in_loop("finish")
        try:
            self._call(lib.mdb_migration_helper_finish)
        finally:
            self._after_merge()

    def iter_loop(self, step: Callable[["MigrationHelper", PersistentIters], None]) -> None:
        """Runs `step(helper, iters)` in rounds, merging after each, until a round in which every
        persistent iterator created through `iters` reached its end (a round that creates none
        is the last).

        The positions live in the scratchpad, so a loop stopped by an abort, an exception or a
        crash, run again by a new helper, resumes after its last merged round. Handles opened
        in a step are closed when it returns. An exception from `step` stops the loop (that
        round stays unmerged) and is raised again here.
        """
        raised: list[BaseException] = []

        def trampoline(_helper: Any, iters_ptr: Any, _user_data: Any) -> int:
            iters = PersistentIters(iters_ptr, self)
            try:
                step(self, iters)
                return _ffi.MDB_OK
            except BaseException as exc:  # noqa: B036 - raised again after the loop
                raised.append(exc)
                return _STEP_RAISED
            finally:
                iters._ptr = None
                self._after_merge()

        callback = _ffi.mdb_migration_step(trampoline)
        if self._loop_thread is not None:
            raise _errors.InvalidArgumentError("iter_loop is already running",
                                               context=self._describe())
        self._loop_thread = threading.get_ident()
        try:
            self._call(lib.mdb_migration_helper_iter_loop, callback, None)
        except _errors.Error:
            if raised:
                raise raised[0] from None
            raise
        finally:
            self._loop_thread = None
            self._after_merge()

    def close(self) -> None:
        """Frees the helper and everything opened from it, discarding unmerged changes, and
        releases its abort handle without aborting."""
        super().close()

    def _release(self, stale: Optional[str]) -> None:
        # Closing waits for calls in flight, and the loop is one until its step returns.
        self._refuse_in_loop("close")
        super()._release(stale)
        if self.abort_handle is not None:
            self.abort_handle._release(stale)
