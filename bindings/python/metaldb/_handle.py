"""The life of C handles: freeing each once, guarding calls, reading errors on the right thread.

Every object of the binding that owns a C handle derives from `Handle`. It frees the handle
exactly once: on `close()`, when its parent closes, or, with a ResourceWarning, when the object
is garbage-collected (`weakref.finalize`). A C call runs between `_enter()` and `_leave()`, so
`close()` from another thread waits for calls in flight instead of freeing under them.

Error messages live in a thread-local slot of the library that every call clears, frees
included. A garbage-collection pass can run a finalizer between a failed call and the read of
its message, on the same thread; so while a call's status and message are being read, such
finalizers defer their frees (`_deferred`), which the next call performs first.
"""

from __future__ import annotations

import collections
import os
import threading
import warnings
import weakref
from typing import Any, Callable, Dict, Hashable, List, Optional, Tuple, TypeVar

from . import _errors
from ._lib import lib

_pid = os.getpid()
_state = threading.local()
# Appended to and popped from without a lock: both are atomic under the GIL, and a finalizer
# may run (and append) in the middle of any Python code of the binding, drains included.
_deferred: List[Tuple[Callable[[Any], None], Any, str]] = []
_live: Dict[str, int] = collections.Counter()
# Reentrant: a finalizer that runs while this thread updates a count updates one too.
_live_lock = threading.RLock()
H = TypeVar("H", bound="Handle")


def _after_fork_in_child() -> None:
    # The child must not free or use the parent's handles; its locks may have been held by
    # threads that do not exist in the child.
    global _pid, _live_lock
    _pid = os.getpid()
    _deferred.clear()
    _live_lock = threading.RLock()


os.register_at_fork(after_in_child=_after_fork_in_child)


def live_handles() -> Dict[str, int]:
    """The number of C handles of each kind that the binding holds and has not freed yet."""
    with _live_lock:
        return {kind: count for kind, count in _live.items() if count}


def _count(kind: str, delta: int) -> None:
    with _live_lock:
        _live[kind] += delta


def _drain_deferred() -> None:
    while _deferred:
        try:
            free, ptr, kind = _deferred.pop()
        except IndexError:  # another thread took the last one
            return
        free(ptr)
        _count(kind, -1)


def call(function: Callable[..., int], *args: Any, context: Callable[[], str]) -> None:
    """Calls a fallible C function and raises its error, with the message of this thread."""
    if _deferred:
        _drain_deferred()
    state = _state
    state.depth = getattr(state, "depth", 0) + 1
    try:
        status = function(*args)
        if status:
            message = lib.mdb_last_error_message().decode("utf-8", "replace")
    finally:
        state.depth -= 1
    if status:
        raise _errors.from_status(status, message, context())


def _collect(free: Callable[[Any], None], ptr: Any, kind: str, description: Optional[str],
             pid: int) -> None:
    """The finalizer of a handle that was not closed; `description` is None for an object
    owned by another (an index of a fork), which goes when its owner goes: the warning is
    the owner's."""
    if pid != _pid:
        return  # a forked child's copy of a parent's object: not ours to free
    try:
        if description is not None:
            warnings.warn(f"unclosed metaldb {description}", ResourceWarning, stacklevel=2)
    finally:  # even when warnings are errors (-W error::ResourceWarning)
        if getattr(_state, "depth", 0):
            _deferred.append((free, ptr, kind))
        else:
            free(ptr)
            _count(kind, -1)


class Handle:
    """An object that owns one C handle. Closing is idempotent and also closes the objects
    opened from this one; every object is a context manager that closes on exit.

    An object is either yours (a database, fork, snapshot, patch, helper, iterator, abort
    handle: close it, or the garbage collector frees it with a ResourceWarning) or owned by
    the object it was opened from (indexes and views: they live until they or their owner are
    closed, and the owner hands out the same object for the same address).
    """

    #: The kind of handle, for messages and counts ("map", "fork").
    _kind = "handle"

    def __init__(self, ptr: Any, free: Callable[[Any], None], parent: Optional["Handle"],
                 owner_key: Optional[Hashable] = None):
        """`parent` is what the object was opened from. With `owner_key`, the parent owns the
        object under that key (it holds it, and the object does not hold the parent);
        without, the parent only tracks it (the object holds the parent)."""
        self._ptr = ptr
        self._free = free
        self._pid = _pid
        # The lock guards the state below; the condition (on the same lock) wakes a closer
        # waiting for calls in flight. Plain `with self._lock` keeps the per-call cost low.
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._open_lock = threading.Lock()
        self._busy = 0
        self._closing = False
        self._stale: Optional[str] = None
        self._owned: Dict[Hashable, Handle] = {}
        self._tracked: "weakref.WeakValueDictionary[int, Handle]" = (
            weakref.WeakValueDictionary()
        )
        self._parent: Optional[Handle] = None
        self._owner: Optional["weakref.ref[Handle]"] = None
        self._owner_key = owner_key
        _count(self._kind, 1)
        self._finalizer = weakref.finalize(
            self, _collect, free, ptr, self._kind,
            None if owner_key is not None else self._describe(), self._pid,
        )
        if parent is not None:
            with parent._lock:
                orphan = parent._closing
                if not orphan and owner_key is not None:
                    self._owner = weakref.ref(parent)
                    parent._owned[owner_key] = self
                elif not orphan:
                    self._parent = parent  # keeps the Python parent alive while this lives
                    parent._tracked[id(self)] = self
            if orphan:
                # The parent was closed by another thread while this was being opened.
                self._release(None)
                raise _errors.ClosedError(f"the {parent._describe()} is closed")

    def _owned_child(self, key: Hashable, open_child: Callable[[], H]) -> H:
        """The open object this one owns under `key`, opened by `open_child` if there is
        none: one handle per index address, as a second writable one would be refused."""
        with self._open_lock:
            child = self._owned.get(key)
            if child is None or child._ptr is None:
                child = open_child()
            return child  # type: ignore[return-value]

    def _describe(self) -> str:
        """What this object is, for messages: "map 'balances' of a fork"."""
        return self._kind

    def _check_process(self) -> None:
        if self._pid != _pid:
            raise _errors.ForkedProcessError(
                f"this {self._describe()} belongs to process {self._pid}, and a forked child "
                "process may not use it: open the database again in the child"
            )

    def _enter(self) -> Any:
        """Marks a call in flight and returns the C handle, or raises if there is none."""
        if self._pid != _pid:
            self._check_process()
        with self._lock:
            ptr = self._ptr
            if ptr is None or self._closing:
                if self._stale is not None:
                    raise _errors.StaleHandleError(self._stale, context=self._describe())
                raise _errors.ClosedError(f"the {self._describe()} is closed")
            self._busy += 1
            return ptr

    def _leave(self) -> None:
        with self._lock:
            self._busy -= 1
            if not self._busy and self._closing:
                self._idle.notify_all()

    def _call(self, function: Callable[..., int], *args: Any) -> None:
        """Calls `function(handle, *args)` and raises its error."""
        ptr = self._enter()
        try:
            call(function, ptr, *args, context=self._describe)
        finally:
            self._leave()

    def _call_first(self, function: Callable[..., int], first: Any, *args: Any) -> None:
        """Calls `function(first, *args)` while this object is held open: `first` is a pointer
        this object owns or lends (the access of a fork, a round's persistent iterators)."""
        self._enter()
        try:
            call(function, first, *args, context=self._describe)
        finally:
            self._leave()

    @property
    def closed(self) -> bool:
        """Whether the object was closed (by itself, its parent, or a consuming call)."""
        return self._ptr is None

    def close(self) -> None:
        """Frees the C handle, once, after closing everything opened from this object. Calls
        in flight on other threads finish first. Closing again does nothing."""
        self._release(None)

    def _release(self, stale: Optional[str]) -> None:
        if self._pid != _pid:
            # In a forked child: forget the parent's handle without touching it.
            self._finalizer.detach()
            self._ptr = None
            return
        with self._lock:
            if self._closing:
                while self._ptr is not None:  # another thread is closing it
                    self._idle.wait()
                return
            # From here no call starts and no child is added: wait for calls in flight.
            self._closing = True
            self._stale = stale
            while self._busy:
                self._idle.wait()
            children = list(self._owned.values()) + list(self._tracked.values())
        for child in children:
            child._release(stale)
        with self._lock:
            ptr, self._ptr = self._ptr, None
            self._owned.clear()
            self._idle.notify_all()
        owner = self._owner() if self._owner is not None else None
        if owner is not None:
            with owner._lock:
                if owner._owned.get(self._owner_key) is self:
                    del owner._owned[self._owner_key]
        if self._finalizer.detach() is not None:
            if _deferred:
                _drain_deferred()
            self._free(ptr)
            _count(self._kind, -1)

    def _retire(self, reason: str) -> None:
        """Frees the handle of an object that the library made stale: using it again raises
        StaleHandleError with `reason`, as the library would."""
        self._release(reason)

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        state = " (closed)" if self._ptr is None else ""
        return f"<metaldb {self._describe()}{state}>"
