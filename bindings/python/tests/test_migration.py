"""Migrations: examples-c/migration.c in Python, and the helper's and abort handle's rules."""

from __future__ import annotations

import itertools
import threading
import time

import pytest

import metaldb

NAMESPACE = "bank"
ACCOUNTS = {
    b"alice": b"100", b"bob": b"75", b"carol": b"11", b"dave": b"99", b"erin": b"42",
    b"frank": b"7", b"grace": b"1000", b"heidi": b"0", b"ivan": b"23", b"judy": b"58",
}
CHUNK = 3


def write_old_layout(db: metaldb.Database) -> None:
    with db.transaction() as fork:
        fork.rollback_migration(NAMESPACE)  # what an interrupted earlier run left
        balances = fork.map(f"{NAMESPACE}.balances")
        balances.clear()
        balances.update(ACCOUNTS)


def encode_balance(text: bytes) -> bytes:
    """The new layout: the decimal text as a 64-bit big-endian integer."""
    return int(text).to_bytes(8, "big")


class Run:
    """One run of the migration loop: moves CHUNK balances per round."""

    def __init__(self, abort_in_round: int = 0):
        self.abort_in_round = abort_in_round
        self.rounds = 0
        self.moved = 0

    def step(self, helper: metaldb.MigrationHelper, iters: metaldb.PersistentIters) -> None:
        self.rounds += 1
        old_balances = helper.old_data.map("balances")
        new_balances = helper.new_data.map("balances")
        it = iters.create("balances", old_balances)
        for name, text in itertools.islice(it, CHUNK):
            new_balances[name] = encode_balance(text)
            self.moved += 1
        if self.rounds == self.abort_in_round:
            # An operator's "cancel", from another thread; joined, so that the same round
            # is aborted every time.
            thread = threading.Thread(target=helper.abort_handle.abort)
            thread.start()
            thread.join()


def count_migrated(db: metaldb.Database) -> int:
    with db.snapshot() as snapshot, snapshot.migration(NAMESPACE) as migration:
        return len(migration.map("balances"))


def test_migration_example_aborted_from_another_thread_then_resumed(disk_db):
    db = disk_db
    write_old_layout(db)

    # First run: aborted from another thread in round 3; rounds 1 and 2 are merged.
    first = Run(abort_in_round=3)
    with db.migration(NAMESPACE) as helper:
        with pytest.raises(metaldb.AbortedError) as err:
            helper.iter_loop(first.step)
        assert err.value.code_name == "MDB_ERR_ABORTED"
    assert first.rounds == 3
    merged = count_migrated(db)
    assert merged == 2 * CHUNK

    # Second run, with a new helper: resumes after the last merged entry.
    second = Run()
    with db.migration(NAMESPACE) as helper:
        helper.iter_loop(second.step)
        helper.finish()
        assert helper.abort_handle.finished
    assert merged + second.moved == len(ACCOUNTS)
    assert count_migrated(db) == len(ACCOUNTS)

    # Swap the new data in: flush in a fork made after the migration's last merge.
    with db.snapshot() as snapshot:
        assert snapshot.map(f"{NAMESPACE}.balances")[b"grace"] == b"1000"
    db.flush_migration(NAMESPACE)
    with db.snapshot() as snapshot:
        balances = snapshot.map(f"{NAMESPACE}.balances")
        assert dict(balances.items()) == {k: encode_balance(v) for k, v in ACCOUNTS.items()}


def test_abort_from_another_thread_stops_a_running_loop(db):
    with db.transaction() as fork:
        fork.map("big.items").update({b"%06d" % i: b"v" for i in range(3000)})
    rounds = []
    with db.migration("big") as helper:
        abort_handle = helper.abort_handle

        def step(helper, iters):
            rounds.append(1)
            new = helper.new_data.map("items")
            for key, value in itertools.islice(iters.create("items", helper.old_data.map("items")), 10):
                new[key] = value
            time.sleep(0.001)

        aborter = threading.Thread(target=lambda: (time.sleep(0.05), abort_handle.abort()))
        aborter.start()
        with pytest.raises(metaldb.AbortedError):
            helper.iter_loop(step)
        aborter.join()
        assert 1 <= len(rounds) < 300  # stopped before the end
        with pytest.raises(metaldb.StaleHandleError):
            helper.merge()  # an aborted helper is unusable


def test_closing_the_abort_handle_does_not_abort(db):
    with db.migration("ns") as helper:
        helper.new_data.map("m")[b"k"] = b"v"
        helper.abort_handle.close()
        helper.abort_handle.close()
        with pytest.raises(metaldb.ClosedError):
            helper.abort_handle.abort()
        helper.finish()  # not aborted
    with db.snapshot() as snapshot:
        assert snapshot.migration("ns").map("m")[b"k"] == b"v"


def test_garbage_collected_abort_handle_does_not_abort(db):
    import gc
    helper = db.migration("ns", abortable=True)
    handle, helper.abort_handle = helper.abort_handle, None
    with pytest.warns(ResourceWarning, match="abort handle"):
        del handle
        gc.collect()
    helper.new_data.map("m")[b"k"] = b"v"
    helper.finish()
    helper.close()
    with db.snapshot() as snapshot:
        assert snapshot.migration("ns").map("m")[b"k"] == b"v"


def test_merge_makes_the_helpers_handles_stale(db):
    with db.migration("ns", abortable=False) as helper:
        assert helper.abort_handle is None
        view = helper.new_data
        m = view.map("m")
        m[b"k"] = b"v"
        helper.merge()
        with pytest.raises(metaldb.StaleHandleError):
            m[b"k2"] = b"v2"
        with pytest.raises(metaldb.StaleHandleError):
            view.map("other")
        helper.new_data.map("m")[b"k2"] = b"v2"  # open again for the next step
        helper.finish()
        with pytest.raises(metaldb.StaleHandleError):
            helper.new_data
    with db.snapshot() as snapshot:
        assert len(snapshot.migration("ns").map("m")) == 2


def test_exception_in_a_step_stops_the_loop_and_is_raised_again(db):
    with db.transaction() as fork:
        fork.map("ns.m").update({b"a": b"1", b"b": b"2"})

    def step(helper, iters):
        helper.new_data.map("m")[b"written"] = b"x"
        raise KeyError("from the step")

    with db.migration("ns") as helper:
        with pytest.raises(KeyError, match="from the step"):
            helper.iter_loop(step)
    assert count_in_migration(db, "ns") == 0  # the round was not merged


def count_in_migration(db, namespace):
    with db.snapshot() as snapshot:
        return len(snapshot.migration(namespace).map("m"))


def test_step_may_not_merge_finish_or_close_its_helper(db):
    outcomes = []

    def step(helper, iters):
        for action in (helper.merge, helper.finish, helper.close):
            try:
                action()
            except metaldb.InvalidArgumentError as err:
                outcomes.append("inside its iter_loop step" in str(err))

    with db.migration("ns") as helper:
        helper.iter_loop(step)
    assert outcomes == [True, True, True]


def test_persistent_iterators_of_a_round_are_usable_only_during_it(db):
    kept = []

    def step(helper, iters):
        kept.append(iters)

    with db.migration("ns") as helper:
        helper.iter_loop(step)
        with pytest.raises(metaldb.StaleHandleError):
            kept[0].create("x", helper.old_data.map("m"))


def test_tombstones_remove_indexes_at_the_flush(db):
    with db.transaction() as fork:
        fork.map("ns.obsolete")[b"k"] = b"v"
        fork.map("ns.kept")[b"k"] = b"v"
    with db.migration("ns") as helper:
        helper.new_data.create_tombstone("obsolete")
        helper.finish()
    db.flush_migration("ns")
    with db.snapshot() as snapshot:
        assert snapshot.index_type("ns.obsolete") is None
        assert snapshot.map("ns.kept")[b"k"] == b"v"


def test_rollback_drops_the_migration_and_keeps_the_old_data(db):
    with db.transaction() as fork:
        fork.map("ns.m")[b"k"] = b"old"
    with db.migration("ns") as helper:
        helper.new_data.map("m")[b"k"] = b"new"
        helper.scratchpad.entry("progress").set(b"1")
        helper.finish()
    db.rollback_migration("ns")
    with db.snapshot() as snapshot:
        assert snapshot.map("ns.m")[b"k"] == b"old"
        assert len(snapshot.migration("ns").map("m")) == 0
        assert snapshot.scratchpad("ns").entry("progress").get() is None


def test_invalid_namespace_is_refused(db):
    with pytest.raises(metaldb.InvalidArgumentError):
        db.migration("bad.namespace")


def test_iter_loop_migrates_a_list_and_a_key_set_in_rounds(db):
    with db.transaction() as fork:
        fork.list("ns.events").extend([b"e%d" % i for i in range(7)])
        members = fork.key_set("ns.members")
        members |= {b"m%d" % i for i in range(5)}
    rounds = []

    def step(helper, iters):
        rounds.append(1)
        events = iters.create("events", helper.old_data.list("events"))
        new_events = helper.new_data.list("events")
        for position, value in itertools.islice(events, 3):
            assert position == len(new_events)
            new_events.append(value.upper())
        members = iters.create("members", helper.old_data.key_set("members"))
        new_members = helper.new_data.key_set("members")
        for key in itertools.islice(members, 2):
            new_members.add(key.upper())

    with db.migration("ns") as helper:
        helper.iter_loop(step)
        helper.finish()
    assert len(rounds) == 3
    db.flush_migration("ns")
    with db.snapshot() as snapshot:
        assert list(snapshot.list("ns.events")) == [b"E%d" % i for i in range(7)]
        assert set(snapshot.key_set("ns.members")) == {b"M%d" % i for i in range(5)}
