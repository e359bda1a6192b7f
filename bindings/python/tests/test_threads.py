"""Threads: error messages stay with the thread of the failed call; shared objects work."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import metaldb

THREADS = 16
ROUNDS = 200


def test_sixteen_threads_failing_different_calls_each_see_their_own_error(db):
    with db.transaction() as fork:
        fork.entry("occupied").set(b"x")
    barrier = threading.Barrier(THREADS)

    def fail(i: int) -> int:
        """Fails one call, different per thread, ROUNDS times; checks every error."""
        with db.fork() as fork:
            lst = fork.list(f"list{i}")
            lst.append(b"only")
            barrier.wait()
            for _ in range(ROUNDS):
                kind = i % 4
                if kind == 0:
                    name = f"bad name {i}"
                    with pytest.raises(metaldb.InvalidArgumentError) as err:
                        fork.map(name)
                    assert name in err.value.message, err.value.message
                elif kind == 1:
                    position = 1000 + i
                    with pytest.raises(metaldb.OutOfRangeError) as err:
                        lst[position] = b"x"
                    assert str(position) in err.value.message, err.value.message
                elif kind == 2:
                    with pytest.raises(metaldb.WrongIndexTypeError) as err:
                        fork.map("occupied")
                    assert "occupied" in err.value.message, err.value.message
                else:
                    prefix = f"bad.prefix{i}"
                    with pytest.raises(metaldb.InvalidArgumentError) as err:
                        fork.prefixed(prefix)
                    assert prefix in err.value.message, err.value.message
                assert lst[0] == b"only"  # a success between failures clears nothing of others
        return i

    with ThreadPoolExecutor(THREADS) as pool:
        assert sorted(pool.map(fail, range(THREADS))) == list(range(THREADS))


def test_threads_share_a_database_and_merge_their_own_forks(db):
    def write(i: int) -> None:
        for round_ in range(20):
            with db.transaction() as fork:
                fork.map("shared")[b"t%02d-%02d" % (i, round_)] = b"%d" % i

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, range(8)))
    with db.snapshot() as snap:
        assert len(snap.map("shared")) == 8 * 20


def test_close_waits_for_a_call_in_flight_on_another_thread(db):
    fork = db.fork()
    m = fork.map("m")
    for i in range(2000):
        m[b"%05d" % i] = b"x" * 100
    started = threading.Event()
    result = []

    def count() -> None:
        started.set()
        try:
            result.append(len(m))
        except metaldb.ClosedError:
            result.append("closed")

    thread = threading.Thread(target=count)
    thread.start()
    started.wait()
    fork.close()  # never frees a handle under a running call
    thread.join()
    assert result in ([2000], ["closed"])
    assert m.closed


@pytest.mark.parametrize("seed", range(3))
def test_closing_while_other_threads_use_the_objects_raises_cleanly(seed):
    import random

    from metaldb._handle import live_handles

    before = live_handles()
    db = metaldb.temporary()
    fork = db.fork()
    for i in range(50):
        fork.map("m")[b"%03d" % i] = b"v"
    snapshot = db.snapshot()
    expected = (metaldb.ClosedError, metaldb.StaleHandleError, metaldb.BorrowedError)
    unexpected = []

    def use(i: int) -> None:
        rng = random.Random(seed * 100 + i)
        for _ in range(300):
            try:
                action = rng.randrange(4)
                if action == 0:
                    fork.map("m")[b"x%d" % i] = b"y"
                elif action == 1:
                    sum(1 for _ in fork.map("m").items())
                elif action == 2:
                    snapshot.map("m").get(b"001")
                else:
                    with db.fork() as own:
                        own.list("l").append(b"z")
            except expected:
                pass
            except BaseException as exc:  # anything else is a bug of the binding
                unexpected.append(repr(exc))

    threads = [threading.Thread(target=use, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    closer = random.Random(seed)
    time.sleep(closer.random() / 50)  # while the threads are busy
    closer.choice([fork, snapshot, db]).close()
    for obj in (fork, snapshot, db):
        obj.close()
    for thread in threads:
        thread.join()
    assert unexpected == []
    assert live_handles() == before


def test_threads_sharing_one_iterator_each_take_other_entries_and_none_is_lost(db):
    count = 20_000
    with db.fork() as fork:
        m = fork.map("m")
        for i in range(count):
            m[b"%06d" % i] = b"%d" % i * (i % 50)
        taken: list[list[tuple[bytes, bytes]]] = [[] for _ in range(4)]
        with m.iter() as it:

            def take(n: int) -> None:
                for item in it:  # the thread's own list: no lock needed
                    taken[n].append(item)

            threads = [threading.Thread(target=take, args=(n,)) for n in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        everything = sorted(item for items in taken for item in items)
        assert everything == [(b"%06d" % i, b"%d" % i * (i % 50)) for i in range(count)]
