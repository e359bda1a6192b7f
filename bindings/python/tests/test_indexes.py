"""Each kind of index, through forks and snapshots: the Python protocols over the C calls."""

from __future__ import annotations

import collections.abc

import pytest

import metaldb


def test_map_is_a_mutable_mapping_of_bytes(db):
    with db.fork() as fork:
        m = fork.map("balances")
        assert isinstance(m, collections.abc.MutableMapping)
        m[b"alice"] = b"100"
        m.update({b"bob": b"75", b"carol": b""})
        assert m[b"alice"] == b"100" and m[b"carol"] == b""
        assert m.get(b"dave") is None and m.get(b"dave", b"0") == b"0"
        with pytest.raises(KeyError):
            m[b"dave"]
        assert b"bob" in m and b"dave" not in m
        assert len(m) == 3
        assert list(m) == [b"alice", b"bob", b"carol"]
        assert dict(m.items()) == {b"alice": b"100", b"bob": b"75", b"carol": b""}
        assert list(m.items(start=b"b")) == [(b"bob", b"75"), (b"carol", b"")]
        assert list(m.keys(start=b"bz")) == [b"carol"]
        assert list(m.values()) == [b"100", b"75", b""]
        assert m == {b"alice": b"100", b"bob": b"75", b"carol": b""}
        del m[b"bob"]
        with pytest.raises(KeyError):
            del m[b"bob"]
        assert m.pop(b"alice") == b"100"
        assert m.setdefault(b"erin", b"42") == b"42"
        assert m.popitem() == (b"carol", b"")
        m.discard(b"erin")
        m.discard(b"never there")
        assert len(m) == 0
        m[bytearray(b"k")] = memoryview(b"v")
        assert m[b"k"] == b"v"
        m.clear()
        assert dict(m.items()) == {}
        with pytest.raises(KeyError):
            m.popitem()


def test_map_refuses_str_keys_instead_of_guessing_an_encoding(db):
    with db.fork() as fork:
        m = fork.map("m")
        with pytest.raises(TypeError, match="must be bytes, not str"):
            m["key"] = b"v"
        with pytest.raises(TypeError, match="must be bytes, not int"):
            m[b"key"] = 1


def test_list_is_a_sequence_that_appends_pops_and_truncates(db):
    with db.fork() as fork:
        lst = fork.list("events")
        assert isinstance(lst, collections.abc.Sequence)
        assert len(lst) == 0 and lst.last() is None
        lst.append(b"a")
        lst.extend([b"b", b"c", b"d"])
        assert len(lst) == 4 and list(lst) == [b"a", b"b", b"c", b"d"]
        assert lst[0] == b"a" and lst[-1] == b"d" and lst[1:3] == [b"b", b"c"]
        assert lst[::-2] == [b"d", b"b"]
        with pytest.raises(IndexError):
            lst[4]
        with pytest.raises(IndexError):
            lst[-5]
        lst[1] = b"B"
        lst[-1] = b"D"
        assert list(lst) == [b"a", b"B", b"c", b"D"]
        with pytest.raises(metaldb.OutOfRangeError) as err:
            lst[4] = b"e"
        assert isinstance(err.value, IndexError) and err.value.code == metaldb._ffi.MDB_ERR_OUT_OF_RANGE
        assert b"c" in lst and lst.index(b"c") == 2 and lst.count(b"a") == 1
        assert list(lst.items(start=2)) == [(2, b"c"), (3, b"D")]
        assert lst.pop() == b"D" and lst.last() == b"c"
        lst.truncate(1)
        assert list(lst) == [b"a"]
        lst.truncate(10)
        assert len(lst) == 1
        lst.clear()
        with pytest.raises(IndexError):
            lst.pop()
        with pytest.raises(TypeError):
            lst["0"]


def test_sparse_list_maps_positions_with_gaps(db):
    with db.fork() as fork:
        sl = fork.sparse_list("slots")
        assert isinstance(sl, collections.abc.MutableMapping)
        assert sl.push(b"zero") == 0 and sl.push(b"one") == 1
        sl[5] = b"five"
        assert sl.capacity == 6 and len(sl) == 3
        assert sl[5] == b"five" and sl.get(3) is None and 3 not in sl and 5 in sl
        with pytest.raises(KeyError):
            sl[3]
        assert sl.swap(5, b"FIVE") == b"five" and sl.swap(7, b"seven") is None
        assert list(sl) == [0, 1, 5, 7]
        assert list(sl.items(start=2)) == [(5, b"FIVE"), (7, b"seven")]
        assert sl.remove(1) == b"one" and sl.remove(1) is None
        with pytest.raises(KeyError):
            del sl[1]
        assert sl.capacity == 8  # removing never lowers it
        assert sl.popleft() == b"zero"  # the first value, not the last
        assert sl.popitem() == (5, b"FIVE")
        assert sl.pop(7) == b"seven" and sl.pop(7, None) is None
        with pytest.raises(IndexError):
            sl.popleft()
        sl.push(b"x")
        sl.clear()
        assert sl.capacity == 0 and len(sl) == 0


def test_key_set_is_a_mutable_set_of_bytes(db):
    with db.fork() as fork:
        ks = fork.key_set("members")
        assert isinstance(ks, collections.abc.MutableSet)
        ks.add(b"b")
        ks |= {b"a", b"c"}
        ks.add(b"a")
        assert len(ks) == 3 and b"a" in ks and b"z" not in ks
        assert list(ks) == [b"a", b"b", b"c"]
        with ks.iter(start=b"b") as it:
            assert list(it) == [b"b", b"c"]
        assert ks & {b"a", b"z"} == {b"a"} and ks == {b"a", b"b", b"c"}
        ks.discard(b"b")
        ks.remove(b"c")
        with pytest.raises(KeyError):
            ks.remove(b"c")
        assert ks.pop() == b"a"
        with pytest.raises(KeyError):
            ks.pop()
        ks.add(b"")
        assert b"" in ks
        ks.clear()
        assert len(ks) == 0


def test_entry_holds_one_optional_value(db):
    with db.fork() as fork:
        e = fork.entry("config")
        assert e.get() is None and not e.exists() and e.take() is None
        e.set(b"")
        assert e.exists() and e.get() == b""
        assert e.swap(b"v1") == b"" and e.get() == b"v1"
        assert e.take() == b"v1" and not e.exists()
        e.set(b"v2")
        e.remove()
        assert e.get() is None
        assert e.swap(b"v3") is None


def test_none_and_empty_group_keys_are_different_indexes(db):
    with db.transaction() as fork:
        fork.map("accounts")[b"k"] = b"outside any group"
        fork.map("accounts", b"")[b"k"] = b"empty key"
        fork.map("accounts", b"eu")[b"k"] = b"eu"
    with db.snapshot() as snap:
        assert snap.map("accounts")[b"k"] == b"outside any group"
        assert snap.map("accounts", group=b"")[b"k"] == b"empty key"
        assert snap.map("accounts", group=bytearray(b"eu"))[b"k"] == b"eu"
        assert snap.map("accounts", group=b"us").get(b"k") is None


def test_index_types_are_checked(db):
    with db.transaction() as fork:
        fork.list("things").append(b"x")
        fork.entry("one").set(b"1")
        with pytest.raises(metaldb.WrongIndexTypeError) as err:
            fork.map("things")
    assert isinstance(err.value, TypeError) and "things" in str(err.value)
    with db.snapshot() as snap:
        assert snap.index_type("things") is metaldb.IndexType.LIST
        assert snap.index_type("one") is metaldb.IndexType.ENTRY
        assert snap.index_type("missing") is None


def test_invalid_names_raise_invalid_argument_naming_them(db):
    with db.fork() as fork:
        with pytest.raises(metaldb.InvalidArgumentError) as err:
            fork.map("no spaces allowed")
        assert isinstance(err.value, ValueError)
        assert err.value.code == metaldb._ffi.MDB_ERR_INVALID_ARGUMENT
        assert err.value.code_name == "MDB_ERR_INVALID_ARGUMENT"
        assert "no spaces allowed" in err.value.message
        with pytest.raises(TypeError):
            fork.map(b"bytes-name")  # type: ignore[arg-type]
        with pytest.raises(metaldb.InvalidArgumentError):
            fork.prefixed("bad.prefix")


def test_snapshot_and_patch_indexes_are_read_only(db):
    with db.transaction() as fork:
        fork.map("m")[b"k"] = b"v"
    with db.snapshot() as snap:
        m = snap.map("m")
        assert m[b"k"] == b"v"
        with pytest.raises(metaldb.ReadOnlyError):
            m[b"k"] = b"w"
        assert len(snap.list("never-written")) == 0  # a missing index reads as empty
    with db.fork() as fork:
        fork.map("m")[b"k2"] = b"v2"
        with fork.into_patch() as patch:
            pm = patch.map("m")
            assert dict(pm.items()) == {b"k": b"v", b"k2": b"v2"}
            with pytest.raises(metaldb.ReadOnlyError):
                pm.clear()


def test_read_only_fork_view_sees_unmerged_changes_and_shares_reads(db):
    with db.fork() as fork:
        with fork.map("m") as m:
            m[b"k"] = b"v"
        with fork.readonly() as view:
            first = view.map("m")
            assert view.map("m") is first  # one handle per address and access
            assert first[b"k"] == b"v"
            with pytest.raises(metaldb.BorrowedError):
                fork.map("m")  # a writer may not coexist with readers
            with pytest.raises(metaldb.ReadOnlyError):
                first[b"x"] = b"y"


def test_prefixed_views_namespace_their_indexes(db):
    with db.transaction() as fork:
        with fork.prefixed("app") as app:
            app.map("users")[b"u"] = b"1"
    with db.snapshot() as snap:
        assert snap.map("app.users")[b"u"] == b"1"
        assert snap.prefixed("app").map("users")[b"u"] == b"1"


def test_an_index_type_from_a_newer_library_comes_back_as_its_number(db, monkeypatch):
    def newer_library(access, name, name_len, key, key_len, out_type, out_found):
        out_type._obj.value = 200
        out_found._obj.value = True
        return 0

    monkeypatch.setattr(metaldb._lib.lib, "mdb_access_index_type", newer_library)
    with db.snapshot() as snap:
        assert snap.index_type("anything") == 200
