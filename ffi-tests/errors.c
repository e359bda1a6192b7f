/*
 * Errors: NULL at every entry point, every status reachable from C, and the static status
 * texts. (The thread-local message: error_messages.c.)
 *
 * tests/ffi_c.rs checks that every function declared in metaldb.h appears in this file, so a
 * new function gets its NULL cases here; and that each also has a real call in another test
 * program or an example, since the calls here mostly pass NULLs.
 */
#include "harness.h"

/* The call fails with MDB_ERR_INVALID_ARGUMENT and explains why. */
#define CHECK_NULL_REFUSED(call)                                                        \
    do {                                                                                \
        CHECK_STATUS(call, MDB_ERR_INVALID_ARGUMENT);                                   \
        CHECK(strlen(mdb_last_error_message()) > 0);                                    \
    } while (0)

/* Handles of every kind, opened from one temporary database. */
typedef struct {
    mdb_db *db;
    mdb_fork *fork;
    mdb_snapshot *snapshot;
    mdb_patch *patch;
    mdb_access *migration;
    mdb_access *scratchpad;
    mdb_map *map;
    mdb_list *list;
    mdb_sparse_list *sparse_list;
    mdb_key_set *key_set;
    mdb_entry *entry;
    mdb_iter *iter;
    mdb_migration_helper *helper;
    mdb_abort_handle *abort_handle;
} handles;

static int open_handles(handles *h) {
    mdb_fork *other = NULL;
    const mdb_access *access;
    memset(h, 0, sizeof *h);
    CHECK_OK(mdb_db_open_temporary(&h->db));
    CHECK_OK(mdb_fork_new(h->db, &h->fork));
    CHECK_OK(mdb_snapshot_new(h->db, &h->snapshot));
    CHECK_OK(mdb_fork_new(h->db, &other));
    CHECK_OK(mdb_fork_into_patch(other, &h->patch));
    mdb_fork_free(other);
    access = mdb_fork_as_access(h->fork);
    CHECK_OK(mdb_access_migration(access, NAME("ns"), &h->migration));
    CHECK_OK(mdb_access_scratchpad(access, NAME("ns"), &h->scratchpad));
    CHECK_OK(mdb_access_map(access, NAME("map"), NO_KEY, &h->map));
    CHECK_OK(mdb_access_list(access, NAME("list"), NO_KEY, &h->list));
    CHECK_OK(mdb_access_sparse_list(access, NAME("sparse"), NO_KEY, &h->sparse_list));
    CHECK_OK(mdb_access_key_set(access, NAME("set"), NO_KEY, &h->key_set));
    CHECK_OK(mdb_access_entry(access, NAME("entry"), NO_KEY, &h->entry));
    CHECK_OK(mdb_key_set_iter(h->key_set, NULL, 0, &h->iter));
    CHECK_OK(mdb_migration_helper_new_with_abort(h->db, NAME("mig"), &h->helper,
                                                 &h->abort_handle));
    return 0;
}

static void close_handles(handles *h) {
    mdb_abort_handle_forget(h->abort_handle);
    mdb_migration_helper_free(h->helper);
    mdb_iter_free(h->iter);
    mdb_entry_free(h->entry);
    mdb_key_set_free(h->key_set);
    mdb_sparse_list_free(h->sparse_list);
    mdb_list_free(h->list);
    mdb_map_free(h->map);
    mdb_access_free(h->scratchpad);
    mdb_access_free(h->migration);
    mdb_patch_free(h->patch);
    mdb_snapshot_free(h->snapshot);
    mdb_fork_free(h->fork);
    mdb_db_free(h->db);
}

static mdb_status never_called_step(mdb_migration_helper *helper, mdb_persistent_iters *iters,
                                    void *user_data) {
    (void)helper;
    (void)iters;
    (void)user_data;
    return MDB_ERR_PANIC;
}

static int test_errors_every_entry_point_refuses_null_handles(void) {
    handles h;
    mdb_db *db = UNTOUCHED;
    mdb_fork *fork = UNTOUCHED;
    mdb_snapshot *snapshot = UNTOUCHED;
    mdb_patch *patch = UNTOUCHED;
    mdb_access *access = UNTOUCHED;
    mdb_map *map = UNTOUCHED;
    mdb_list *list = UNTOUCHED;
    mdb_sparse_list *sparse_list = UNTOUCHED;
    mdb_key_set *key_set = UNTOUCHED;
    mdb_entry *entry = UNTOUCHED;
    mdb_iter *iter = UNTOUCHED;
    mdb_migration_helper *helper = UNTOUCHED;
    mdb_abort_handle *abort_handle = UNTOUCHED;
    mdb_bytes value;
    bool found = false;
    uint64_t number = 7;
    uint32_t type = 7;
    const uint8_t *key_ptr = UNTOUCHED, *value_ptr = UNTOUCHED;
    size_t key_len = 7, value_len = 7;
    value.data = UNTOUCHED;
    value.len = 7;
    value.capacity = 7;
    CHECK(open_handles(&h) == 0);

    /* Databases. */
    CHECK_NULL_REFUSED(mdb_db_options_init(NULL, sizeof(mdb_db_options)));
    CHECK_NULL_REFUSED(mdb_db_open(NULL, NULL, &db));
    CHECK_NULL_REFUSED(mdb_snapshot_new(NULL, &snapshot));
    CHECK_NULL_REFUSED(mdb_db_merge(NULL, h.patch));
    CHECK_NULL_REFUSED(mdb_db_merge_sync(NULL, h.patch));
    CHECK_NULL_REFUSED(mdb_db_checkpoint(NULL, "/tmp/x"));
    {
        mdb_catalogue *catalogue = UNTOUCHED;
        mdb_catalogue_record record = {.struct_size = sizeof(mdb_catalogue_record)};
        CHECK_NULL_REFUSED(mdb_catalogue_new(NULL, &catalogue));
        CHECK(catalogue == UNTOUCHED);
        CHECK_NULL_REFUSED(mdb_catalogue_next(NULL, &record, &found));
    }
    CHECK_NULL_REFUSED(mdb_fork_new(NULL, &fork));
    CHECK_NULL_REFUSED(mdb_migration_helper_new(NULL, NAME("ns"), &helper));
    CHECK_NULL_REFUSED(mdb_migration_helper_new_with_abort(NULL, NAME("ns"), &helper,
                                                           &abort_handle));
    /* Forks and patches. */
    CHECK(mdb_fork_as_access(NULL) == NULL);
    CHECK_NULL_REFUSED(mdb_fork_readonly(NULL, &access));
    CHECK_NULL_REFUSED(mdb_fork_flush(NULL));
    CHECK_NULL_REFUSED(mdb_fork_rollback(NULL));
    CHECK_NULL_REFUSED(mdb_fork_into_patch(NULL, &patch));
    CHECK(mdb_patch_as_access(NULL) == NULL);
    CHECK_NULL_REFUSED(mdb_patch_into_fork(NULL, &fork));
    CHECK(mdb_snapshot_as_access(NULL) == NULL);
    CHECK_NULL_REFUSED(mdb_migration_flush(NULL, NAME("ns")));
    CHECK_NULL_REFUSED(mdb_migration_rollback(NULL, NAME("ns")));
    /* Accesses. */
    CHECK_NULL_REFUSED(mdb_access_prefixed(NULL, NAME("p"), &access));
    CHECK_NULL_REFUSED(mdb_access_migration(NULL, NAME("p"), &access));
    CHECK_NULL_REFUSED(mdb_access_scratchpad(NULL, NAME("p"), &access));
    CHECK_NULL_REFUSED(mdb_access_index_type(NULL, NAME("map"), NO_KEY, &type, &found));
    CHECK_NULL_REFUSED(mdb_access_map(NULL, NAME("map"), NO_KEY, &map));
    CHECK_NULL_REFUSED(mdb_access_list(NULL, NAME("list"), NO_KEY, &list));
    CHECK_NULL_REFUSED(mdb_access_sparse_list(NULL, NAME("sparse"), NO_KEY, &sparse_list));
    CHECK_NULL_REFUSED(mdb_access_key_set(NULL, NAME("set"), NO_KEY, &key_set));
    CHECK_NULL_REFUSED(mdb_access_entry(NULL, NAME("entry"), NO_KEY, &entry));
    CHECK_NULL_REFUSED(mdb_migration_create_tombstone(NULL, NAME("x"), NO_KEY));
    CHECK_NULL_REFUSED(mdb_persistent_iter_new_map(NULL, NAME("pos"), h.map, &iter));
    CHECK_NULL_REFUSED(mdb_persistent_iter_new_list(NULL, NAME("pos"), h.list, &iter));
    CHECK_NULL_REFUSED(mdb_persistent_iter_new_sparse_list(NULL, NAME("pos"), h.sparse_list,
                                                           &iter));
    CHECK_NULL_REFUSED(mdb_persistent_iter_new_key_set(NULL, NAME("pos"), h.key_set, &iter));
    /* Maps. */
    CHECK_NULL_REFUSED(mdb_map_get(NULL, BYTES("k"), &value, &found));
    CHECK_NULL_REFUSED(mdb_map_contains(NULL, BYTES("k"), &found));
    CHECK_NULL_REFUSED(mdb_map_put(NULL, BYTES("k"), BYTES("v")));
    CHECK_NULL_REFUSED(mdb_map_remove(NULL, BYTES("k")));
    CHECK_NULL_REFUSED(mdb_map_clear(NULL));
    CHECK_NULL_REFUSED(mdb_map_iter(NULL, NULL, 0, &iter));
    /* Lists. */
    CHECK_NULL_REFUSED(mdb_list_get(NULL, 0, &value, &found));
    CHECK_NULL_REFUSED(mdb_list_last(NULL, &value, &found));
    CHECK_NULL_REFUSED(mdb_list_len(NULL, &number));
    CHECK_NULL_REFUSED(mdb_list_push(NULL, BYTES("v")));
    CHECK_NULL_REFUSED(mdb_list_pop(NULL, &value, &found));
    CHECK_NULL_REFUSED(mdb_list_set(NULL, 0, BYTES("v")));
    CHECK_NULL_REFUSED(mdb_list_truncate(NULL, 0));
    CHECK_NULL_REFUSED(mdb_list_clear(NULL));
    CHECK_NULL_REFUSED(mdb_list_iter(NULL, 0, &iter));
    /* Sparse lists. */
    CHECK_NULL_REFUSED(mdb_sparse_list_get(NULL, 0, &value, &found));
    CHECK_NULL_REFUSED(mdb_sparse_list_len(NULL, &number));
    CHECK_NULL_REFUSED(mdb_sparse_list_capacity(NULL, &number));
    CHECK_NULL_REFUSED(mdb_sparse_list_push(NULL, BYTES("v")));
    CHECK_NULL_REFUSED(mdb_sparse_list_set(NULL, 0, BYTES("v"), &value, &found));
    CHECK_NULL_REFUSED(mdb_sparse_list_remove(NULL, 0, &value, &found));
    CHECK_NULL_REFUSED(mdb_sparse_list_pop(NULL, &value, &found));
    CHECK_NULL_REFUSED(mdb_sparse_list_clear(NULL));
    CHECK_NULL_REFUSED(mdb_sparse_list_iter(NULL, 0, &iter));
    /* Key sets. */
    CHECK_NULL_REFUSED(mdb_key_set_contains(NULL, BYTES("k"), &found));
    CHECK_NULL_REFUSED(mdb_key_set_insert(NULL, BYTES("k")));
    CHECK_NULL_REFUSED(mdb_key_set_remove(NULL, BYTES("k")));
    CHECK_NULL_REFUSED(mdb_key_set_clear(NULL));
    CHECK_NULL_REFUSED(mdb_key_set_iter(NULL, NULL, 0, &iter));
    /* Entries. */
    CHECK_NULL_REFUSED(mdb_entry_get(NULL, &value, &found));
    CHECK_NULL_REFUSED(mdb_entry_exists(NULL, &found));
    CHECK_NULL_REFUSED(mdb_entry_set(NULL, BYTES("v")));
    CHECK_NULL_REFUSED(mdb_entry_remove(NULL));
    CHECK_NULL_REFUSED(mdb_entry_take(NULL, &value, &found));
    CHECK_NULL_REFUSED(mdb_entry_swap(NULL, BYTES("v"), &value, &found));
    /* Iterators. */
    CHECK_NULL_REFUSED(mdb_iter_next(NULL, &key_ptr, &key_len, &value_ptr, &value_len, &found));
    {
        uint8_t buf[8];
        mdb_iter_entry entry;
        CHECK_NULL_REFUSED(mdb_iter_next_batch(NULL, buf, sizeof buf, &entry, 1, &key_len,
                                               &value_len));
    }
    /* Migrations. */
    CHECK_NULL_REFUSED(mdb_migration_helper_new_data(NULL, &access));
    CHECK_NULL_REFUSED(mdb_migration_helper_old_data(NULL, &access));
    CHECK_NULL_REFUSED(mdb_migration_helper_scratchpad(NULL, &access));
    CHECK_NULL_REFUSED(mdb_migration_helper_merge(NULL));
    CHECK_NULL_REFUSED(mdb_migration_helper_finish(NULL));
    CHECK_NULL_REFUSED(mdb_migration_helper_iter_loop(NULL, never_called_step, NULL));
    CHECK_NULL_REFUSED(mdb_persistent_iters_new_map(NULL, NAME("pos"), h.map, &iter));
    CHECK_NULL_REFUSED(mdb_persistent_iters_new_list(NULL, NAME("pos"), h.list, &iter));
    CHECK_NULL_REFUSED(mdb_persistent_iters_new_sparse_list(NULL, NAME("pos"), h.sparse_list,
                                                               &iter));
    CHECK_NULL_REFUSED(mdb_persistent_iters_new_key_set(NULL, NAME("pos"), h.key_set, &iter));
    /* Abort handles. */
    CHECK_NULL_REFUSED(mdb_abort_handle_abort(NULL));
    CHECK_NULL_REFUSED(mdb_abort_handle_is_finished(NULL, &found));

    /* Nothing was written. */
    CHECK(db == UNTOUCHED && fork == UNTOUCHED && snapshot == UNTOUCHED && patch == UNTOUCHED);
    CHECK(access == UNTOUCHED && map == UNTOUCHED && list == UNTOUCHED);
    CHECK(sparse_list == UNTOUCHED && key_set == UNTOUCHED && entry == UNTOUCHED);
    CHECK(iter == UNTOUCHED && helper == UNTOUCHED && abort_handle == UNTOUCHED);
    CHECK(value.data == UNTOUCHED && value.len == 7 && value.capacity == 7);
    CHECK(!found && number == 7 && type == 7);
    CHECK(key_ptr == UNTOUCHED && value_ptr == UNTOUCHED && key_len == 7 && value_len == 7);
    /* The patch given with a NULL database was not consumed. */
    CHECK_OK(mdb_db_merge(h.db, h.patch));
    close_handles(&h);
    return 0;
}

static int test_errors_every_entry_point_refuses_null_outputs_and_inputs(void) {
    handles h;
    mdb_bytes value;
    bool found = false;
    uint64_t number = 0;
    uint32_t type = 0;
    const uint8_t *key_ptr = NULL, *value_ptr = NULL;
    size_t key_len = 0, value_len = 0;
    mdb_iter *iter = UNTOUCHED;
    mdb_access *access = UNTOUCHED;
    const mdb_access *fork_access;
    value.data = UNTOUCHED;
    value.len = 7;
    value.capacity = 7;
    CHECK(open_handles(&h) == 0);
    fork_access = mdb_fork_as_access(h.fork);

    /* Databases. */
    CHECK_NULL_REFUSED(mdb_db_open("/tmp/never-created", NULL, NULL));
    CHECK_NULL_REFUSED(mdb_db_open_temporary(NULL));
    CHECK_NULL_REFUSED(mdb_snapshot_new(h.db, NULL));
    CHECK_NULL_REFUSED(mdb_db_merge(h.db, NULL));
    CHECK_NULL_REFUSED(mdb_db_merge_sync(h.db, NULL));
    CHECK_NULL_REFUSED(mdb_db_checkpoint(h.db, NULL));
    CHECK_NULL_REFUSED(mdb_catalogue_new(h.db, NULL));
    {
        mdb_catalogue *catalogue = NULL;
        mdb_catalogue_record record = {.struct_size = sizeof(mdb_catalogue_record)};
        bool found = false;
        CHECK_OK(mdb_catalogue_new(h.db, &catalogue));
        CHECK_NULL_REFUSED(mdb_catalogue_next(catalogue, NULL, &found));
        CHECK_NULL_REFUSED(mdb_catalogue_next(catalogue, &record, NULL));
        mdb_catalogue_free(catalogue);
    }
    CHECK_NULL_REFUSED(mdb_fork_new(h.db, NULL));
    CHECK_NULL_REFUSED(mdb_migration_helper_new(h.db, NULL, 2, NULL));
    CHECK_NULL_REFUSED(mdb_migration_helper_new(h.db, NAME("ns"), NULL));
    CHECK_NULL_REFUSED(mdb_migration_helper_new_with_abort(h.db, NULL, 2, NULL, NULL));
    {
        mdb_migration_helper *helper = UNTOUCHED;
        mdb_abort_handle *abort_handle = UNTOUCHED;
        CHECK_NULL_REFUSED(mdb_migration_helper_new_with_abort(h.db, NAME("ns"), NULL,
                                                               &abort_handle));
        CHECK_NULL_REFUSED(mdb_migration_helper_new_with_abort(h.db, NAME("ns"), &helper, NULL));
        CHECK(helper == UNTOUCHED && abort_handle == UNTOUCHED);
    }
    /* Forks and patches. */
    CHECK_NULL_REFUSED(mdb_fork_readonly(h.fork, NULL));
    CHECK_NULL_REFUSED(mdb_patch_into_fork(h.patch, NULL));
    CHECK_NULL_REFUSED(mdb_migration_flush(h.fork, NULL, 2));
    CHECK_NULL_REFUSED(mdb_migration_rollback(h.fork, NULL, 2));
    {
        mdb_patch *patch = UNTOUCHED;
        CHECK_NULL_REFUSED(mdb_fork_into_patch(h.fork, NULL));
        CHECK(patch == UNTOUCHED);
    }
    /* Accesses: NULL names with a length, NULL keys with a length, NULL outputs. */
    CHECK_NULL_REFUSED(mdb_access_prefixed(fork_access, NULL, 1, &access));
    CHECK_NULL_REFUSED(mdb_access_prefixed(fork_access, NAME("p"), NULL));
    CHECK_NULL_REFUSED(mdb_access_migration(fork_access, NULL, 1, &access));
    CHECK_NULL_REFUSED(mdb_access_migration(fork_access, NAME("p"), NULL));
    CHECK_NULL_REFUSED(mdb_access_scratchpad(fork_access, NULL, 1, &access));
    CHECK_NULL_REFUSED(mdb_access_scratchpad(fork_access, NAME("p"), NULL));
    CHECK_NULL_REFUSED(mdb_access_index_type(fork_access, NULL, 3, NO_KEY, &type, &found));
    CHECK_NULL_REFUSED(mdb_access_index_type(fork_access, NAME("map"), NULL, 2, &type, &found));
    CHECK_NULL_REFUSED(mdb_access_index_type(fork_access, NAME("map"), NO_KEY, NULL, &found));
    CHECK_NULL_REFUSED(mdb_access_index_type(fork_access, NAME("map"), NO_KEY, &type, NULL));
    {
        mdb_map *map = UNTOUCHED;
        mdb_list *list = UNTOUCHED;
        mdb_sparse_list *sparse_list = UNTOUCHED;
        mdb_key_set *key_set = UNTOUCHED;
        mdb_entry *entry = UNTOUCHED;
        CHECK_NULL_REFUSED(mdb_access_map(fork_access, NULL, 1, NO_KEY, &map));
        CHECK_NULL_REFUSED(mdb_access_map(fork_access, NAME("m2"), NULL, 1, &map));
        CHECK_NULL_REFUSED(mdb_access_map(fork_access, NAME("m2"), NO_KEY, NULL));
        CHECK_NULL_REFUSED(mdb_access_list(fork_access, NULL, 1, NO_KEY, &list));
        CHECK_NULL_REFUSED(mdb_access_list(fork_access, NAME("l2"), NULL, 1, &list));
        CHECK_NULL_REFUSED(mdb_access_list(fork_access, NAME("l2"), NO_KEY, NULL));
        CHECK_NULL_REFUSED(mdb_access_sparse_list(fork_access, NULL, 1, NO_KEY, &sparse_list));
        CHECK_NULL_REFUSED(mdb_access_sparse_list(fork_access, NAME("s2"), NULL, 1, &sparse_list));
        CHECK_NULL_REFUSED(mdb_access_sparse_list(fork_access, NAME("s2"), NO_KEY, NULL));
        CHECK_NULL_REFUSED(mdb_access_key_set(fork_access, NULL, 1, NO_KEY, &key_set));
        CHECK_NULL_REFUSED(mdb_access_key_set(fork_access, NAME("k2"), NULL, 1, &key_set));
        CHECK_NULL_REFUSED(mdb_access_key_set(fork_access, NAME("k2"), NO_KEY, NULL));
        CHECK_NULL_REFUSED(mdb_access_entry(fork_access, NULL, 1, NO_KEY, &entry));
        CHECK_NULL_REFUSED(mdb_access_entry(fork_access, NAME("e2"), NULL, 1, &entry));
        CHECK_NULL_REFUSED(mdb_access_entry(fork_access, NAME("e2"), NO_KEY, NULL));
        CHECK(map == UNTOUCHED && list == UNTOUCHED && sparse_list == UNTOUCHED);
        CHECK(key_set == UNTOUCHED && entry == UNTOUCHED);
    }
    CHECK_NULL_REFUSED(mdb_migration_create_tombstone(h.migration, NULL, 1, NO_KEY));
    CHECK_NULL_REFUSED(mdb_migration_create_tombstone(h.migration, NAME("x"), NULL, 1));
    CHECK_NULL_REFUSED(mdb_persistent_iter_new_map(h.scratchpad, NULL, 1, h.map, &iter));
    CHECK_NULL_REFUSED(mdb_persistent_iter_new_map(h.scratchpad, NAME("pos"), NULL, &iter));
    CHECK_NULL_REFUSED(mdb_persistent_iter_new_map(h.scratchpad, NAME("pos"), h.map, NULL));
    CHECK_NULL_REFUSED(mdb_persistent_iter_new_list(h.scratchpad, NULL, 1, h.list, &iter));
    CHECK_NULL_REFUSED(mdb_persistent_iter_new_list(h.scratchpad, NAME("pos"), NULL, &iter));
    CHECK_NULL_REFUSED(mdb_persistent_iter_new_list(h.scratchpad, NAME("pos"), h.list, NULL));
    CHECK_NULL_REFUSED(mdb_persistent_iter_new_sparse_list(h.scratchpad, NULL, 1, h.sparse_list,
                                                           &iter));
    CHECK_NULL_REFUSED(mdb_persistent_iter_new_sparse_list(h.scratchpad, NAME("pos"), NULL, &iter));
    CHECK_NULL_REFUSED(mdb_persistent_iter_new_sparse_list(h.scratchpad, NAME("pos"),
                                                           h.sparse_list, NULL));
    CHECK_NULL_REFUSED(mdb_persistent_iter_new_key_set(h.scratchpad, NULL, 1, h.key_set, &iter));
    CHECK_NULL_REFUSED(mdb_persistent_iter_new_key_set(h.scratchpad, NAME("pos"), NULL, &iter));
    CHECK_NULL_REFUSED(mdb_persistent_iter_new_key_set(h.scratchpad, NAME("pos"), h.key_set, NULL));
    /* Maps. */
    CHECK_NULL_REFUSED(mdb_map_get(h.map, NULL, 1, &value, &found));
    CHECK_NULL_REFUSED(mdb_map_get(h.map, BYTES("k"), NULL, &found));
    CHECK_NULL_REFUSED(mdb_map_get(h.map, BYTES("k"), &value, NULL));
    CHECK_NULL_REFUSED(mdb_map_contains(h.map, NULL, 1, &found));
    CHECK_NULL_REFUSED(mdb_map_contains(h.map, BYTES("k"), NULL));
    CHECK_NULL_REFUSED(mdb_map_put(h.map, NULL, 1, BYTES("v")));
    CHECK_NULL_REFUSED(mdb_map_put(h.map, BYTES("k"), NULL, 1));
    CHECK_NULL_REFUSED(mdb_map_remove(h.map, NULL, 1));
    CHECK_NULL_REFUSED(mdb_map_iter(h.map, NULL, 1, &iter));
    CHECK_NULL_REFUSED(mdb_map_iter(h.map, NULL, 0, NULL));
    /* Lists. */
    CHECK_NULL_REFUSED(mdb_list_get(h.list, 0, NULL, &found));
    CHECK_NULL_REFUSED(mdb_list_get(h.list, 0, &value, NULL));
    CHECK_NULL_REFUSED(mdb_list_last(h.list, NULL, &found));
    CHECK_NULL_REFUSED(mdb_list_last(h.list, &value, NULL));
    CHECK_NULL_REFUSED(mdb_list_len(h.list, NULL));
    CHECK_NULL_REFUSED(mdb_list_push(h.list, NULL, 1));
    CHECK_NULL_REFUSED(mdb_list_pop(h.list, NULL, &found));
    CHECK_NULL_REFUSED(mdb_list_pop(h.list, &value, NULL));
    CHECK_NULL_REFUSED(mdb_list_set(h.list, 0, NULL, 1));
    CHECK_NULL_REFUSED(mdb_list_iter(h.list, 0, NULL));
    /* Sparse lists. */
    CHECK_NULL_REFUSED(mdb_sparse_list_get(h.sparse_list, 0, NULL, &found));
    CHECK_NULL_REFUSED(mdb_sparse_list_get(h.sparse_list, 0, &value, NULL));
    CHECK_NULL_REFUSED(mdb_sparse_list_len(h.sparse_list, NULL));
    CHECK_NULL_REFUSED(mdb_sparse_list_capacity(h.sparse_list, NULL));
    CHECK_NULL_REFUSED(mdb_sparse_list_push(h.sparse_list, NULL, 1));
    CHECK_NULL_REFUSED(mdb_sparse_list_set(h.sparse_list, 0, NULL, 1, &value, &found));
    CHECK_NULL_REFUSED(mdb_sparse_list_set(h.sparse_list, 0, BYTES("v"), NULL, &found));
    CHECK_NULL_REFUSED(mdb_sparse_list_set(h.sparse_list, 0, BYTES("v"), &value, NULL));
    CHECK_NULL_REFUSED(mdb_sparse_list_remove(h.sparse_list, 0, NULL, &found));
    CHECK_NULL_REFUSED(mdb_sparse_list_remove(h.sparse_list, 0, &value, NULL));
    CHECK_NULL_REFUSED(mdb_sparse_list_pop(h.sparse_list, NULL, &found));
    CHECK_NULL_REFUSED(mdb_sparse_list_pop(h.sparse_list, &value, NULL));
    CHECK_NULL_REFUSED(mdb_sparse_list_iter(h.sparse_list, 0, NULL));
    /* Key sets. */
    CHECK_NULL_REFUSED(mdb_key_set_contains(h.key_set, NULL, 1, &found));
    CHECK_NULL_REFUSED(mdb_key_set_contains(h.key_set, BYTES("k"), NULL));
    CHECK_NULL_REFUSED(mdb_key_set_insert(h.key_set, NULL, 1));
    CHECK_NULL_REFUSED(mdb_key_set_remove(h.key_set, NULL, 1));
    CHECK_NULL_REFUSED(mdb_key_set_iter(h.key_set, NULL, 1, &iter));
    CHECK_NULL_REFUSED(mdb_key_set_iter(h.key_set, NULL, 0, NULL));
    /* Entries. */
    CHECK_NULL_REFUSED(mdb_entry_get(h.entry, NULL, &found));
    CHECK_NULL_REFUSED(mdb_entry_get(h.entry, &value, NULL));
    CHECK_NULL_REFUSED(mdb_entry_exists(h.entry, NULL));
    CHECK_NULL_REFUSED(mdb_entry_set(h.entry, NULL, 1));
    CHECK_NULL_REFUSED(mdb_entry_take(h.entry, NULL, &found));
    CHECK_NULL_REFUSED(mdb_entry_take(h.entry, &value, NULL));
    CHECK_NULL_REFUSED(mdb_entry_swap(h.entry, NULL, 1, &value, &found));
    CHECK_NULL_REFUSED(mdb_entry_swap(h.entry, BYTES("v"), NULL, &found));
    CHECK_NULL_REFUSED(mdb_entry_swap(h.entry, BYTES("v"), &value, NULL));
    /* Iterators. */
    CHECK_NULL_REFUSED(mdb_iter_next(h.iter, NULL, &key_len, &value_ptr, &value_len, &found));
    CHECK_NULL_REFUSED(mdb_iter_next(h.iter, &key_ptr, NULL, &value_ptr, &value_len, &found));
    CHECK_NULL_REFUSED(mdb_iter_next(h.iter, &key_ptr, &key_len, NULL, &value_len, &found));
    CHECK_NULL_REFUSED(mdb_iter_next(h.iter, &key_ptr, &key_len, &value_ptr, NULL, &found));
    CHECK_NULL_REFUSED(mdb_iter_next(h.iter, &key_ptr, &key_len, &value_ptr, &value_len, NULL));
    {
        uint8_t buf[8];
        mdb_iter_entry entry;
        CHECK_NULL_REFUSED(mdb_iter_next_batch(h.iter, NULL, sizeof buf, &entry, 1, &key_len,
                                               &value_len));
        CHECK_NULL_REFUSED(mdb_iter_next_batch(h.iter, buf, sizeof buf, NULL, 1, &key_len,
                                               &value_len));
        CHECK_NULL_REFUSED(mdb_iter_next_batch(h.iter, buf, sizeof buf, &entry, 0, &key_len,
                                               &value_len));
        CHECK_NULL_REFUSED(mdb_iter_next_batch(h.iter, buf, sizeof buf, &entry, 1, NULL,
                                               &value_len));
        CHECK_NULL_REFUSED(mdb_iter_next_batch(h.iter, buf, sizeof buf, &entry, 1, &key_len,
                                               NULL));
    }
    /* Migrations. */
    CHECK_NULL_REFUSED(mdb_migration_helper_new_data(h.helper, NULL));
    CHECK_NULL_REFUSED(mdb_migration_helper_old_data(h.helper, NULL));
    CHECK_NULL_REFUSED(mdb_migration_helper_scratchpad(h.helper, NULL));
    CHECK_NULL_REFUSED(mdb_migration_helper_iter_loop(h.helper, NULL, NULL));
    /* Abort handles. */
    CHECK_NULL_REFUSED(mdb_abort_handle_is_finished(h.abort_handle, NULL));

    /* Nothing was written, and nothing changed. */
    CHECK(iter == UNTOUCHED && access == UNTOUCHED);
    CHECK(value.data == UNTOUCHED && value.len == 7 && value.capacity == 7);
    CHECK(!found && number == 0 && type == 0);
    CHECK_OK(mdb_list_len(h.list, &number));
    CHECK(number == 0);
    CHECK_OK(mdb_sparse_list_capacity(h.sparse_list, &number));
    CHECK(number == 0);
    CHECK_OK(mdb_entry_exists(h.entry, &found));
    CHECK(!found);
    close_handles(&h);
    return 0;
}

static int test_errors_freeing_null_is_a_no_op_everywhere(void) {
    mdb_abort_handle_forget(NULL);
    mdb_abort_handle_free(NULL);
    mdb_access_free(NULL);
    mdb_bytes_free(NULL);
    mdb_catalogue_free(NULL);
    mdb_db_free(NULL);
    mdb_entry_free(NULL);
    mdb_fork_free(NULL);
    mdb_iter_free(NULL);
    mdb_key_set_free(NULL);
    mdb_list_free(NULL);
    mdb_map_free(NULL);
    mdb_migration_helper_free(NULL);
    mdb_patch_free(NULL);
    mdb_snapshot_free(NULL);
    mdb_sparse_list_free(NULL);
    CHECK(strcmp(mdb_last_error_message(), "") == 0);
    return 0;
}

static int test_errors_calls_without_arguments_never_fail(void) {
    CHECK(mdb_version_str() != NULL);
    CHECK(mdb_version_number() > 0);
    CHECK((mdb_features() & MDB_FEATURE_SNAPPY) != 0);
    CHECK(mdb_status_str(MDB_OK) != NULL);
    CHECK(mdb_last_error_message() != NULL);
    CHECK(mdb_last_error_copy(NULL, 0) == 0);
    return 0;
}

static int test_errors_every_status_has_its_own_static_text(void) {
    static const mdb_status codes[] = {
        MDB_OK,           MDB_ERR_INVALID_ARGUMENT, MDB_ERR_STORAGE,   MDB_ERR_WRONG_TYPE,
        MDB_ERR_BORROWED, MDB_ERR_STALE_HANDLE,     MDB_ERR_ABORTED,   MDB_ERR_PANIC,
        MDB_ERR_POISONED, MDB_ERR_READONLY,         MDB_ERR_OUT_OF_RANGE,
        MDB_ERR_INCOMPATIBLE_VERSION, MDB_ERR_CORRUPTION, MDB_ERR_NOT_A_DATABASE,
        MDB_ERR_CONFLICT,
    };
    size_t i, j, count = sizeof codes / sizeof codes[0];
    const char *unknown = mdb_status_str(9999);
    CHECK(MDB_OK == 0);
    CHECK(unknown != NULL && strcmp(unknown, "unknown status code") == 0);
    CHECK(strcmp(mdb_status_str(MDB_ERR_STALE_HANDLE), "stale handle") == 0);
    for (i = 0; i < count; i++) {
        const char *text = mdb_status_str(codes[i]);
        CHECK(text != NULL && strlen(text) > 0);
        CHECK(strcmp(text, unknown) != 0);
        /* Static: the same pointer every time. */
        CHECK(mdb_status_str(codes[i]) == text);
        for (j = 0; j < i; j++) {
            CHECK(codes[j] != codes[i]);
            CHECK(strcmp(mdb_status_str(codes[j]), text) != 0);
        }
    }
    return 0;
}

/* Checks that the message is non-empty and that mdb_last_error_copy agrees with it. */
static int check_message_is_set(void) {
    char copy[1024];
    const char *message = mdb_last_error_message();
    size_t len = strlen(message);
    CHECK(len > 0);
    CHECK(mdb_last_error_copy(copy, sizeof copy) == len);
    CHECK(strcmp(copy, message) == 0);
    return 0;
}

static int test_errors_every_status_is_reachable_from_c(void) {
    char dir[256], path[300];
    FILE *file;
    mdb_db *db = NULL, *bad = UNTOUCHED;
    mdb_fork *fork = NULL;
    mdb_patch *patch = NULL;
    mdb_snapshot *snapshot = NULL;
    mdb_map *map = NULL, *again = UNTOUCHED;
    mdb_list *list = NULL;
    mdb_iter *iter = NULL;
    mdb_migration_helper *helper = NULL;
    mdb_abort_handle *abort_handle = NULL;
    mdb_access *new_data = NULL;
    CHECK(harness_make_temp_dir(dir) == 0);
    OPEN_TEMPORARY(db);

    /* MDB_ERR_INVALID_ARGUMENT */
    CHECK_STATUS(mdb_fork_new(db, NULL), MDB_ERR_INVALID_ARGUMENT);
    CHECK(check_message_is_set() == 0);
    CHECK(strstr(mdb_last_error_message(), "out_fork") != NULL);

    /* MDB_ERR_STORAGE: a regular file where a database directory should be. */
    snprintf(path, sizeof path, "%s/file", dir);
    file = fopen(path, "w");
    CHECK(file != NULL);
    fclose(file);
    CHECK_STATUS(mdb_db_open(path, NULL, &bad), MDB_ERR_STORAGE);
    CHECK(check_message_is_set() == 0);
    CHECK(bad == UNTOUCHED);

    /* MDB_ERR_WRONG_TYPE */
    CHECK_OK(mdb_fork_new(db, &fork));
    CHECK_OK(mdb_access_list(mdb_fork_as_access(fork), NAME("l"), NO_KEY, &list));
    CHECK_STATUS(mdb_access_map(mdb_fork_as_access(fork), NAME("l"), NO_KEY, &again),
                 MDB_ERR_WRONG_TYPE);
    CHECK(check_message_is_set() == 0);

    /* MDB_ERR_OUT_OF_RANGE */
    CHECK_STATUS(mdb_list_set(list, 0, BYTES("v")), MDB_ERR_OUT_OF_RANGE);
    CHECK(check_message_is_set() == 0);

    /* MDB_ERR_BORROWED: a second writable handle, and a write during iteration. */
    CHECK_OK(mdb_access_map(mdb_fork_as_access(fork), NAME("m"), NO_KEY, &map));
    CHECK_STATUS(mdb_access_map(mdb_fork_as_access(fork), NAME("m"), NO_KEY, &again),
                 MDB_ERR_BORROWED);
    CHECK(check_message_is_set() == 0);
    CHECK_OK(mdb_map_iter(map, NULL, 0, &iter));
    CHECK_STATUS(mdb_map_put(map, BYTES("k"), BYTES("v")), MDB_ERR_BORROWED);
    CHECK(check_message_is_set() == 0);
    CHECK(again == UNTOUCHED);

    /* MDB_ERR_STALE_HANDLE */
    CHECK_OK(mdb_fork_into_patch(fork, &patch));
    CHECK_STATUS(mdb_list_push(list, BYTES("v")), MDB_ERR_STALE_HANDLE);
    CHECK(check_message_is_set() == 0);
    mdb_iter_free(iter);
    mdb_map_free(map);
    mdb_list_free(list);
    CHECK_OK(mdb_db_merge(db, patch));
    mdb_patch_free(patch);
    mdb_fork_free(fork);

    /* MDB_ERR_READONLY */
    CHECK_OK(mdb_snapshot_new(db, &snapshot));
    CHECK_OK(mdb_access_list(mdb_snapshot_as_access(snapshot), NAME("l"), NO_KEY, &list));
    CHECK_STATUS(mdb_list_push(list, BYTES("v")), MDB_ERR_READONLY);
    CHECK(check_message_is_set() == 0);
    mdb_list_free(list);
    mdb_snapshot_free(snapshot);

    /* MDB_ERR_ABORTED */
    CHECK_OK(mdb_migration_helper_new_with_abort(db, NAME("ns"), &helper, &abort_handle));
    CHECK_OK(mdb_migration_helper_new_data(helper, &new_data));
    CHECK_OK(mdb_access_map(new_data, NAME("m"), NO_KEY, &map));
    CHECK_OK(mdb_map_put(map, BYTES("k"), BYTES("v")));
    CHECK_OK(mdb_abort_handle_abort(abort_handle));
    CHECK_STATUS(mdb_migration_helper_merge(helper), MDB_ERR_ABORTED);
    CHECK(check_message_is_set() == 0);
    mdb_map_free(map);
    mdb_access_free(new_data);
    mdb_migration_helper_free(helper);
    mdb_abort_handle_free(abort_handle);

    /* MDB_ERR_CONFLICT: two forks create one index with two types. */
    {
        mdb_fork *other = NULL;
        mdb_entry *entry = NULL;
        CHECK_OK(mdb_fork_new(db, &fork));
        CHECK_OK(mdb_fork_new(db, &other));
        CHECK_OK(mdb_access_list(mdb_fork_as_access(fork), NAME("new"), NO_KEY, &list));
        mdb_list_free(list);
        CHECK_OK(mdb_access_entry(mdb_fork_as_access(other), NAME("new"), NO_KEY, &entry));
        mdb_entry_free(entry);
        COMMIT(db, fork);
        CHECK_OK(mdb_fork_into_patch(other, &patch));
        CHECK_STATUS(mdb_db_merge(db, patch), MDB_ERR_CONFLICT);
        CHECK(check_message_is_set() == 0);
        mdb_patch_free(patch);
        mdb_fork_free(other);
    }

    mdb_db_free(db);
    harness_remove_tree(dir);
    return 0;
}

/* The database prepared by tests/ffi_c.rs with another on-disk format version. */
static int test_errors_incompatible_version_is_reported_on_open(void) {
    const char *path = getenv("METALDB_TEST_INCOMPATIBLE_DB");
    mdb_db *db = UNTOUCHED;
    if (path == NULL || path[0] == '\0') {
        SKIP("METALDB_TEST_INCOMPATIBLE_DB is not set (tests/ffi_c.rs sets it)");
    }
    CHECK_STATUS(mdb_db_open(path, NULL, &db), MDB_ERR_INCOMPATIBLE_VERSION);
    CHECK(check_message_is_set() == 0);
    CHECK(strstr(mdb_last_error_message(), "version") != NULL);
    CHECK(db == UNTOUCHED);
    return 0;
}

/* The databases prepared by tests/ffi_c.rs: one whose list "bad" has metadata that does not
 * decode, and a RocksDB database that metaldb did not write. */
static int test_errors_corruption_and_foreign_databases_are_reported(void) {
    const char *corrupt = getenv("METALDB_TEST_CORRUPT_DB");
    const char *foreign = getenv("METALDB_TEST_FOREIGN_DB");
    mdb_db *db = NULL, *bad = UNTOUCHED;
    mdb_fork *fork = NULL;
    mdb_list *list = UNTOUCHED;
    if (corrupt == NULL || corrupt[0] == '\0' || foreign == NULL || foreign[0] == '\0') {
        SKIP("METALDB_TEST_CORRUPT_DB or METALDB_TEST_FOREIGN_DB is not set (tests/ffi_c.rs "
             "sets them)");
    }

    /* MDB_ERR_CORRUPTION: the database opens; the index with corrupted metadata does not. */
    CHECK_OK(mdb_db_open(corrupt, NULL, &db));
    CHECK_OK(mdb_fork_new(db, &fork));
    CHECK_STATUS(mdb_access_list(mdb_fork_as_access(fork), NAME("bad"), NO_KEY, &list),
                 MDB_ERR_CORRUPTION);
    CHECK(check_message_is_set() == 0);
    CHECK(strstr(mdb_last_error_message(), "\"bad\"") != NULL);
    CHECK(list == UNTOUCHED);
    /* Nothing is poisoned: another index opens in the same fork. */
    list = NULL;
    CHECK_OK(mdb_access_list(mdb_fork_as_access(fork), NAME("good"), NO_KEY, &list));
    mdb_list_free(list);
    mdb_fork_free(fork);
    mdb_db_free(db);

    /* MDB_ERR_NOT_A_DATABASE */
    CHECK_STATUS(mdb_db_open(foreign, NULL, &bad), MDB_ERR_NOT_A_DATABASE);
    CHECK(check_message_is_set() == 0);
    CHECK(strstr(mdb_last_error_message(), "did not write") != NULL);
    CHECK(bad == UNTOUCHED);
    return 0;
}

/* A handle passed where another kind is expected (one cast away in C) is refused, naming
 * both kinds, before anything reads it as the wrong type; its family stays usable. */
#define CHECK_KIND_REFUSED(call, given, expected)                                       \
    do {                                                                                \
        CHECK_STATUS(call, MDB_ERR_INVALID_ARGUMENT);                                   \
        CHECK(strstr(mdb_last_error_message(), given) != NULL);                         \
        CHECK(strstr(mdb_last_error_message(), expected) != NULL);                      \
    } while (0)

static int test_errors_handles_of_another_kind_are_refused_and_poison_nothing(void) {
    handles h;
    mdb_bytes value = harness_empty_bytes();
    bool found = true;
    uint64_t len = 7;
    mdb_iter *iter = UNTOUCHED;
    CHECK(open_handles(&h) == 0);
    CHECK_KIND_REFUSED(mdb_map_put((mdb_map *)h.list, BYTES("k"), BYTES("v")), "mdb_list",
                       "mdb_map");
    CHECK_KIND_REFUSED(mdb_map_get((const mdb_map *)h.key_set, BYTES("k"), &value, &found),
                       "mdb_key_set", "mdb_map");
    CHECK_KIND_REFUSED(mdb_list_len((const mdb_list *)h.sparse_list, &len), "mdb_sparse_list",
                       "mdb_list");
    CHECK_KIND_REFUSED(mdb_entry_set((mdb_entry *)h.map, BYTES("v")), "mdb_map", "mdb_entry");
    CHECK_KIND_REFUSED(mdb_map_iter((const mdb_map *)h.iter, NULL, 0, &iter), "mdb_iter",
                       "mdb_map");
    CHECK_KIND_REFUSED(mdb_fork_flush((mdb_fork *)h.patch), "mdb_patch", "mdb_fork");
    CHECK_KIND_REFUSED(mdb_db_merge(h.db, (mdb_patch *)h.fork), "mdb_fork", "mdb_patch");
    CHECK_KIND_REFUSED(mdb_snapshot_new((const mdb_db *)h.snapshot, (mdb_snapshot **)&iter),
                       "mdb_snapshot", "mdb_db");
    CHECK_KIND_REFUSED(mdb_abort_handle_abort((mdb_abort_handle *)h.helper),
                       "mdb_migration_helper", "mdb_abort_handle");
    CHECK_KIND_REFUSED(mdb_migration_helper_merge((mdb_migration_helper *)h.migration),
                       "mdb_access", "mdb_migration_helper");
    /* A _free given another kind leaves the handle alone. */
    mdb_list_free((mdb_list *)h.map);
    CHECK(strstr(mdb_last_error_message(), "mdb_map") != NULL);
    /* Nothing was written, nothing was consumed, and no family is poisoned. */
    CHECK(value.data == NULL && found && len == 7 && iter == UNTOUCHED);
    CHECK_OK(mdb_map_put(h.map, BYTES("k"), BYTES("v")));
    CHECK_OK(mdb_list_push(h.list, BYTES("v")));
    CHECK_OK(mdb_fork_flush(h.fork));
    CHECK_OK(mdb_db_merge(h.db, h.patch));
    close_handles(&h);
    return 0;
}

int main(void) {
    RUN_TEST(test_errors_every_entry_point_refuses_null_handles);
    RUN_TEST(test_errors_every_entry_point_refuses_null_outputs_and_inputs);
    RUN_TEST(test_errors_handles_of_another_kind_are_refused_and_poison_nothing);
    RUN_TEST(test_errors_freeing_null_is_a_no_op_everywhere);
    RUN_TEST(test_errors_calls_without_arguments_never_fail);
    RUN_TEST(test_errors_every_status_has_its_own_static_text);
    RUN_TEST(test_errors_every_status_is_reachable_from_c);
    RUN_TEST(test_errors_incompatible_version_is_reported_on_open);
    RUN_TEST(test_errors_corruption_and_foreign_databases_are_reported);
    return HARNESS_SUMMARY();
}
