"""The indexes: MapIndex, ListIndex, SparseListIndex, KeySet, Entry, and their Iterator."""

from __future__ import annotations

import collections.abc
import functools
import threading
from ctypes import (
    POINTER, addressof, byref, c_bool, c_char, c_size_t, c_uint8, c_uint64, c_void_p, sizeof,
)
from typing import (
    TYPE_CHECKING, Any, Callable, Deque, Generator, Iterable, Optional, Tuple, Type, TypeVar,
    Union, overload,
)

from . import _ffi
from ._bytes import as_bytes, as_position, lent, position_key, take
from ._handle import Handle, call
from ._lib import lib

if TYPE_CHECKING:
    from ctypes import Array

    from ._access import Access

T = TypeVar("T")
_MISSING: Any = object()


#: A plain iterator's first batch takes up to 4 entries, in room for 256 bytes each; each
#: batch after takes twice as many, in twice the room, up to 256 entries in 64 KiB. An
#: iteration that stops after a few entries copies and decodes few, and a long one makes one C
#: call per 256 entries. The room grows further for an entry that does not fit.
_FIRST_BATCH_ENTRIES = 4
_BATCH_BYTES_PER_ENTRY = 256
_BATCH_ENTRIES = 256
#: An mdb_iter_entry is four pointer-sized words: key, key_len, value, value_len (a layout
#: frozen for all of 1.x).
_ENTRY_WORDS = 4
assert sizeof(_ffi.mdb_iter_entry) == _ENTRY_WORDS * sizeof(c_void_p)
assert sizeof(c_size_t) == sizeof(c_void_p)
#: ctypes keeps an array type only while it is in use, and a type is freed only by the garbage
#: collector: the array types of the batches are made once, here and by _buffer_types.
_Entries = _ffi.mdb_iter_entry * _BATCH_ENTRIES


@functools.lru_cache(maxsize=None)
def _buffer_types(size: int) -> Tuple[Type["Array[c_char]"], Type["Array[c_uint8]"]]:
    """The array types of a batch buffer of `size` bytes, a power of two (so that few exist):
    as c_char, whose slices are bytes, and as uint8_t, which the library takes."""
    return c_char * size, c_uint8 * size


class _Batch:
    """The memory `mdb_iter_next_batch` copies a plain iterator's entries into: a buffer of the
    binding's for their bytes, and the array that says where each one is."""

    _buf: "Array[c_char]"
    _buf_arg: "Array[c_uint8]"

    def __init__(self) -> None:
        self._entries = _Entries()
        # The array as words, read in one go: reading the ctypes fields of each entry one by one
        # would cost more than the rest of the iteration.
        self._words = memoryview(self._entries).cast("B").cast("P")
        self._count, self._needed = c_size_t(), c_size_t()
        self._limit = 0  # how many entries the next batch may take

    def _resize(self, size: int) -> None:
        """A buffer of at least `size` bytes. (create_string_buffer and cast would make a new
        array type, or a reference cycle, for each buffer.)"""
        chars, uint8s = _buffer_types(1 << (size - 1).bit_length())
        self._buf = chars()
        self._buf_arg = uint8s.from_buffer(self._buf)

    def _enlarge(self) -> None:
        """Room for twice as many entries as the batch before, in twice the bytes (unless the
        buffer grew larger for a large entry), up to _BATCH_ENTRIES."""
        if self._limit == _BATCH_ENTRIES:
            return
        first = not self._limit
        self._limit = _FIRST_BATCH_ENTRIES if first else 2 * self._limit
        size = self._limit * _BATCH_BYTES_PER_ENTRY
        if first or size > len(self._buf):
            self._resize(size)

    def read(self, ptr: Any, decode: Callable[[bytes, bytes], T],
             context: Callable[[], str]) -> list[T]:
        """Advances the iterator by the entries that fit, and returns them decoded: none at
        the end. An entry larger than the buffer makes it grow, and is read then."""
        self._enlarge()
        while True:
            call(lib.mdb_iter_next_batch, ptr, self._buf_arg, len(self._buf), self._entries,
                 self._limit, byref(self._count), byref(self._needed), context=context)
            count, needed = self._count.value, self._needed.value
            if count or not needed:
                break
            self._resize(needed)
        # Slices of a c_char array are bytes (which typeshed does not know).
        buf: Any = self._buf
        base = addressof(buf)
        words = iter(self._words[:_ENTRY_WORDS * count].tolist())
        # An empty key or value may be NULL, which is no place in the buffer.
        return [
            decode(buf[key - base:key - base + key_len] if key_len else b"",
                   buf[value - base:value - base + value_len] if value_len else b"")
            for key, key_len, value, value_len in zip(words, words, words, words)
        ]


class Iterator(Handle, collections.abc.Iterator[T]):
    """A C iterator over an index, in key order. While it is open, its index refuses writes
    (BorrowedError). It closes itself at its end; ``with index.iter() as it:`` closes it
    deterministically when the loop stops early.

    It reads entries ahead, many per C call, except a persistent iterator, which reads one per
    ``next()`` so that the position it saves is always just after the entries it returned.
    Entries read ahead are still returned after the index goes stale (its fork turned into a
    patch); StaleHandleError comes after them."""

    _kind = "iterator"

    def __init__(self, ptr: Any, index: "Index", decode: Callable[[bytes, bytes], T],
                 name: Optional[str] = None, owned: bool = False):
        """A persistent iterator has a `name`; one of a migration round is `owned` by its
        index, as it is stale once the round ends (and closed then)."""
        self._index_description = index._describe()
        self._name = name
        self._decode = decode
        self._exhausted = False
        self._next_lock = threading.Lock()
        #: Entries read, decoded, that next() has not returned yet.
        self._ahead: Deque[T] = collections.deque()
        self._batch = _Batch() if name is None else None
        super().__init__(ptr, lib.mdb_iter_free, index,
                         ("persistent iterator", name) if owned else None)

    def _describe(self) -> str:
        if self._name is not None:
            return f"persistent iterator {self._name!r} over the {self._index_description}"
        return f"iterator over the {self._index_description}"

    def __iter__(self) -> "Iterator[T]":
        return self

    def __next__(self) -> T:
        if self._exhausted:
            raise StopIteration
        ptr = self._enter()  # even for an entry read ahead: a closed iterator raises
        try:
            with self._next_lock:
                if not self._ahead:
                    self._read(ptr)
                item = self._ahead.popleft() if self._ahead else _MISSING
        finally:
            self._leave()
        if item is _MISSING:
            self._exhausted = True
            self.close()  # the index accepts writes again
            raise StopIteration
        return item

    def _read(self, ptr: Any) -> None:
        """Reads the next entries into `_ahead`: a batch, or one step of a persistent
        iterator; nothing at the end."""
        if self._batch is not None:
            self._ahead.extend(self._batch.read(ptr, self._decode, self._describe))
            return
        key, key_len = c_void_p(), c_size_t()
        value, value_len = c_void_p(), c_size_t()
        found = c_bool()
        call(lib.mdb_iter_next, ptr, byref(key), byref(key_len), byref(value),
             byref(value_len), byref(found), context=self._describe)
        if found.value:
            # Lent until the next call on the iterator, which the lock holds off.
            self._ahead.append(self._decode(lent(key, key_len), lent(value, value_len)))


class Index(Handle):
    """What the index classes share: an address (name and group key) in an access."""

    def __init__(self, ptr: Any, free: Callable[[Any], None], access: "Access", name: str,
                 group: Optional[bytes]):
        self.name = name
        self.group = group
        self._access_description = access._describe()
        super().__init__(ptr, free, access, owner_key=(self._kind, name, group))

    def _describe(self) -> str:
        group = "" if self.group is None else f" (group {self.group!r})"
        return f"{self._kind} {self.name!r}{group} of the {self._access_description}"

    def _lookup(self, function: Callable[..., int], *args: Any) -> Optional[bytes]:
        """Calls a C function that hands over bytes (`out_value`, `out_found` last): the
        bytes, or None when there were none."""
        value, found = _ffi.mdb_bytes(), c_bool()
        self._call(function, *args, byref(value), byref(found))
        return take(value) if found.value else None

    def _open_iter(self, function: Callable[..., int], start: Any,
                   decode: Callable[[bytes, bytes], T]) -> Iterator[T]:
        out = POINTER(_ffi.mdb_iter)()
        if isinstance(start, bytes):
            self._call(function, start, len(start), byref(out))
        else:
            self._call(function, start, byref(out))
        return Iterator(out, self, decode)

    @staticmethod
    def _generate(iterator_factory: Callable[[], Iterator[T]]) -> Generator[T, None, None]:
        # The C iterator is made at the first next() and freed when the generator ends, is
        # closed or is collected.
        with iterator_factory() as iterator:
            yield from iterator

    def _first(self, iterator: Iterator[T]) -> T:
        with iterator:
            for item in iterator:
                return item
        raise KeyError(f"the {self._describe()} is empty")


def _pair(key: bytes, value: bytes) -> Tuple[bytes, bytes]:
    return key, value


def _key(key: bytes, value: bytes) -> bytes:
    return key


def _value(key: bytes, value: bytes) -> bytes:
    return value


def _position_pair(key: bytes, value: bytes) -> Tuple[int, bytes]:
    return position_key(key), value


def _position(key: bytes, value: bytes) -> int:
    return position_key(key)


class MapIndex(Index, collections.abc.MutableMapping[bytes, bytes]):
    """A map from byte keys to byte values, iterated in key order: a ``MutableMapping``.

    ``len()`` counts the keys by iterating them. ``keys()``, ``values()`` and ``items()`` are
    generators that take a ``start`` key.
    """

    _kind = "map"

    def __init__(self, ptr: Any, access: "Access", name: str, group: Optional[bytes]):
        super().__init__(ptr, lib.mdb_map_free, access, name, group)

    def get(self, key: bytes, default: Any = None) -> Any:
        """The value of `key`, or `default`."""
        key = as_bytes(key, "a map key")
        value = self._lookup(lib.mdb_map_get, key, len(key))
        return default if value is None else value

    def __getitem__(self, key: bytes) -> bytes:
        value = self.get(key, _MISSING)
        if value is _MISSING:
            raise KeyError(key)
        return value  # type: ignore[no-any-return]

    def __contains__(self, key: object) -> bool:
        key = as_bytes(key, "a map key")
        found = c_bool()
        self._call(lib.mdb_map_contains, key, len(key), byref(found))
        return found.value

    def __setitem__(self, key: bytes, value: bytes) -> None:
        key = as_bytes(key, "a map key")
        value = as_bytes(value, "a map value")
        self._call(lib.mdb_map_put, key, len(key), value, len(value))

    def __delitem__(self, key: bytes) -> None:
        if key not in self:
            raise KeyError(key)
        self.discard(key)

    def discard(self, key: bytes) -> None:
        """Removes `key` if it is present."""
        key = as_bytes(key, "a map key")
        self._call(lib.mdb_map_remove, key, len(key))

    def clear(self) -> None:
        """Removes every key; the map itself stays."""
        self._call(lib.mdb_map_clear)

    def popitem(self) -> Tuple[bytes, bytes]:
        """Removes and returns the first (key, value); KeyError if the map is empty."""
        key, value = self._first(self.iter())
        self.discard(key)
        return key, value

    def iter(self, start: Optional[bytes] = None) -> Iterator[Tuple[bytes, bytes]]:
        """An iterator over (key, value) from the first key ``>= start``; close it (or use
        ``with``) to let the map accept writes again before its end."""
        from_key = b"" if start is None else as_bytes(start, "a start key")
        return self._open_iter(lib.mdb_map_iter, from_key, _pair)

    def items(self, start: Optional[bytes] = None) -> Generator[Tuple[bytes, bytes], None, None]:  # type: ignore[override]
        """(key, value) pairs in key order, from the first key ``>= start``."""
        from_key = b"" if start is None else as_bytes(start, "a start key")
        return self._generate(lambda: self._open_iter(lib.mdb_map_iter, from_key, _pair))

    def keys(self, start: Optional[bytes] = None) -> Generator[bytes, None, None]:  # type: ignore[override]
        """The keys in order, from the first key ``>= start``."""
        from_key = b"" if start is None else as_bytes(start, "a start key")
        return self._generate(lambda: self._open_iter(lib.mdb_map_iter, from_key, _key))

    def values(self, start: Optional[bytes] = None) -> Generator[bytes, None, None]:  # type: ignore[override]
        """The values in key order, from the first key ``>= start``."""
        from_key = b"" if start is None else as_bytes(start, "a start key")
        return self._generate(lambda: self._open_iter(lib.mdb_map_iter, from_key, _value))

    def __iter__(self) -> Generator[bytes, None, None]:
        return self.keys()

    def __len__(self) -> int:
        return sum(1 for _ in self.keys())


class ListIndex(Index, collections.abc.Sequence[bytes]):
    """A list of byte values at positions 0 to ``len - 1``: a ``Sequence`` that also appends,
    extends, pops from the end, truncates and replaces values in place. Values cannot be
    inserted or deleted in the middle."""

    _kind = "list"

    def __init__(self, ptr: Any, access: "Access", name: str, group: Optional[bytes]):
        super().__init__(ptr, lib.mdb_list_free, access, name, group)

    def __len__(self) -> int:
        length = c_uint64()
        self._call(lib.mdb_list_len, byref(length))
        return length.value

    def _position(self, index: int) -> int:
        if not isinstance(index, int) or isinstance(index, bool):
            raise TypeError(f"list indices must be integers, not {type(index).__name__}")
        if index < 0:
            index += len(self)
            if index < 0:
                raise IndexError(f"list index out of range for the {self._describe()}")
        return as_position(index, "a list index")


    @overload
    def __getitem__(self, index: int) -> bytes: ...

    @overload
    def __getitem__(self, index: slice) -> list[bytes]: ...

    def __getitem__(self, index: Union[int, slice]) -> Union[bytes, list[bytes]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        value = self._lookup(lib.mdb_list_get, self._position(index))
        if value is None:
            raise IndexError(f"list index {index} out of range for the {self._describe()}")
        return value

    def __setitem__(self, index: int, value: bytes) -> None:
        """Replaces the value at `index`; OutOfRangeError (an IndexError) past the end."""
        value = as_bytes(value, "a list value")
        self._call(lib.mdb_list_set, self._position(index), value, len(value))

    def append(self, value: bytes) -> None:
        """Appends `value` at the end."""
        value = as_bytes(value, "a list value")
        self._call(lib.mdb_list_push, value, len(value))

    def extend(self, values: Iterable[bytes]) -> None:
        """Appends every value of `values`."""
        for value in values:
            self.append(value)

    def pop(self) -> bytes:
        """Removes and returns the last value; IndexError if the list is empty."""
        value = self._lookup(lib.mdb_list_pop)
        if value is None:
            raise IndexError(f"pop from the empty {self._describe()}")
        return value

    def last(self) -> Optional[bytes]:
        """The last value, or None if the list is empty."""
        return self._lookup(lib.mdb_list_last)

    def truncate(self, length: int) -> None:
        """Keeps the first `length` values; does nothing if the list is not longer."""
        self._call(lib.mdb_list_truncate, as_position(length, "a length"))

    def clear(self) -> None:
        """Removes every value."""
        self._call(lib.mdb_list_clear)

    def iter(self, start: int = 0) -> Iterator[Tuple[int, bytes]]:
        """An iterator over (position, value) from position `start`."""
        return self._open_iter(lib.mdb_list_iter, as_position(start), _position_pair)

    def items(self, start: int = 0) -> Generator[Tuple[int, bytes], None, None]:
        """(position, value) pairs from position `start`."""
        first = as_position(start)
        return self._generate(lambda: self._open_iter(lib.mdb_list_iter, first, _position_pair))

    def __iter__(self) -> Generator[bytes, None, None]:
        return self._generate(lambda: self._open_iter(lib.mdb_list_iter, 0, _value))


class SparseListIndex(Index, collections.abc.MutableMapping[int, bytes]):
    """A list whose positions may have gaps: a ``MutableMapping`` from positions to values,
    iterated in order of position, that also pushes at the end (`push`), removes the first
    value (`popleft`) and reports its `capacity` (one past the highest position ever used)."""

    _kind = "sparse list"

    def __init__(self, ptr: Any, access: "Access", name: str, group: Optional[bytes]):
        super().__init__(ptr, lib.mdb_sparse_list_free, access, name, group)

    def get(self, position: int, default: Any = None) -> Any:
        """The value at `position`, or `default`."""
        value = self._lookup(lib.mdb_sparse_list_get, as_position(position))
        return default if value is None else value

    def __getitem__(self, position: int) -> bytes:
        value = self.get(position, _MISSING)
        if value is _MISSING:
            raise KeyError(position)
        return value  # type: ignore[no-any-return]

    def __contains__(self, position: object) -> bool:
        return self.get(position, _MISSING) is not _MISSING  # type: ignore[arg-type]

    def swap(self, position: int, value: bytes) -> Optional[bytes]:
        """Stores `value` at `position` and returns the value it replaced, or None."""
        value = as_bytes(value, "a sparse list value")
        return self._lookup(lib.mdb_sparse_list_set, as_position(position), value, len(value))

    def __setitem__(self, position: int, value: bytes) -> None:
        self.swap(position, value)

    def remove(self, position: int) -> Optional[bytes]:
        """Removes the value at `position`, returning it, or None if there was none."""
        return self._lookup(lib.mdb_sparse_list_remove, as_position(position))

    def __delitem__(self, position: int) -> None:
        if self.remove(position) is None:
            raise KeyError(position)

    def pop(self, position: int, default: Any = _MISSING) -> Any:
        """Removes and returns the value at `position`; `default`, or KeyError, if none."""
        value = self.remove(position)
        if value is None:
            if default is _MISSING:
                raise KeyError(position)
            return default
        return value

    def push(self, value: bytes) -> int:
        """Stores `value` at position `capacity` and returns that position."""
        value = as_bytes(value, "a sparse list value")
        self._call(lib.mdb_sparse_list_push, value, len(value))
        return self.capacity - 1

    def popleft(self) -> bytes:
        """Removes and returns the value at the lowest position; IndexError if empty."""
        value = self._lookup(lib.mdb_sparse_list_pop)
        if value is None:
            raise IndexError(f"popleft from the empty {self._describe()}")
        return value

    def popitem(self) -> Tuple[int, bytes]:
        """Removes and returns the (position, value) at the lowest position."""
        position, _ = self._first(self.iter())
        return position, self.pop(position)

    @property
    def capacity(self) -> int:
        """One past the highest position ever used: where `push` stores next."""
        capacity = c_uint64()
        self._call(lib.mdb_sparse_list_capacity, byref(capacity))
        return capacity.value

    def __len__(self) -> int:
        length = c_uint64()
        self._call(lib.mdb_sparse_list_len, byref(length))
        return length.value

    def clear(self) -> None:
        """Removes every value; the capacity goes back to 0."""
        self._call(lib.mdb_sparse_list_clear)

    def iter(self, start: int = 0) -> Iterator[Tuple[int, bytes]]:
        """An iterator over (position, value) of the values present, from position `start`."""
        return self._open_iter(lib.mdb_sparse_list_iter, as_position(start), _position_pair)

    def items(self, start: int = 0) -> Generator[Tuple[int, bytes], None, None]:  # type: ignore[override]
        """(position, value) of the values present, from position `start`."""
        first = as_position(start)
        return self._generate(
            lambda: self._open_iter(lib.mdb_sparse_list_iter, first, _position_pair))

    def keys(self, start: int = 0) -> Generator[int, None, None]:  # type: ignore[override]
        """The positions that hold a value, from `start`."""
        first = as_position(start)
        return self._generate(
            lambda: self._open_iter(lib.mdb_sparse_list_iter, first, _position))

    def values(self, start: int = 0) -> Generator[bytes, None, None]:  # type: ignore[override]
        """The values present in order of position, from `start`."""
        first = as_position(start)
        return self._generate(lambda: self._open_iter(lib.mdb_sparse_list_iter, first, _value))

    def __iter__(self) -> Generator[int, None, None]:
        return self.keys()


class KeySet(Index, collections.abc.MutableSet[bytes]):
    """A set of byte keys, iterated in key order: a ``MutableSet``. ``len()`` counts the keys
    by iterating them; set operators (``|``, ``&``) return builtin sets."""

    _kind = "key set"

    def __init__(self, ptr: Any, access: "Access", name: str, group: Optional[bytes]):
        super().__init__(ptr, lib.mdb_key_set_free, access, name, group)

    @classmethod
    def _from_iterable(cls, iterable: Iterable[bytes]) -> set[bytes]:  # type: ignore[override]
        return set(iterable)

    def __contains__(self, key: object) -> bool:
        key = as_bytes(key, "a key")
        found = c_bool()
        self._call(lib.mdb_key_set_contains, key, len(key), byref(found))
        return found.value

    def add(self, key: bytes) -> None:
        """Adds `key`; adding a present key changes nothing."""
        key = as_bytes(key, "a key")
        self._call(lib.mdb_key_set_insert, key, len(key))

    def discard(self, key: bytes) -> None:
        """Removes `key` if it is present."""
        key = as_bytes(key, "a key")
        self._call(lib.mdb_key_set_remove, key, len(key))

    def clear(self) -> None:
        """Removes every key."""
        self._call(lib.mdb_key_set_clear)

    def pop(self) -> bytes:
        """Removes and returns the first key; KeyError if the set is empty."""
        key = self._first(self.iter())
        self.discard(key)
        return key

    def iter(self, start: Optional[bytes] = None) -> Iterator[bytes]:
        """An iterator over the keys from the first key ``>= start``."""
        from_key = b"" if start is None else as_bytes(start, "a start key")
        return self._open_iter(lib.mdb_key_set_iter, from_key, _key)

    def __iter__(self) -> Generator[bytes, None, None]:
        return self._generate(lambda: self._open_iter(lib.mdb_key_set_iter, b"", _key))

    def __len__(self) -> int:
        return sum(1 for _ in self)


class Entry(Index):
    """One optional byte value."""

    _kind = "entry"

    def __init__(self, ptr: Any, access: "Access", name: str, group: Optional[bytes]):
        super().__init__(ptr, lib.mdb_entry_free, access, name, group)

    def get(self) -> Optional[bytes]:
        """The value, or None if the entry is unset."""
        return self._lookup(lib.mdb_entry_get)

    def exists(self) -> bool:
        """Whether the entry holds a value (an empty value counts)."""
        found = c_bool()
        self._call(lib.mdb_entry_exists, byref(found))
        return found.value

    def set(self, value: bytes) -> None:
        """Sets the value."""
        value = as_bytes(value, "an entry value")
        self._call(lib.mdb_entry_set, value, len(value))

    def swap(self, value: bytes) -> Optional[bytes]:
        """Sets the value and returns the previous one, or None."""
        value = as_bytes(value, "an entry value")
        return self._lookup(lib.mdb_entry_swap, value, len(value))

    def take(self) -> Optional[bytes]:
        """Unsets the entry and returns the value it held, or None."""
        return self._lookup(lib.mdb_entry_take)

    def remove(self) -> None:
        """Unsets the entry."""
        self._call(lib.mdb_entry_remove)
