"""Iteration: generators and iterators free their C iterator; a live one borrows its index."""

from __future__ import annotations

import gc

import pytest

import metaldb
from metaldb._handle import live_handles


def fill(m, count):
    for i in range(count):
        m[b"k%03d" % i] = b"v%d" % i


def test_writes_during_iteration_raise_borrowed_until_the_iterator_is_freed(db):
    with db.fork() as fork:
        m = fork.map("m")
        fill(m, 3)
        items = m.items()
        assert next(items) == (b"k000", b"v0")
        with pytest.raises(metaldb.BorrowedError) as err:
            m[b"new"] = b"x"
        assert err.value.code_name == "MDB_ERR_BORROWED" and err.value.message
        items.close()  # frees the C iterator
        m[b"new"] = b"x"
        assert len(m) == 4


def test_an_exhausted_generator_frees_its_iterator(db):
    with db.fork() as fork:
        m = fork.map("m")
        fill(m, 3)
        for key, value in m.items():
            pass
        assert live_handles().get("iterator", 0) == 0
        m[b"after"] = b"loop"


def test_breaking_out_of_a_loop_frees_the_iterator_once_the_generator_goes(db):
    with db.fork() as fork:
        m = fork.map("m")
        fill(m, 5)
        for key in m:
            if key == b"k001":
                break
        # The for loop's generator is unreferenced now: CPython closed it, freeing the iterator.
        gc.collect()
        assert live_handles().get("iterator", 0) == 0
        m[b"k999"] = b"x"


def test_iter_context_manager_frees_deterministically(db):
    with db.fork() as fork:
        m = fork.map("m")
        fill(m, 5)
        with m.iter(start=b"k002") as it:
            assert next(it) == (b"k002", b"v2")
            with pytest.raises(metaldb.BorrowedError):
                m.clear()
        assert it.closed
        with pytest.raises(metaldb.ClosedError):
            next(it)  # closed before its end: not an end
        m.clear()


def test_closed_iterator_raises_closed_error_not_stop(db):
    with db.fork() as fork:
        m = fork.map("m")
        fill(m, 2)
        it = m.iter()
        it.close()
        with pytest.raises(metaldb.ClosedError):
            next(it)


def test_iterating_lists_yields_positions_and_values(db):
    with db.fork() as fork:
        lst = fork.list("l")
        lst.extend([b"a", b"b", b"c"])
        with lst.iter(start=1) as it:
            assert list(it) == [(1, b"b"), (2, b"c")]
        sl = fork.sparse_list("s")
        sl[3] = b"three"
        sl[1 << 40] = b"far"
        assert list(sl.items()) == [(3, b"three"), (1 << 40, b"far")]
        assert list(sl.values(start=4)) == [b"far"]


def test_snapshot_iteration_does_not_see_later_writes(db):
    with db.transaction() as fork:
        fill(fork.map("m"), 3)
    with db.snapshot() as snap:
        items = snap.map("m").items()
        assert next(items)[0] == b"k000"
        with db.transaction() as fork:
            fork.map("m")[b"k0005"] = b"inserted"
        assert [k for k, _ in items] == [b"k001", b"k002"]


def take_two(db, name, open_index):
    """Two items of a persistent iterator over `open_index(fork)`, in a merged transaction."""
    with db.transaction() as fork:
        index = open_index(fork)
        with fork.scratchpad("job").persistent_iter(name, index) as it:
            return [item for _, item in zip(range(2), it)]


def test_persistent_iterator_resumes_after_a_restart(tmp_path):
    path = tmp_path / "db"
    with metaldb.open(path) as db, db.transaction() as fork:
        fill(fork.map("m"), 5)
    seen = []
    for _ in range(3):  # a process restart between rounds: the position is in the database
        with metaldb.open(path) as db:
            seen += take_two(db, "m-position", lambda fork: fork.map("m"))
    assert [key for key, _ in seen] == [b"k%03d" % i for i in range(5)]
    with metaldb.open(path) as db:
        assert take_two(db, "m-position", lambda fork: fork.map("m")) == []  # at its end


def test_persistent_iterators_over_every_iterable_index_kind(db):
    with db.transaction() as fork:
        fork.list("l").extend([b"a", b"b", b"c"])
        fork.sparse_list("s").update({2: b"two", 9: b"nine", 20: b"twenty"})
        keys = fork.key_set("k")
        keys |= {b"x", b"y", b"z"}
    assert take_two(db, "l-pos", lambda fork: fork.list("l")) == [(0, b"a"), (1, b"b")]
    assert take_two(db, "l-pos", lambda fork: fork.list("l")) == [(2, b"c")]
    assert take_two(db, "s-pos", lambda fork: fork.sparse_list("s")) == [(2, b"two"), (9, b"nine")]
    assert take_two(db, "s-pos", lambda fork: fork.sparse_list("s")) == [(20, b"twenty")]
    assert take_two(db, "k-pos", lambda fork: fork.key_set("k")) == [b"x", b"y"]
    assert take_two(db, "k-pos", lambda fork: fork.key_set("k")) == [b"z"]
    with db.fork() as fork, pytest.raises(TypeError, match="not Entry"):
        fork.scratchpad("job").persistent_iter("e-pos", fork.entry("e"))


def entry(i):
    """Entry i of the maps the batch tests fill: a 4-byte big-endian key (empty for entry 0)
    and a value of 0 to 40 bytes, so that batches end at varied places in their buffer."""
    return (i.to_bytes(4, "big") if i else b""), bytes([i % 256]) * (i % 41)


def fill_entries(m, count):
    for i in range(count):
        key, value = entry(i)
        m[key] = value


def test_iteration_yields_every_entry_once_in_order_across_many_batches(db):
    count = 3000
    with db.fork() as fork:
        m = fork.map("m")
        fill_entries(m, count)
        lst, sparse, keys = fork.list("l"), fork.sparse_list("s"), fork.key_set("k")
        for i in range(count):
            key, value = entry(i)
            lst.append(value)
            sparse[3 * i] = value
            keys.add(key)
        assert list(m.items()) == [entry(i) for i in range(count)]
        assert list(lst.iter()) == [(i, entry(i)[1]) for i in range(count)]
        assert list(sparse.items()) == [(3 * i, entry(i)[1]) for i in range(count)]
        assert list(keys) == [entry(i)[0] for i in range(count)]
        assert len(m) == count


def test_an_entry_larger_than_the_iterator_buffer_is_yielded_whole(db):
    def large(size):
        # Bytes that differ from one offset to the next, so that a truncated or shifted copy
        # shows.
        return bytes(i * 7 % 251 for i in range(size))

    expected = [(b"a", b"1"), (b"b", large(1 << 20)), (b"c", b"3"), (b"d", large(5 << 20)),
                (b"e", b"")]
    with db.fork() as fork:
        m = fork.map("m")
        m.update(expected)
        got = list(m.items())
    assert [key for key, _ in got] == [key for key, _ in expected]
    for (key, value), (_, want) in zip(got, expected):
        assert value == want, f"the value of {key!r}: {len(value)} bytes, want {len(want)}"


def test_a_failed_batch_raises_its_error_and_the_iteration_goes_on_after_it(db, monkeypatch):
    """A read that fails leaves the C iterator where it was (the library retries it at the
    next call): the entries read before it are yielded first, then its error, then the rest,
    none lost or repeated."""
    from metaldb._ffi import MDB_ERR_STORAGE
    from metaldb._lib import lib

    read_batch = lib.mdb_iter_next_batch
    calls = []

    def second_call_fails(*args):
        calls.append(args)
        return MDB_ERR_STORAGE if len(calls) == 2 else read_batch(*args)

    with db.fork() as fork:
        m = fork.map("m")
        fill_entries(m, 1000)
        monkeypatch.setattr(lib, "mdb_iter_next_batch", second_call_fails)
        with m.iter() as it:
            got = []
            with pytest.raises(metaldb.StorageError) as err:
                for item in it:
                    got.append(item)
            assert "iterator over the map 'm'" in str(err.value)
            assert 0 < len(got) < 1000
            got.extend(it)
        assert got == [entry(i) for i in range(1000)]


def test_an_iterator_over_a_consumed_fork_yields_what_it_read_ahead_then_stale_handle(db):
    fork = db.fork()
    m = fork.map("m")
    fill_entries(m, 1000)
    with m.iter() as it:
        got = [next(it)]
        patch = fork.into_patch()
        with pytest.raises(metaldb.StaleHandleError):
            got.extend(it)
    assert 0 < len(got) < 1000
    assert got == [entry(i) for i in range(len(got))]
    m.close()
    patch.close()
    fork.close()


def test_a_persistent_iterator_stopped_early_resumes_at_the_first_entry_it_did_not_yield(db):
    with db.fork() as fork:
        m = fork.map("m")
        fill_entries(m, 1000)
        pad = fork.scratchpad("work")
        # Three iterators in turn take three entries each and stop: each resumes where the one
        # before stopped, as a program that breaks out of its loop, or crashes, resumes.
        for start in range(0, 9, 3):
            with pad.persistent_iter("pos", m) as it:
                got = [item for _, item in zip(range(3), it)]
            assert got == [entry(i) for i in range(start, start + 3)]


def test_an_iteration_leaves_nothing_for_the_garbage_collector(db):
    """An iterator and its buffers are freed as soon as they are dropped, not at the next
    collection: a buffer in a reference cycle would hold its memory until then."""
    with db.fork() as fork:
        m = fork.map("m")
        fill_entries(m, 3000)
        m[b"large"] = bytes(100_000)

        def iterate():
            for _ in m.items():
                pass
            with m.iter() as it:
                next(it)

        iterate()  # what is made once, on first use, is not garbage
        gc.collect()
        iterate()
        assert gc.collect() == 0
