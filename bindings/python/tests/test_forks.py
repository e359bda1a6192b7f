"""Forks, patches, snapshots and transactions: isolation, merging, staleness, persistence."""

from __future__ import annotations

import pytest

import metaldb


def test_snapshot_is_isolated_from_later_merges(db):
    with db.transaction() as fork:
        fork.map("m")[b"k"] = b"old"
    with db.snapshot() as before:
        with db.transaction() as fork:
            fork.map("m")[b"k"] = b"new"
        assert before.map("m")[b"k"] == b"old"
        with db.snapshot() as after:
            assert after.map("m")[b"k"] == b"new"


def test_fork_sees_its_own_changes_and_no_one_elses_until_merged(db):
    with db.fork() as first, db.fork() as second:
        first.map("m")[b"k"] = b"first"
        with db.snapshot() as snap:
            assert snap.map("m").get(b"k") is None
        assert second.map("m").get(b"k") is None
        db.merge(first)
        assert second.map("m").get(b"k") is None  # forked before the merge
    with db.snapshot() as snap:
        assert snap.map("m")[b"k"] == b"first"


@pytest.mark.parametrize("where", ["memory", "disk"])
def test_forks_creating_members_of_one_group_keep_their_data_apart(where, db, disk_db):
    database = db if where == "memory" else disk_db
    with database.fork() as first, database.fork() as second:
        first.map("grp", group=b"a")[b"k"] = b"first"
        second.map("grp", group=b"b")[b"k"] = b"second"
        database.merge(first)
        database.merge(second)
    with database.snapshot() as snap:
        assert dict(snap.map("grp", group=b"a").items()) == {b"k": b"first"}
        assert dict(snap.map("grp", group=b"b").items()) == {b"k": b"second"}


def test_merging_an_index_created_with_another_type_is_a_conflict(db):
    with db.fork() as first, db.fork() as second:
        first.map("name")[b"k"] = b"v"
        second.list("name").append(b"x")
        db.merge(first)
        with pytest.raises(metaldb.ConflictError, match='"name"') as raised:
            db.merge(second)
        assert raised.value.code_name == "MDB_ERR_CONFLICT"
    with db.snapshot() as snap:
        assert dict(snap.map("name").items()) == {b"k": b"v"}


def test_transaction_merges_on_clean_exit_and_discards_on_exception(db):
    with db.transaction() as fork:
        fork.map("m")[b"kept"] = b"1"
    with pytest.raises(RuntimeError, match="boom"):
        with db.transaction() as fork:
            fork.map("m")[b"dropped"] = b"2"
            raise RuntimeError("boom")
    assert fork.closed
    with db.snapshot() as snap:
        assert dict(snap.map("m").items()) == {b"kept": b"1"}


def test_transaction_closes_the_indexes_opened_in_it(db):
    with db.transaction() as fork:
        m = fork.map("m")
        m[b"k"] = b"v"
    assert m.closed
    with pytest.raises(metaldb.ClosedError):
        m[b"k"]


def test_indexes_of_a_consumed_fork_are_stale(db):
    with db.fork() as fork:
        m = fork.map("m")
        lst = fork.list("l")
        m[b"k"] = b"v"
        patch = fork.into_patch()
        # The C library reports staleness: these objects still hold their handles.
        assert not m.closed
        with pytest.raises(metaldb.StaleHandleError) as err:
            m[b"k2"] = b"v2"
        assert err.value.code == metaldb._ffi.MDB_ERR_STALE_HANDLE
        assert "map 'm'" in str(err.value)
        with pytest.raises(metaldb.StaleHandleError):
            len(lst)
        with pytest.raises(metaldb.StaleHandleError):
            fork.map("other")
        with pytest.raises(metaldb.StaleHandleError):
            fork.into_patch()
        db.merge(patch)
        assert patch.closed
        m.close()
    with db.snapshot() as snap:
        assert snap.map("m")[b"k"] == b"v"


def test_rollback_returns_to_the_last_flush_and_makes_indexes_stale(db):
    with db.fork() as fork:
        m = fork.map("m")
        m[b"a"] = b"1"
        fork.flush()
        m[b"b"] = b"2"
        fork.rollback()
        with pytest.raises(metaldb.StaleHandleError):
            m[b"c"] = b"3"
        assert dict(fork.map("m").items()) == {b"a": b"1"}


def test_patch_turns_back_into_a_fork(db):
    with db.fork() as fork:
        fork.map("m")[b"a"] = b"1"
        patch = fork.into_patch()
    with patch.into_fork() as again:
        with pytest.raises(metaldb.StaleHandleError):
            patch.map("m")
        again.map("m")[b"b"] = b"2"
        db.merge(again, sync=True)
    patch.close()
    with db.snapshot() as snap:
        assert dict(snap.map("m").items()) == {b"a": b"1", b"b": b"2"}


def test_merge_takes_only_patches_and_forks(db):
    with pytest.raises(TypeError, match="Patch or a Fork"):
        db.merge("patch")  # type: ignore[arg-type]


def test_data_persists_across_reopening(tmp_path):
    path = tmp_path / "db"
    with metaldb.open(path, compression="snappy") as db:
        with db.transaction(sync=True) as fork:
            fork.map("m")[b"k"] = b"v"
            fork.list("l").extend([b"1", b"2"])
    with metaldb.open(str(path), create_if_missing=False) as db, db.snapshot() as snap:
        assert snap.map("m")[b"k"] == b"v" and list(snap.list("l")) == [b"1", b"2"]


def test_open_errors_are_os_errors_with_the_library_message(tmp_path):
    with pytest.raises(metaldb.StorageError) as err:
        metaldb.open(tmp_path / "missing", create_if_missing=False)
    assert isinstance(err.value, OSError) and err.value.message
    assert str(tmp_path / "missing") in str(err.value)
    with metaldb.open(tmp_path / "db"):
        with pytest.raises(metaldb.StorageError, match="(?i)lock"):
            metaldb.open(tmp_path / "db")  # locked by the first handle
    with pytest.raises(ValueError, match="unknown compression 'gzip'"):
        metaldb.open(tmp_path / "x", compression="gzip")


def test_checkpoint_writes_an_independent_copy(disk_db, tmp_path):
    with disk_db.transaction() as fork:
        fork.map("m")[b"k"] = b"v"
    disk_db.checkpoint(tmp_path / "copy")
    with disk_db.transaction() as fork:
        fork.map("m")[b"k"] = b"changed"
    with metaldb.open(tmp_path / "copy") as copy, copy.snapshot() as snap:
        assert snap.map("m")[b"k"] == b"v"
    with pytest.raises(metaldb.StorageError):
        disk_db.checkpoint(tmp_path / "copy")  # exists


def test_read_only_open_works_beside_a_writer_and_refuses_merges_and_checkpoints(tmp_path):
    path = tmp_path / "db"
    with pytest.raises(metaldb.StorageError):
        metaldb.open(path, read_only=True)
    assert not path.exists()  # a read-only open never creates the database
    with metaldb.open(path) as writer:
        with writer.transaction() as fork:
            fork.map("m")[b"k"] = b"first"
        with metaldb.open(path, read_only=True) as reader:
            with writer.transaction() as fork:
                fork.map("m")[b"k"] = b"second"
            with reader.snapshot() as snap:
                assert snap.map("m")[b"k"] == b"first"  # as it was when opened
            with pytest.raises(metaldb.StorageError, match="read-only"):
                with reader.transaction() as fork:
                    fork.map("m")[b"k"] = b"refused"
            with pytest.raises(metaldb.StorageError, match="read-only"):
                reader.checkpoint(tmp_path / "copy")
            assert not (tmp_path / "copy").exists()


def test_checkpoint_of_a_temporary_database_is_refused(db, tmp_path):
    with pytest.raises(metaldb.InvalidArgumentError):
        db.checkpoint(tmp_path / "copy")


@pytest.mark.parametrize("seed", range(3))
def test_random_writes_merges_and_rollbacks_match_a_dict_model(db, seed):
    import random

    rng = random.Random(seed)
    merged: dict = {}
    for _ in range(20):
        model = dict(merged)
        checkpoint = dict(model)
        with db.fork() as fork:
            for _ in range(30):
                m = fork.map("model")
                key = b"k%d" % rng.randrange(40)
                action = rng.random()
                if action < 0.5:
                    value = bytes(rng.randrange(256) for _ in range(rng.randrange(4)))
                    m[key] = value
                    model[key] = value
                elif action < 0.7:
                    m.discard(key)
                    model.pop(key, None)
                elif action < 0.8:
                    fork.flush()
                    checkpoint = dict(model)
                elif action < 0.85:
                    fork.rollback()
                    model = dict(checkpoint)
                else:
                    assert m.get(key) == model.get(key)
            assert dict(fork.map("model").items()) == model
            if rng.random() < 0.7:
                db.merge(fork)
                merged = model
        with db.snapshot() as snapshot:
            assert dict(snapshot.map("model").items()) == merged


@pytest.mark.parametrize("compression", list(metaldb.Compression))
def test_compression_opens_when_built_in_and_fails_clearly_otherwise(tmp_path, compression):
    feature = compression.name.lower().replace("lz4hc", "lz4")
    path = tmp_path / "db"
    if compression is metaldb.Compression.NONE or feature in metaldb.features():
        with metaldb.open(path, compression=compression) as db:
            with db.transaction() as fork:
                fork.map("m")[b"k"] = b"v" * 1000
        with metaldb.open(path, compression=compression.name.lower()) as db, db.snapshot() as snap:
            assert snap.map("m")[b"k"] == b"v" * 1000
    else:
        with pytest.raises(metaldb.Error, match=f"(?i){compression.name}"):
            metaldb.open(path, compression=compression)
