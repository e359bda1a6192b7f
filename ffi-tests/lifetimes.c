/*
 * Handle lifetimes: frees in any order and from any thread, parents kept alive by their
 * children, stale children after consuming calls, closing a database with live children,
 * and mdb_bytes_free.
 */
#include "harness.h"

#include <pthread.h>

/* Every kind of handle, so that they can be freed in any order. */
typedef enum {
    KIND_DB,
    KIND_FORK,
    KIND_SNAPSHOT,
    KIND_PATCH,
    KIND_ACCESS,
    KIND_MAP,
    KIND_LIST,
    KIND_SPARSE_LIST,
    KIND_KEY_SET,
    KIND_ENTRY,
    KIND_ITER,
    KIND_HELPER,
    KIND_ABORT_HANDLE
} kind;

typedef struct {
    kind kind;
    void *handle;
} any_handle;

static void free_any(any_handle handle) {
    switch (handle.kind) {
    case KIND_DB: mdb_db_free(handle.handle); break;
    case KIND_FORK: mdb_fork_free(handle.handle); break;
    case KIND_SNAPSHOT: mdb_snapshot_free(handle.handle); break;
    case KIND_PATCH: mdb_patch_free(handle.handle); break;
    case KIND_ACCESS: mdb_access_free(handle.handle); break;
    case KIND_MAP: mdb_map_free(handle.handle); break;
    case KIND_LIST: mdb_list_free(handle.handle); break;
    case KIND_SPARSE_LIST: mdb_sparse_list_free(handle.handle); break;
    case KIND_KEY_SET: mdb_key_set_free(handle.handle); break;
    case KIND_ENTRY: mdb_entry_free(handle.handle); break;
    case KIND_ITER: mdb_iter_free(handle.handle); break;
    case KIND_HELPER: mdb_migration_helper_free(handle.handle); break;
    case KIND_ABORT_HANDLE: mdb_abort_handle_forget(handle.handle); break;
    }
}

enum { MAX_HANDLES = 32 };

typedef struct {
    any_handle items[MAX_HANDLES];
    size_t count;
} handle_set;

static void add(handle_set *set, kind kind, void *handle) {
    set->items[set->count].kind = kind;
    set->items[set->count].handle = handle;
    set->count++;
}

/* Opens one handle of every kind, with data in the indexes and live iterators. */
static int open_everything(handle_set *set) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL, *for_patch = NULL;
    mdb_snapshot *snapshot = NULL;
    mdb_patch *patch = NULL;
    mdb_access *readonly = NULL, *prefixed = NULL, *new_data = NULL;
    mdb_map *map = NULL, *snapshot_map = NULL, *readonly_map = NULL, *patch_map = NULL;
    mdb_map *migrated = NULL;
    mdb_list *list = NULL;
    mdb_sparse_list *sparse_list = NULL;
    mdb_key_set *key_set = NULL;
    mdb_entry *entry = NULL;
    mdb_iter *map_iter = NULL, *snapshot_iter = NULL, *list_iter = NULL;
    mdb_migration_helper *helper = NULL;
    mdb_abort_handle *abort_handle = NULL;
    const mdb_access *access;
    set->count = 0;

    CHECK_OK(mdb_db_open_temporary(&db));
    CHECK(harness_put(db, "m", "base", "1") == 0);
    CHECK_OK(mdb_fork_new(db, &fork));
    access = mdb_fork_as_access(fork);
    CHECK_OK(mdb_access_map(access, NAME("m"), NO_KEY, &map));
    CHECK_OK(mdb_map_put(map, BYTES("k"), BYTES("v")));
    CHECK_OK(mdb_map_iter(map, NULL, 0, &map_iter));
    CHECK_OK(mdb_access_list(access, NAME("l"), NO_KEY, &list));
    CHECK_OK(mdb_list_push(list, BYTES("v")));
    CHECK_OK(mdb_list_iter(list, 0, &list_iter));
    CHECK_OK(mdb_access_sparse_list(access, NAME("s"), NO_KEY, &sparse_list));
    CHECK_OK(mdb_sparse_list_push(sparse_list, BYTES("v")));
    CHECK_OK(mdb_access_key_set(access, NAME("ks"), NO_KEY, &key_set));
    CHECK_OK(mdb_key_set_insert(key_set, BYTES("k")));
    CHECK_OK(mdb_access_entry(access, NAME("e"), NO_KEY, &entry));
    CHECK_OK(mdb_entry_set(entry, BYTES("v")));
    CHECK_OK(mdb_fork_readonly(fork, &readonly));
    CHECK_OK(mdb_access_map(readonly, NAME("other"), NO_KEY, &readonly_map));
    CHECK_OK(mdb_access_prefixed(access, NAME("p"), &prefixed));
    CHECK_OK(mdb_snapshot_new(db, &snapshot));
    CHECK_OK(mdb_access_map(mdb_snapshot_as_access(snapshot), NAME("m"), NO_KEY, &snapshot_map));
    CHECK_OK(mdb_map_iter(snapshot_map, NULL, 0, &snapshot_iter));
    CHECK_OK(mdb_fork_new(db, &for_patch));
    CHECK_OK(mdb_fork_into_patch(for_patch, &patch));
    CHECK_OK(mdb_access_map(mdb_patch_as_access(patch), NAME("m"), NO_KEY, &patch_map));
    CHECK_OK(mdb_migration_helper_new_with_abort(db, NAME("ns"), &helper, &abort_handle));
    CHECK_OK(mdb_migration_helper_new_data(helper, &new_data));
    CHECK_OK(mdb_access_map(new_data, NAME("m"), NO_KEY, &migrated));
    CHECK_OK(mdb_map_put(migrated, BYTES("k"), BYTES("v")));

    add(set, KIND_DB, db);
    add(set, KIND_FORK, fork);
    add(set, KIND_FORK, for_patch);
    add(set, KIND_SNAPSHOT, snapshot);
    add(set, KIND_PATCH, patch);
    add(set, KIND_ACCESS, readonly);
    add(set, KIND_ACCESS, prefixed);
    add(set, KIND_ACCESS, new_data);
    add(set, KIND_MAP, map);
    add(set, KIND_MAP, snapshot_map);
    add(set, KIND_MAP, readonly_map);
    add(set, KIND_MAP, patch_map);
    add(set, KIND_MAP, migrated);
    add(set, KIND_LIST, list);
    add(set, KIND_SPARSE_LIST, sparse_list);
    add(set, KIND_KEY_SET, key_set);
    add(set, KIND_ENTRY, entry);
    add(set, KIND_ITER, map_iter);
    add(set, KIND_ITER, snapshot_iter);
    add(set, KIND_ITER, list_iter);
    add(set, KIND_HELPER, helper);
    add(set, KIND_ABORT_HANDLE, abort_handle);
    return 0;
}

/* A small deterministic generator, so that a failing order can be replayed. */
static uint32_t next_random(uint32_t *state) {
    *state = *state * 1103515245u + 12345u;
    return *state >> 16;
}

static void shuffle(handle_set *set, uint32_t seed) {
    size_t i;
    for (i = set->count; i > 1; i--) {
        size_t j = next_random(&seed) % i;
        any_handle tmp = set->items[i - 1];
        set->items[i - 1] = set->items[j];
        set->items[j] = tmp;
    }
}

static void free_all(handle_set *set) {
    size_t i;
    for (i = 0; i < set->count; i++) {
        free_any(set->items[i]);
    }
    set->count = 0;
}

static int test_lifetimes_children_freed_before_their_parents(void) {
    handle_set set;
    size_t i;
    CHECK(open_everything(&set) == 0);
    /* Opened parents first, so reversed means children first. */
    for (i = set.count; i > 0; i--) {
        free_any(set.items[i - 1]);
    }
    return 0;
}

static int test_lifetimes_parents_freed_before_their_children(void) {
    handle_set set;
    CHECK(open_everything(&set) == 0);
    free_all(&set);
    return 0;
}

static int test_lifetimes_handles_freed_in_arbitrary_orders(void) {
    uint32_t seed;
    for (seed = 1; seed <= 12; seed++) {
        handle_set set;
        CHECK(open_everything(&set) == 0);
        shuffle(&set, seed);
        free_all(&set);
    }
    return 0;
}

static void *free_on_this_thread(void *arg) {
    free_all(arg);
    return NULL;
}

static int test_lifetimes_handles_freed_from_another_thread(void) {
    uint32_t seed;
    for (seed = 100; seed < 104; seed++) {
        handle_set set;
        pthread_t thread;
        CHECK(open_everything(&set) == 0);
        shuffle(&set, seed);
        CHECK(pthread_create(&thread, NULL, free_on_this_thread, &set) == 0);
        CHECK(pthread_join(thread, NULL) == 0);
        CHECK(set.count == 0);
    }
    return 0;
}

/* Half the handles freed here, the other half concurrently by another thread. */
static int test_lifetimes_handles_freed_concurrently_from_two_threads(void) {
    uint32_t seed;
    for (seed = 200; seed < 204; seed++) {
        handle_set set, other_half;
        pthread_t thread;
        size_t i;
        CHECK(open_everything(&set) == 0);
        shuffle(&set, seed);
        other_half.count = 0;
        for (i = set.count / 2; i < set.count; i++) {
            other_half.items[other_half.count++] = set.items[i];
        }
        set.count /= 2;
        CHECK(pthread_create(&thread, NULL, free_on_this_thread, &other_half) == 0);
        free_all(&set);
        CHECK(pthread_join(thread, NULL) == 0);
    }
    return 0;
}

static int test_lifetimes_bytes_free_twice_is_harmless(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_map *map = NULL;
    mdb_bytes value = harness_empty_bytes();
    mdb_bytes never_filled = harness_empty_bytes();
    bool found = false;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_map, "m", map);
    CHECK_OK(mdb_map_put(map, BYTES("k"), BYTES("some value")));
    CHECK_OK(mdb_map_get(map, BYTES("k"), &value, &found));
    CHECK(found && value.data != NULL && value.len == 10);
    mdb_bytes_free(&value);
    CHECK(value.data == NULL && value.len == 0);
    mdb_bytes_free(&value);
    CHECK(value.data == NULL && value.len == 0);
    mdb_bytes_free(&never_filled);
    mdb_bytes_free(NULL);
    /* The same variable filled again after a free. */
    CHECK_OK(mdb_map_get(map, BYTES("k"), &value, &found));
    CHECK(BYTES_EQ(value, "some value"));
    mdb_bytes_free(&value);
    mdb_map_free(map);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

static int test_lifetimes_children_are_stale_after_into_patch_and_freed_cleanly(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_patch *patch = NULL;
    mdb_access *readonly = NULL, *prefixed = NULL, *migration = NULL, *scratchpad = NULL;
    mdb_map *map = NULL, *readonly_map = NULL, *inner = UNTOUCHED;
    mdb_list *list = NULL;
    mdb_sparse_list *sparse_list = NULL;
    mdb_key_set *key_set = NULL;
    mdb_entry *entry = NULL;
    mdb_iter *iter = NULL;
    mdb_bytes value = harness_empty_bytes();
    bool found = false;
    uint64_t number = 0;
    uint32_t type = 0;
    harness_step step;
    const mdb_access *access;
    OPEN_FORK(db, fork);
    access = mdb_fork_as_access(fork);
    CHECK_OK(mdb_access_map(access, NAME("m"), NO_KEY, &map));
    CHECK_OK(mdb_map_put(map, BYTES("k"), BYTES("v")));
    CHECK_OK(mdb_map_iter(map, NULL, 0, &iter));
    CHECK_OK(mdb_access_list(access, NAME("l"), NO_KEY, &list));
    CHECK_OK(mdb_access_sparse_list(access, NAME("s"), NO_KEY, &sparse_list));
    CHECK_OK(mdb_access_key_set(access, NAME("ks"), NO_KEY, &key_set));
    CHECK_OK(mdb_access_entry(access, NAME("e"), NO_KEY, &entry));
    CHECK_OK(mdb_fork_readonly(fork, &readonly));
    CHECK_OK(mdb_access_map(readonly, NAME("ro"), NO_KEY, &readonly_map));
    CHECK_OK(mdb_access_prefixed(access, NAME("p"), &prefixed));
    CHECK_OK(mdb_access_migration(access, NAME("ns"), &migration));
    CHECK_OK(mdb_access_scratchpad(access, NAME("ns"), &scratchpad));

    CHECK_OK(mdb_fork_into_patch(fork, &patch));

    CHECK_STATUS(mdb_map_get(map, BYTES("k"), &value, &found), MDB_ERR_STALE_HANDLE);
    CHECK_STATUS(mdb_map_put(map, BYTES("k"), BYTES("w")), MDB_ERR_STALE_HANDLE);
    CHECK_STATUS(harness_next(iter, &step), MDB_ERR_STALE_HANDLE);
    CHECK_STATUS(mdb_list_len(list, &number), MDB_ERR_STALE_HANDLE);
    CHECK_STATUS(mdb_list_push(list, BYTES("v")), MDB_ERR_STALE_HANDLE);
    CHECK_STATUS(mdb_sparse_list_capacity(sparse_list, &number), MDB_ERR_STALE_HANDLE);
    CHECK_STATUS(mdb_key_set_contains(key_set, BYTES("k"), &found), MDB_ERR_STALE_HANDLE);
    CHECK_STATUS(mdb_entry_exists(entry, &found), MDB_ERR_STALE_HANDLE);
    CHECK_STATUS(mdb_map_contains(readonly_map, BYTES("k"), &found), MDB_ERR_STALE_HANDLE);
    CHECK_STATUS(mdb_access_map(readonly, NAME("x"), NO_KEY, &inner), MDB_ERR_STALE_HANDLE);
    CHECK_STATUS(mdb_access_map(prefixed, NAME("x"), NO_KEY, &inner), MDB_ERR_STALE_HANDLE);
    CHECK_STATUS(mdb_access_map(migration, NAME("x"), NO_KEY, &inner), MDB_ERR_STALE_HANDLE);
    CHECK_STATUS(mdb_access_map(scratchpad, NAME("x"), NO_KEY, &inner), MDB_ERR_STALE_HANDLE);
    CHECK_STATUS(mdb_access_map(access, NAME("x"), NO_KEY, &inner), MDB_ERR_STALE_HANDLE);
    CHECK_STATUS(mdb_access_index_type(prefixed, NAME("x"), NO_KEY, &type, &found),
                 MDB_ERR_STALE_HANDLE);
    CHECK(inner == UNTOUCHED && value.data == NULL);

    /* The fork goes first: its children hold nothing of it any more. */
    mdb_fork_free(fork);
    mdb_iter_free(iter);
    mdb_map_free(map);
    mdb_list_free(list);
    mdb_sparse_list_free(sparse_list);
    mdb_key_set_free(key_set);
    mdb_entry_free(entry);
    mdb_map_free(readonly_map);
    mdb_access_free(readonly);
    mdb_access_free(prefixed);
    mdb_access_free(migration);
    mdb_access_free(scratchpad);
    CHECK_OK(mdb_db_merge(db, patch));
    mdb_patch_free(patch);
    CHECK_DB_VALUE(db, "m", "k", "v");
    mdb_db_free(db);
    return 0;
}

static int test_lifetimes_closed_database_keeps_its_live_children_working(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_snapshot *snapshot = NULL;
    mdb_map *map = NULL, *read = NULL;
    mdb_patch *patch = NULL;
    mdb_bytes value = harness_empty_bytes();
    bool found = false;
    OPEN_TEMPORARY(db);
    CHECK(harness_put(db, "m", "k", "before") == 0);
    CHECK_OK(mdb_fork_new(db, &fork));
    CHECK_OK(mdb_snapshot_new(db, &snapshot));
    mdb_db_free(db);

    CHECK_OK(mdb_access_map(mdb_fork_as_access(fork), NAME("m"), NO_KEY, &map));
    CHECK_OK(mdb_map_get(map, BYTES("k"), &value, &found));
    CHECK(found && BYTES_EQ(value, "before"));
    mdb_bytes_free(&value);
    CHECK_OK(mdb_map_put(map, BYTES("k"), BYTES("after")));
    mdb_map_free(map);
    CHECK_OK(mdb_fork_into_patch(fork, &patch));
    CHECK_OK(mdb_access_map(mdb_patch_as_access(patch), NAME("m"), NO_KEY, &read));
    CHECK_OK(mdb_map_get(read, BYTES("k"), &value, &found));
    CHECK(found && BYTES_EQ(value, "after"));
    mdb_bytes_free(&value);
    mdb_map_free(read);

    CHECK_OK(mdb_access_map(mdb_snapshot_as_access(snapshot), NAME("m"), NO_KEY, &read));
    mdb_snapshot_free(snapshot);
    CHECK_OK(mdb_map_get(read, BYTES("k"), &value, &found));
    CHECK(found && BYTES_EQ(value, "before"));
    mdb_bytes_free(&value);
    mdb_map_free(read);
    mdb_patch_free(patch);
    mdb_fork_free(fork);
    return 0;
}

static int test_lifetimes_closed_rocksdb_stays_open_until_its_last_child_is_freed(void) {
    char dir[256], path[300];
    mdb_db *db = NULL, *again = UNTOUCHED;
    mdb_snapshot *snapshot = NULL;
    mdb_fork *fork = NULL;
    mdb_map *map = NULL;
    mdb_bytes value = harness_empty_bytes();
    bool found = false;
    CHECK(harness_make_temp_dir(dir) == 0);
    snprintf(path, sizeof path, "%s/db", dir);
    CHECK_OK(mdb_db_open(path, NULL, &db));
    CHECK(harness_put(db, "m", "k", "v") == 0);
    CHECK_OK(mdb_snapshot_new(db, &snapshot));
    CHECK_OK(mdb_fork_new(db, &fork));
    CHECK_OK(mdb_access_map(mdb_snapshot_as_access(snapshot), NAME("m"), NO_KEY, &map));
    mdb_db_free(db);

    /* Still open (RocksDB holds its lock), and still readable. */
    CHECK_STATUS(mdb_db_open(path, NULL, &again), MDB_ERR_STORAGE);
    CHECK_OK(mdb_map_get(map, BYTES("k"), &value, &found));
    CHECK(found && BYTES_EQ(value, "v"));
    mdb_bytes_free(&value);
    mdb_snapshot_free(snapshot);
    mdb_fork_free(fork);
    CHECK_STATUS(mdb_db_open(path, NULL, &again), MDB_ERR_STORAGE);
    CHECK(again == UNTOUCHED);
    CHECK_OK(mdb_map_get(map, BYTES("k"), &value, &found));
    CHECK(found && BYTES_EQ(value, "v"));
    mdb_bytes_free(&value);

    /* The last child is gone: the database is closed, and opens again. */
    mdb_map_free(map);
    CHECK_OK(mdb_db_open(path, NULL, &again));
    CHECK_DB_VALUE(again, "m", "k", "v");
    mdb_db_free(again);
    harness_remove_tree(dir);
    return 0;
}

static int test_lifetimes_an_index_keeps_its_freed_fork_alive(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_access *readonly = NULL;
    mdb_map *map = NULL, *other = NULL;
    mdb_iter *iter = NULL;
    mdb_bytes value = harness_empty_bytes();
    bool found = false;
    harness_step step;
    OPEN_FORK(db, fork);
    CHECK_OK(mdb_fork_readonly(fork, &readonly));
    CHECK_OK(mdb_access_map(mdb_fork_as_access(fork), NAME("m"), NO_KEY, &map));
    CHECK_OK(mdb_access_map(mdb_fork_as_access(fork), NAME("other"), NO_KEY, &other));
    CHECK_OK(mdb_map_put(other, BYTES("a"), BYTES("1")));
    CHECK_OK(mdb_map_iter(other, NULL, 0, &iter));
    mdb_fork_free(fork);
    mdb_db_free(db);

    CHECK_OK(mdb_map_put(map, BYTES("k"), BYTES("v")));
    CHECK_OK(mdb_map_get(map, BYTES("k"), &value, &found));
    CHECK(found && BYTES_EQ(value, "v"));
    mdb_bytes_free(&value);
    CHECK_OK(harness_next(iter, &step));
    CHECK(step.found);
    CHECK_BYTES(step.key, step.key_len, "a", 1);
    mdb_map_free(map);
    /* The read-only access of the freed fork opens indexes too. */
    CHECK_OK(mdb_access_map(readonly, NAME("m"), NO_KEY, &map));
    CHECK_OK(mdb_map_contains(map, BYTES("k"), &found));
    CHECK(found);
    mdb_map_free(map);
    mdb_iter_free(iter);
    mdb_map_free(other);
    mdb_access_free(readonly);
    return 0;
}

static int test_lifetimes_an_unmerged_patch_is_discarded_when_freed(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_patch *patch = NULL;
    mdb_map *map = NULL;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_map, "m", map);
    CHECK_OK(mdb_map_put(map, BYTES("k"), BYTES("v")));
    CHECK_OK(mdb_fork_into_patch(fork, &patch));
    mdb_patch_free(patch);
    mdb_map_free(map);
    mdb_fork_free(fork);
    CHECK_DB_VALUE(db, "m", "k", NULL);
    mdb_db_free(db);
    return 0;
}

int main(void) {
    RUN_TEST(test_lifetimes_children_freed_before_their_parents);
    RUN_TEST(test_lifetimes_parents_freed_before_their_children);
    RUN_TEST(test_lifetimes_handles_freed_in_arbitrary_orders);
    RUN_TEST(test_lifetimes_handles_freed_from_another_thread);
    RUN_TEST(test_lifetimes_handles_freed_concurrently_from_two_threads);
    RUN_TEST(test_lifetimes_bytes_free_twice_is_harmless);
    RUN_TEST(test_lifetimes_children_are_stale_after_into_patch_and_freed_cleanly);
    RUN_TEST(test_lifetimes_closed_database_keeps_its_live_children_working);
    RUN_TEST(test_lifetimes_closed_rocksdb_stays_open_until_its_last_child_is_freed);
    RUN_TEST(test_lifetimes_an_index_keeps_its_freed_fork_alive);
    RUN_TEST(test_lifetimes_an_unmerged_patch_is_discarded_when_freed);
    return HARNESS_SUMMARY();
}
