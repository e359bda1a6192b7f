"""Handles: idempotent close in any order, ClosedError before any C call, garbage-collected
handles freed (with a ResourceWarning), and no use in a forked child."""

from __future__ import annotations

import gc
import os
import random

import pytest

import metaldb
from metaldb import _lib
from metaldb._handle import live_handles


def open_everything(db):
    """One object of every kind, children before parents in the list."""
    fork = db.fork()
    snapshot = db.snapshot()
    view = fork.prefixed("p")
    m = fork.map("m")
    m[b"k"] = b"v"
    it = m.iter()
    objects = [it, m, view.list("l"), view.sparse_list("s"), view.key_set("k"),
               view.entry("e"), view, fork.readonly(), fork, snapshot.map("m"), snapshot]
    helper = db.migration("ns")
    objects += [helper.new_data.map("m"), helper.old_data, helper.scratchpad, helper,
                helper.abort_handle]
    return objects


@pytest.mark.parametrize("seed", range(8))
def test_handles_close_in_any_order_and_twice(seed):
    before = live_handles()
    db = metaldb.temporary()
    objects = open_everything(db) + [db]
    random.Random(seed).shuffle(objects)
    for obj in objects:
        obj.close()
        obj.close()
        assert obj.closed
    assert live_handles() == before


def test_closing_the_database_closes_everything_opened_from_it():
    before = live_handles()
    db = metaldb.temporary()
    objects = open_everything(db)
    db.close()
    assert all(obj.closed for obj in objects)
    assert live_handles() == before


def test_closed_objects_raise_closed_error_before_calling_c(db, monkeypatch):
    with db.fork() as fork:
        m = fork.map("m")
    def must_not_be_called(*args):
        raise AssertionError("a closed object called the library")
    monkeypatch.setattr(_lib.lib, "mdb_map_get", must_not_be_called)
    monkeypatch.setattr(_lib.lib, "mdb_fork_new", must_not_be_called)
    with pytest.raises(metaldb.ClosedError) as err:
        m.get(b"k")
    assert isinstance(err.value, ValueError) and err.value.code is None
    assert "map 'm'" in str(err.value) and "closed" in str(err.value)
    db.close()
    with pytest.raises(metaldb.ClosedError):
        db.fork()


def test_every_object_is_a_context_manager(db):
    with db.fork() as fork, fork.map("m") as m, m.iter() as it:
        assert not it.closed
    assert it.closed and m.closed and fork.closed


def test_garbage_collected_handles_are_freed_with_a_resource_warning(db):
    before = live_handles()
    fork = db.fork()
    m = fork.map("m")
    m[b"k"] = b"v"
    it = m.iter()
    assert live_handles()["iterator"] == before.get("iterator", 0) + 1
    with pytest.warns(ResourceWarning, match="unclosed metaldb"):
        del fork, m, it
        gc.collect()
    assert live_handles() == before


def test_garbage_collection_releases_the_database_lock(tmp_path):
    path = tmp_path / "db"
    db = metaldb.open(path)
    fork = db.fork()
    fork.map("m")[b"k"] = b"v"
    with pytest.warns(ResourceWarning):
        del db, fork
        gc.collect()
    # RocksDB holds its lock file until the C database and all its children are freed.
    with metaldb.open(path) as again:
        again.fork().close()


def test_garbage_collected_helper_is_gone_for_its_abort_handle(db):
    helper = db.migration("ns")
    abort_handle = helper.abort_handle
    new_map = helper.new_data.map("m")
    new_map[b"k"] = b"v"
    assert not abort_handle.finished
    with pytest.warns(ResourceWarning):
        del helper, new_map
        gc.collect()
    # The library says so: the helper and everything opened from it were freed.
    assert abort_handle.finished
    abort_handle.close()


def test_forked_child_refuses_the_parents_objects(db):
    fork = db.fork()
    m = fork.map("m")
    pid = os.fork()
    if pid == 0:  # the child: report through the exit status only
        status = 0
        try:
            m[b"k"] = b"v"
            status = 2
        except metaldb.ForkedProcessError as err:
            status = 0 if str(os.getppid()) in str(err) else 3
        except BaseException:
            status = 4
        try:
            m.close()  # closing in the child forgets the handle without touching it
            fork.close()
        except BaseException:
            status = 5
        os._exit(status)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
    m[b"k"] = b"v"  # the parent's objects are intact
    assert m[b"k"] == b"v"
    m.close()
    fork.close()


def test_collection_between_a_failure_and_its_message_keeps_the_message(db, monkeypatch):
    # A garbage collection may run a finalizer between a failed call and the read of its
    # message on the same thread. A free there would clear the message (every call clears
    # it), so such frees wait until after the read.
    garbage: list = [db.fork()]
    garbage.append(garbage)  # a cycle: only the collector frees it
    del garbage
    read_message = _lib.lib.mdb_last_error_message

    def collect_then_read():
        gc.collect()
        return read_message()

    monkeypatch.setattr(_lib.lib, "mdb_last_error_message", collect_then_read)
    with db.fork() as fork:
        with pytest.warns(ResourceWarning, match="unclosed metaldb fork"):
            with pytest.raises(metaldb.InvalidArgumentError) as err:
                fork.map("bad name")
        assert "bad name" in err.value.message
    monkeypatch.undo()
    with db.fork():  # the deferred free happens at the next call
        pass
    assert "fork" not in live_handles() or live_handles()["fork"] == 0
