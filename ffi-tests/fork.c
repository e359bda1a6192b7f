/*
 * mdb_fork, mdb_patch and mdb_access: forks and their changes, flush and rollback, patches,
 * read-only forks, prefixed accesses, group keys and index types.
 */
#include "harness.h"

/* Reads `key` from the map `name` opened through `access`; `expected` NULL means absent. */
static int check_map_value(const mdb_access *access, const char *name, const char *key,
                           const char *expected) {
    mdb_map *map = NULL;
    mdb_bytes value = harness_empty_bytes();
    bool found = false;
    CHECK_OK(mdb_access_map(access, name, strlen(name), NO_KEY, &map));
    CHECK_OK(mdb_map_get(map, (const uint8_t *)key, strlen(key), &value, &found));
    if (expected == NULL) {
        CHECK(!found);
    } else {
        CHECK(found);
        CHECK_BYTES(value.data, value.len, expected, strlen(expected));
        mdb_bytes_free(&value);
    }
    mdb_map_free(map);
    return 0;
}

static int test_fork_changes_reach_the_database_only_when_merged(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_map *map = NULL;
    mdb_patch *patch = NULL;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_map, "m", map);
    CHECK_OK(mdb_map_put(map, BYTES("k"), BYTES("v")));
    CHECK(check_map_value(mdb_fork_as_access(fork), "m2", "k", NULL) == 0);
    CHECK_DB_VALUE(db, "m", "k", NULL);
    mdb_map_free(map);
    CHECK(check_map_value(mdb_fork_as_access(fork), "m", "k", "v") == 0);
    CHECK_OK(mdb_fork_into_patch(fork, &patch));
    CHECK_DB_VALUE(db, "m", "k", NULL);
    CHECK_OK(mdb_db_merge(db, patch));
    CHECK_DB_VALUE(db, "m", "k", "v");
    mdb_patch_free(patch);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

static int test_fork_as_access_of_null_is_null(void) {
    CHECK(mdb_fork_as_access(NULL) == NULL);
    CHECK(mdb_snapshot_as_access(NULL) == NULL);
    CHECK(mdb_patch_as_access(NULL) == NULL);
    return 0;
}

static int test_fork_readonly_sees_unflushed_changes_and_refuses_writes(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_access *readonly = NULL;
    mdb_map *writer = NULL, *reader = NULL, *reader2 = NULL;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_map, "m", writer);
    CHECK_OK(mdb_map_put(writer, BYTES("k"), BYTES("v")));
    CHECK_OK(mdb_fork_readonly(fork, &readonly));
    /* A writable handle and a read-only one on the same index do not coexist. */
    CHECK_STATUS(mdb_access_map(readonly, NAME("m"), NO_KEY, &reader), MDB_ERR_BORROWED);
    mdb_map_free(writer);
    CHECK_OK(mdb_access_map(readonly, NAME("m"), NO_KEY, &reader));
    /* Read-only handles coexist with each other. */
    CHECK_OK(mdb_access_map(readonly, NAME("m"), NO_KEY, &reader2));
    CHECK(check_map_value(readonly, "m", "k", "v") == 0);
    CHECK_STATUS(mdb_map_put(reader, BYTES("k"), BYTES("w")), MDB_ERR_READONLY);
    CHECK_STATUS(mdb_map_remove(reader, BYTES("k")), MDB_ERR_READONLY);
    CHECK_STATUS(mdb_map_clear(reader), MDB_ERR_READONLY);
    CHECK_STATUS(mdb_access_map(mdb_fork_as_access(fork), NAME("m"), NO_KEY, &writer),
                 MDB_ERR_BORROWED);
    mdb_map_free(reader);
    mdb_map_free(reader2);
    CHECK_OK(mdb_access_map(mdb_fork_as_access(fork), NAME("m"), NO_KEY, &writer));
    mdb_map_free(writer);
    mdb_access_free(readonly);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

static int test_fork_flush_keeps_children_usable(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_map *map = NULL;
    mdb_access *prefixed = NULL;
    mdb_map *inner = NULL;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_map, "m", map);
    CHECK_OK(mdb_access_prefixed(mdb_fork_as_access(fork), NAME("p"), &prefixed));
    CHECK_OK(mdb_access_map(prefixed, NAME("inner"), NO_KEY, &inner));
    CHECK_OK(mdb_map_put(map, BYTES("a"), BYTES("1")));
    CHECK_OK(mdb_fork_flush(fork));
    CHECK_OK(mdb_map_put(map, BYTES("b"), BYTES("2")));
    CHECK_OK(mdb_map_put(inner, BYTES("c"), BYTES("3")));
    mdb_map_free(map);
    mdb_map_free(inner);
    CHECK(check_map_value(mdb_fork_as_access(fork), "m", "a", "1") == 0);
    CHECK(check_map_value(mdb_fork_as_access(fork), "m", "b", "2") == 0);
    CHECK(check_map_value(mdb_fork_as_access(fork), "p.inner", "c", "3") == 0);
    mdb_access_free(prefixed);
    COMMIT(db, fork);
    CHECK_DB_VALUE(db, "m", "b", "2");
    mdb_db_free(db);
    return 0;
}

static int test_fork_rollback_discards_changes_since_the_flush_and_stales_children(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_map *map = NULL;
    mdb_access *readonly = NULL;
    bool found = false;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_map, "m", map);
    CHECK_OK(mdb_map_put(map, BYTES("kept"), BYTES("1")));
    CHECK_OK(mdb_fork_flush(fork));
    CHECK_OK(mdb_map_put(map, BYTES("dropped"), BYTES("2")));
    CHECK_OK(mdb_fork_readonly(fork, &readonly));
    CHECK_OK(mdb_fork_rollback(fork));
    CHECK_STATUS(mdb_map_put(map, BYTES("x"), BYTES("y")), MDB_ERR_STALE_HANDLE);
    CHECK_STATUS(mdb_map_contains(map, BYTES("kept"), &found), MDB_ERR_STALE_HANDLE);
    {
        mdb_map *other = UNTOUCHED;
        CHECK_STATUS(mdb_access_map(readonly, NAME("m"), NO_KEY, &other), MDB_ERR_STALE_HANDLE);
        CHECK(other == UNTOUCHED);
    }
    mdb_map_free(map);
    mdb_access_free(readonly);
    /* The fork itself goes on. */
    CHECK(check_map_value(mdb_fork_as_access(fork), "m", "kept", "1") == 0);
    CHECK(check_map_value(mdb_fork_as_access(fork), "m", "dropped", NULL) == 0);
    COMMIT(db, fork);
    CHECK_DB_VALUE(db, "m", "kept", "1");
    CHECK_DB_VALUE(db, "m", "dropped", NULL);
    mdb_db_free(db);
    return 0;
}

static int test_fork_into_patch_consumes_the_fork(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_patch *patch = NULL, *again = UNTOUCHED;
    mdb_access *readonly = UNTOUCHED;
    mdb_map *map = UNTOUCHED;
    OPEN_FORK(db, fork);
    /* A refused call changes nothing. */
    CHECK_STATUS(mdb_fork_into_patch(fork, NULL), MDB_ERR_INVALID_ARGUMENT);
    CHECK_OK(mdb_fork_flush(fork));
    CHECK_OK(mdb_fork_into_patch(fork, &patch));
    CHECK_STATUS(mdb_fork_into_patch(fork, &again), MDB_ERR_STALE_HANDLE);
    CHECK(again == UNTOUCHED);
    CHECK_STATUS(mdb_fork_flush(fork), MDB_ERR_STALE_HANDLE);
    CHECK_STATUS(mdb_fork_rollback(fork), MDB_ERR_STALE_HANDLE);
    CHECK_STATUS(mdb_fork_readonly(fork, &readonly), MDB_ERR_STALE_HANDLE);
    CHECK(readonly == UNTOUCHED);
    CHECK_STATUS(mdb_access_map(mdb_fork_as_access(fork), NAME("m"), NO_KEY, &map),
                 MDB_ERR_STALE_HANDLE);
    CHECK(map == UNTOUCHED);
    mdb_fork_free(fork);
    CHECK_OK(mdb_db_merge(db, patch));
    mdb_patch_free(patch);
    mdb_db_free(db);
    return 0;
}

static int test_fork_patch_reads_the_changes_read_only(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_patch *patch = NULL;
    mdb_map *map = NULL;
    OPEN_TEMPORARY(db);
    CHECK(harness_put(db, "m", "base", "b") == 0);
    CHECK_OK(mdb_fork_new(db, &fork));
    CHECK_OK(mdb_access_map(mdb_fork_as_access(fork), NAME("m"), NO_KEY, &map));
    CHECK_OK(mdb_map_put(map, BYTES("k"), BYTES("v")));
    mdb_map_free(map);
    CHECK_OK(mdb_fork_into_patch(fork, &patch));
    CHECK(check_map_value(mdb_patch_as_access(patch), "m", "k", "v") == 0);
    CHECK(check_map_value(mdb_patch_as_access(patch), "m", "base", "b") == 0);
    CHECK_OK(mdb_access_map(mdb_patch_as_access(patch), NAME("m"), NO_KEY, &map));
    CHECK_STATUS(mdb_map_put(map, BYTES("k"), BYTES("w")), MDB_ERR_READONLY);
    mdb_map_free(map);
    CHECK_OK(mdb_db_merge(db, patch));
    mdb_patch_free(patch);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

static int test_fork_patch_into_fork_keeps_the_changes(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL, *back = NULL;
    mdb_patch *patch = NULL;
    mdb_map *map = NULL;
    mdb_map *stale = NULL;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_map, "m", map);
    CHECK_OK(mdb_map_put(map, BYTES("k"), BYTES("v")));
    mdb_map_free(map);
    CHECK_OK(mdb_fork_into_patch(fork, &patch));
    mdb_fork_free(fork);
    CHECK_OK(mdb_access_map(mdb_patch_as_access(patch), NAME("m"), NO_KEY, &stale));
    CHECK_STATUS(mdb_patch_into_fork(patch, NULL), MDB_ERR_INVALID_ARGUMENT);
    CHECK_OK(mdb_patch_into_fork(patch, &back));
    CHECK_STATUS(mdb_patch_into_fork(patch, &fork), MDB_ERR_STALE_HANDLE);
    {
        bool found = false;
        CHECK_STATUS(mdb_map_contains(stale, BYTES("k"), &found), MDB_ERR_STALE_HANDLE);
    }
    mdb_map_free(stale);
    mdb_patch_free(patch);
    /* The patch is the new fork's flushed state: a rollback keeps it. */
    CHECK_OK(mdb_access_map(mdb_fork_as_access(back), NAME("m"), NO_KEY, &map));
    CHECK_OK(mdb_map_put(map, BYTES("later"), BYTES("x")));
    mdb_map_free(map);
    CHECK_OK(mdb_fork_rollback(back));
    CHECK(check_map_value(mdb_fork_as_access(back), "m", "k", "v") == 0);
    CHECK(check_map_value(mdb_fork_as_access(back), "m", "later", NULL) == 0);
    COMMIT(db, back);
    CHECK_DB_VALUE(db, "m", "k", "v");
    mdb_db_free(db);
    return 0;
}

static int test_fork_prefixed_access_opens_indexes_under_the_prefix(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_access *prefixed = NULL, *nested = UNTOUCHED;
    mdb_map *map = NULL;
    uint32_t type = 0;
    bool found = false;
    OPEN_FORK(db, fork);
    CHECK_OK(mdb_access_prefixed(mdb_fork_as_access(fork), NAME("ns"), &prefixed));
    CHECK_OK(mdb_access_map(prefixed, NAME("m"), NO_KEY, &map));
    CHECK_OK(mdb_map_put(map, BYTES("k"), BYTES("v")));
    mdb_map_free(map);
    CHECK_OK(mdb_access_index_type(mdb_fork_as_access(fork), NAME("ns.m"), NO_KEY, &type, &found));
    CHECK(found && type == MDB_INDEX_MAP);
    CHECK_OK(mdb_access_index_type(prefixed, NAME("m"), NO_KEY, &type, &found));
    CHECK(found && type == MDB_INDEX_MAP);
    /* Namespaces do not nest, and prefixes are single name components. */
    CHECK_STATUS(mdb_access_prefixed(prefixed, NAME("more"), &nested), MDB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mdb_access_prefixed(mdb_fork_as_access(fork), NAME("a.b"), &nested),
                 MDB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mdb_access_prefixed(mdb_fork_as_access(fork), NAME(""), &nested),
                 MDB_ERR_INVALID_ARGUMENT);
    CHECK(nested == UNTOUCHED);
    mdb_access_free(prefixed);
    COMMIT(db, fork);
    CHECK_DB_VALUE(db, "ns.m", "k", "v");
    mdb_db_free(db);
    return 0;
}

static int test_fork_group_keys_address_distinct_indexes(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_map *a = NULL, *b = NULL;
    const uint8_t key_a[] = {0, 1, 2};
    const uint8_t key_b[] = {0, 1, 3};
    bool found = true;
    uint32_t type = 0;
    OPEN_FORK(db, fork);
    CHECK_OK(mdb_access_map(mdb_fork_as_access(fork), NAME("grp"), key_a, sizeof key_a, &a));
    CHECK_OK(mdb_access_map(mdb_fork_as_access(fork), NAME("grp"), key_b, sizeof key_b, &b));
    CHECK_OK(mdb_map_put(a, BYTES("k"), BYTES("a")));
    CHECK_OK(mdb_map_contains(b, BYTES("k"), &found));
    CHECK(!found);
    mdb_map_free(a);
    mdb_map_free(b);
    CHECK_OK(mdb_access_index_type(mdb_fork_as_access(fork), NAME("grp"), key_a, sizeof key_a,
                                   &type, &found));
    CHECK(found && type == MDB_INDEX_MAP);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

/* The index `name` has the type `expected` at the address (`key`, `key_len`); 0 means that
 * nothing is there. */
static int check_type_at(const mdb_access *access, const char *name, const uint8_t *key,
                         size_t key_len, uint32_t expected) {
    uint32_t type = 0;
    bool found = false;
    CHECK_OK(mdb_access_index_type(access, name, strlen(name), key, key_len, &type, &found));
    CHECK(found == (expected != 0));
    CHECK(!found || type == expected);
    return 0;
}

/* A NULL group key (with length 0) is the index outside any group; a non-NULL one of length 0
 * is the group member whose key is empty: another index, for every opener. */
static int test_fork_null_key_is_outside_the_group_and_an_empty_key_is_a_member(void) {
    static const uint8_t empty[1] = {0};
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    const mdb_access *access;
    mdb_map *outside = NULL, *member = NULL;
    mdb_list *list = NULL;
    mdb_sparse_list *sparse_list = NULL;
    mdb_key_set *key_set = NULL;
    mdb_entry *entry = NULL;
    uint64_t len = 1;
    bool found = true;
    OPEN_FORK(db, fork);
    access = mdb_fork_as_access(fork);
    /* Both writable at once: two indexes, or the second open would be MDB_ERR_BORROWED. */
    CHECK_OK(mdb_access_map(access, NAME("m"), NULL, 0, &outside));
    CHECK_OK(mdb_access_map(access, NAME("m"), empty, 0, &member));
    CHECK_OK(mdb_map_put(outside, BYTES("k"), BYTES("outside")));
    CHECK_OK(mdb_map_contains(member, BYTES("k"), &found));
    CHECK(!found);
    CHECK_OK(mdb_map_put(member, BYTES("k"), BYTES("member")));
    mdb_map_free(outside);
    mdb_map_free(member);
    CHECK(check_type_at(access, "m", NO_KEY, MDB_INDEX_MAP) == 0);
    CHECK(check_type_at(access, "m", empty, 0, MDB_INDEX_MAP) == 0);

    /* Written outside the group only: the members with the empty key are not there. */
    CHECK_OK(mdb_access_list(access, NAME("l"), NULL, 0, &list));
    CHECK_OK(mdb_list_push(list, BYTES("v")));
    mdb_list_free(list);
    CHECK_OK(mdb_access_sparse_list(access, NAME("s"), NULL, 0, &sparse_list));
    CHECK_OK(mdb_sparse_list_push(sparse_list, BYTES("v")));
    mdb_sparse_list_free(sparse_list);
    CHECK_OK(mdb_access_key_set(access, NAME("ks"), NULL, 0, &key_set));
    CHECK_OK(mdb_key_set_insert(key_set, BYTES("v")));
    mdb_key_set_free(key_set);
    CHECK_OK(mdb_access_entry(access, NAME("e"), NULL, 0, &entry));
    CHECK_OK(mdb_entry_set(entry, BYTES("v")));
    mdb_entry_free(entry);
    CHECK(check_type_at(access, "l", NO_KEY, MDB_INDEX_LIST) == 0);
    CHECK(check_type_at(access, "s", NO_KEY, MDB_INDEX_SPARSE_LIST) == 0);
    CHECK(check_type_at(access, "ks", NO_KEY, MDB_INDEX_KEY_SET) == 0);
    CHECK(check_type_at(access, "e", NO_KEY, MDB_INDEX_ENTRY) == 0);
    CHECK(check_type_at(access, "l", empty, 0, 0) == 0);
    CHECK(check_type_at(access, "s", empty, 0, 0) == 0);
    CHECK(check_type_at(access, "ks", empty, 0, 0) == 0);
    CHECK(check_type_at(access, "e", empty, 0, 0) == 0);
    CHECK_OK(mdb_access_list(access, NAME("l"), empty, 0, &list));
    CHECK_OK(mdb_list_len(list, &len));
    CHECK(len == 0);
    mdb_list_free(list);
    CHECK_OK(mdb_access_sparse_list(access, NAME("s"), empty, 0, &sparse_list));
    CHECK_OK(mdb_sparse_list_len(sparse_list, &len));
    CHECK(len == 0);
    mdb_sparse_list_free(sparse_list);
    CHECK_OK(mdb_access_key_set(access, NAME("ks"), empty, 0, &key_set));
    CHECK_OK(mdb_key_set_contains(key_set, BYTES("v"), &found));
    CHECK(!found);
    mdb_key_set_free(key_set);
    CHECK_OK(mdb_access_entry(access, NAME("e"), empty, 0, &entry));
    CHECK_OK(mdb_entry_exists(entry, &found));
    CHECK(!found);
    mdb_entry_free(entry);
    COMMIT(db, fork);
    CHECK_DB_VALUE(db, "m", "k", "outside");
    mdb_db_free(db);
    return 0;
}

static int test_fork_index_type_reports_each_kind(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_map *map = NULL;
    mdb_list *list = NULL;
    mdb_entry *entry = NULL;
    mdb_key_set *set = NULL;
    mdb_sparse_list *sparse = NULL;
    uint32_t type = 0;
    bool found = false;
    const mdb_access *access;
    OPEN_FORK(db, fork);
    access = mdb_fork_as_access(fork);
    CHECK_OK(mdb_access_map(access, NAME("a_map"), NO_KEY, &map));
    CHECK_OK(mdb_access_list(access, NAME("a_list"), NO_KEY, &list));
    CHECK_OK(mdb_access_entry(access, NAME("an_entry"), NO_KEY, &entry));
    CHECK_OK(mdb_access_key_set(access, NAME("a_set"), NO_KEY, &set));
    CHECK_OK(mdb_access_sparse_list(access, NAME("a_sparse"), NO_KEY, &sparse));
    mdb_map_free(map);
    mdb_list_free(list);
    mdb_entry_free(entry);
    mdb_key_set_free(set);
    mdb_sparse_list_free(sparse);
    CHECK(check_type_at(access, "a_map", NO_KEY, MDB_INDEX_MAP) == 0);
    CHECK(check_type_at(access, "a_list", NO_KEY, MDB_INDEX_LIST) == 0);
    CHECK(check_type_at(access, "an_entry", NO_KEY, MDB_INDEX_ENTRY) == 0);
    CHECK(check_type_at(access, "a_set", NO_KEY, MDB_INDEX_KEY_SET) == 0);
    CHECK(check_type_at(access, "a_sparse", NO_KEY, MDB_INDEX_SPARSE_LIST) == 0);
    type = 777;
    CHECK_OK(mdb_access_index_type(access, NAME("nothing"), NO_KEY, &type, &found));
    CHECK(!found && type == 777);
    CHECK_STATUS(mdb_access_index_type(access, NAME("bad name"), NO_KEY, &type, &found),
                 MDB_ERR_INVALID_ARGUMENT);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

static int test_fork_a_snapshot_opens_missing_indexes_without_creating_them(void) {
    mdb_db *db = NULL;
    mdb_snapshot *snapshot = NULL;
    mdb_map *map = NULL;
    uint32_t type = 0;
    bool found = true;
    OPEN_TEMPORARY(db);
    CHECK_OK(mdb_snapshot_new(db, &snapshot));
    CHECK_OK(mdb_access_map(mdb_snapshot_as_access(snapshot), NAME("missing"), NO_KEY, &map));
    CHECK_OK(mdb_map_contains(map, BYTES("k"), &found));
    CHECK(!found);
    CHECK_STATUS(mdb_map_put(map, BYTES("k"), BYTES("v")), MDB_ERR_READONLY);
    mdb_map_free(map);
    found = true;
    CHECK_OK(mdb_access_index_type(mdb_snapshot_as_access(snapshot), NAME("missing"), NO_KEY,
                                   &type, &found));
    CHECK(!found);
    mdb_snapshot_free(snapshot);
    mdb_db_free(db);
    return 0;
}

int main(void) {
    RUN_TEST(test_fork_changes_reach_the_database_only_when_merged);
    RUN_TEST(test_fork_as_access_of_null_is_null);
    RUN_TEST(test_fork_readonly_sees_unflushed_changes_and_refuses_writes);
    RUN_TEST(test_fork_flush_keeps_children_usable);
    RUN_TEST(test_fork_rollback_discards_changes_since_the_flush_and_stales_children);
    RUN_TEST(test_fork_into_patch_consumes_the_fork);
    RUN_TEST(test_fork_patch_reads_the_changes_read_only);
    RUN_TEST(test_fork_patch_into_fork_keeps_the_changes);
    RUN_TEST(test_fork_prefixed_access_opens_indexes_under_the_prefix);
    RUN_TEST(test_fork_group_keys_address_distinct_indexes);
    RUN_TEST(test_fork_null_key_is_outside_the_group_and_an_empty_key_is_a_member);
    RUN_TEST(test_fork_index_type_reports_each_kind);
    RUN_TEST(test_fork_a_snapshot_opens_missing_indexes_without_creating_them);
    return HARNESS_SUMMARY();
}
