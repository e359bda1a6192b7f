/*
 * Migrations: helpers and their views, merge and finish, flush and rollback, tombstones,
 * the persistent-iterator loop (in chunks, resumed after a failed step), and persistent
 * iterators that resume after the database is reopened.
 */
#include "harness.h"

enum { WALLETS = 10, CHUNK = 3 };

/* Writes wallets w0..w9 with values "a".."j" into the map "ns.wallets" of `db`, plus
 * "ns.untouched" and "elsewhere". */
static int fill(mdb_db *db) {
    mdb_fork *fork = NULL;
    mdb_map *map = NULL;
    int i;
    CHECK_OK(mdb_fork_new(db, &fork));
    CHECK_OK(mdb_access_map(mdb_fork_as_access(fork), NAME("ns.wallets"), NO_KEY, &map));
    for (i = 0; i < WALLETS; i++) {
        char key[16], value[2];
        snprintf(key, sizeof key, "w%d", i);
        value[0] = (char)('a' + i);
        value[1] = '\0';
        CHECK_OK(mdb_map_put(map, (const uint8_t *)key, strlen(key), (const uint8_t *)value, 1));
    }
    mdb_map_free(map);
    CHECK_OK(mdb_access_map(mdb_fork_as_access(fork), NAME("ns.untouched"), NO_KEY, &map));
    CHECK_OK(mdb_map_put(map, BYTES("k"), BYTES("kept")));
    mdb_map_free(map);
    CHECK_OK(mdb_access_map(mdb_fork_as_access(fork), NAME("elsewhere"), NO_KEY, &map));
    CHECK_OK(mdb_map_put(map, BYTES("k"), BYTES("kept")));
    mdb_map_free(map);
    COMMIT(db, fork);
    return 0;
}

/* Flushes (or rolls back) the migration "ns" in a fresh fork and merges it. */
static int finalize(mdb_db *db, bool flush) {
    mdb_fork *fork = NULL;
    CHECK_OK(mdb_fork_new(db, &fork));
    if (flush) {
        CHECK_OK(mdb_migration_flush(fork, NAME("ns")));
    } else {
        CHECK_OK(mdb_migration_rollback(fork, NAME("ns")));
    }
    COMMIT(db, fork);
    return 0;
}

/* Checks that every wallet of "ns.wallets" holds its value doubled ("aa".."jj"). */
static int check_doubled(mdb_db *db) {
    int i;
    for (i = 0; i < WALLETS; i++) {
        char key[16], value[3];
        snprintf(key, sizeof key, "w%d", i);
        value[0] = value[1] = (char)('a' + i);
        value[2] = '\0';
        CHECK_DB_VALUE(db, "ns.wallets", key, value);
    }
    return 0;
}

static int test_migration_helper_writes_new_data_and_flush_swaps_it_in(void) {
    mdb_db *db = NULL;
    mdb_migration_helper *helper = NULL;
    mdb_access *new_data = NULL, *old_data = NULL;
    mdb_map *new_map = NULL, *old_map = NULL;
    mdb_bytes value = harness_empty_bytes();
    bool found = false;
    OPEN_TEMPORARY(db);
    CHECK(fill(db) == 0);
    CHECK_OK(mdb_migration_helper_new(db, NAME("ns"), &helper));
    CHECK_OK(mdb_migration_helper_new_data(helper, &new_data));
    CHECK_OK(mdb_migration_helper_old_data(helper, &old_data));
    CHECK_OK(mdb_access_map(new_data, NAME("wallets"), NO_KEY, &new_map));
    CHECK_OK(mdb_access_map(old_data, NAME("wallets"), NO_KEY, &old_map));
    CHECK_OK(mdb_map_put(new_map, BYTES("w0"), BYTES("migrated")));
    CHECK_OK(mdb_map_get(old_map, BYTES("w0"), &value, &found));
    CHECK(found && BYTES_EQ(value, "a"));
    mdb_bytes_free(&value);
    /* The old data is read-only. */
    CHECK_STATUS(mdb_map_put(old_map, BYTES("w0"), BYTES("x")), MDB_ERR_READONLY);
    CHECK_OK(mdb_migration_helper_finish(helper));
    mdb_map_free(new_map);
    mdb_map_free(old_map);
    mdb_access_free(new_data);
    mdb_access_free(old_data);
    mdb_migration_helper_free(helper);

    /* Merged but not flushed: the old data is still in place. */
    CHECK_DB_VALUE(db, "ns.wallets", "w0", "a");
    CHECK_MIGRATED_VALUE(db, "ns", "wallets", "w0", "migrated");
    CHECK(finalize(db, true) == 0);
    CHECK_DB_VALUE(db, "ns.wallets", "w0", "migrated");
    /* The migrated map replaced the old one as a whole. */
    CHECK_DB_VALUE(db, "ns.wallets", "w1", NULL);
    CHECK_DB_VALUE(db, "ns.untouched", "k", "kept");
    CHECK_DB_VALUE(db, "elsewhere", "k", "kept");
    mdb_db_free(db);
    return 0;
}

static int test_migration_rollback_keeps_the_old_data(void) {
    mdb_db *db = NULL;
    mdb_migration_helper *helper = NULL;
    mdb_access *new_data = NULL;
    mdb_map *map = NULL;
    OPEN_TEMPORARY(db);
    CHECK(fill(db) == 0);
    CHECK_OK(mdb_migration_helper_new(db, NAME("ns"), &helper));
    CHECK_OK(mdb_migration_helper_new_data(helper, &new_data));
    CHECK_OK(mdb_access_map(new_data, NAME("wallets"), NO_KEY, &map));
    CHECK_OK(mdb_map_put(map, BYTES("w0"), BYTES("migrated")));
    mdb_map_free(map);
    mdb_access_free(new_data);
    CHECK_OK(mdb_migration_helper_finish(helper));
    mdb_migration_helper_free(helper);
    CHECK(finalize(db, false) == 0);
    CHECK_DB_VALUE(db, "ns.wallets", "w0", "a");
    CHECK_MIGRATED_VALUE(db, "ns", "wallets", "w0", NULL);
    mdb_db_free(db);
    return 0;
}

static int test_migration_tombstone_removes_the_old_index_on_flush(void) {
    mdb_db *db = NULL;
    mdb_migration_helper *helper = NULL;
    mdb_access *new_data = NULL;
    mdb_snapshot *snapshot = NULL;
    uint32_t type = 0;
    bool found = true;
    OPEN_TEMPORARY(db);
    CHECK(fill(db) == 0);
    CHECK_OK(mdb_migration_helper_new(db, NAME("ns"), &helper));
    CHECK_OK(mdb_migration_helper_new_data(helper, &new_data));
    CHECK_OK(mdb_migration_create_tombstone(new_data, NAME("untouched"), NO_KEY));
    CHECK_OK(mdb_migration_create_tombstone(new_data, NAME("untouched"), NO_KEY));
    /* A tombstone needs no old index. */
    CHECK_OK(mdb_migration_create_tombstone(new_data, NAME("never_existed"), NO_KEY));
    /* A non-NULL empty group key marks the group member with the empty key, not the index
     * outside the group. */
    CHECK_OK(mdb_migration_create_tombstone(new_data, NAME("grouped"), (const uint8_t *)"", 0));
    CHECK_OK(mdb_access_index_type(new_data, NAME("grouped"), (const uint8_t *)"", 0, &type,
                                   &found));
    CHECK(found && type == MDB_INDEX_TOMBSTONE);
    CHECK_OK(mdb_access_index_type(new_data, NAME("grouped"), NO_KEY, &type, &found));
    CHECK(!found);
    {
        mdb_map *map = UNTOUCHED;
        CHECK_STATUS(mdb_access_map(new_data, NAME("untouched"), NO_KEY, &map),
                     MDB_ERR_WRONG_TYPE);
        CHECK(map == UNTOUCHED);
    }
    mdb_access_free(new_data);
    CHECK_OK(mdb_migration_helper_finish(helper));
    mdb_migration_helper_free(helper);
    CHECK(finalize(db, true) == 0);
    CHECK_OK(mdb_snapshot_new(db, &snapshot));
    CHECK_OK(mdb_access_index_type(mdb_snapshot_as_access(snapshot), NAME("ns.untouched"), NO_KEY,
                                   &type, &found));
    CHECK(!found);
    CHECK_OK(mdb_access_index_type(mdb_snapshot_as_access(snapshot), NAME("ns.wallets"), NO_KEY,
                                   &type, &found));
    CHECK(found && type == MDB_INDEX_MAP);
    mdb_snapshot_free(snapshot);
    mdb_db_free(db);
    return 0;
}

static int test_migration_tombstones_need_a_writable_migration_access(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_snapshot *snapshot = NULL;
    mdb_access *over_fork = NULL, *over_snapshot = NULL, *prefixed = NULL;
    mdb_map *map = NULL;
    OPEN_TEMPORARY(db);
    CHECK(fill(db) == 0);
    CHECK_OK(mdb_fork_new(db, &fork));
    /* The fork's own access is borrowed (const) and no migration access: refused at run time
     * too, for a binding that does not see the const. */
    CHECK_STATUS(mdb_migration_create_tombstone((mdb_access *)mdb_fork_as_access(fork), NAME("x"),
                                                NO_KEY),
                 MDB_ERR_INVALID_ARGUMENT);
    CHECK_OK(mdb_access_prefixed(mdb_fork_as_access(fork), NAME("ns"), &prefixed));
    CHECK_STATUS(mdb_migration_create_tombstone(prefixed, NAME("x"), NO_KEY),
                 MDB_ERR_INVALID_ARGUMENT);
    CHECK_OK(mdb_snapshot_new(db, &snapshot));
    CHECK_OK(mdb_access_migration(mdb_snapshot_as_access(snapshot), NAME("ns"), &over_snapshot));
    CHECK_STATUS(mdb_migration_create_tombstone(over_snapshot, NAME("x"), NO_KEY),
                 MDB_ERR_READONLY);
    /* A migration access over a fork works like the helper's new data. */
    CHECK_OK(mdb_access_migration(mdb_fork_as_access(fork), NAME("ns"), &over_fork));
    CHECK_OK(mdb_access_map(over_fork, NAME("wallets"), NO_KEY, &map));
    CHECK_OK(mdb_map_put(map, BYTES("w0"), BYTES("direct")));
    mdb_map_free(map);
    CHECK_STATUS(mdb_migration_create_tombstone(over_fork, NAME("wallets"), NO_KEY),
                 MDB_ERR_WRONG_TYPE);
    CHECK_STATUS(mdb_migration_create_tombstone(over_fork, NAME("bad name"), NO_KEY),
                 MDB_ERR_INVALID_ARGUMENT);
    CHECK_OK(mdb_migration_create_tombstone(over_fork, NAME("untouched"), NO_KEY));
    mdb_access_free(over_fork);
    mdb_access_free(prefixed);
    mdb_access_free(over_snapshot);
    mdb_snapshot_free(snapshot);
    COMMIT(db, fork);
    CHECK(finalize(db, true) == 0);
    CHECK_DB_VALUE(db, "ns.wallets", "w0", "direct");
    CHECK_DB_VALUE(db, "ns.untouched", "k", NULL);
    mdb_db_free(db);
    return 0;
}

static int test_migration_merge_makes_the_helpers_children_stale(void) {
    mdb_db *db = NULL;
    mdb_migration_helper *helper = NULL;
    mdb_access *new_data = NULL, *scratchpad = NULL, *again = UNTOUCHED;
    mdb_map *map = NULL, *other = UNTOUCHED;
    OPEN_TEMPORARY(db);
    CHECK(fill(db) == 0);
    CHECK_OK(mdb_migration_helper_new(db, NAME("ns"), &helper));
    CHECK_OK(mdb_migration_helper_new_data(helper, &new_data));
    CHECK_OK(mdb_migration_helper_scratchpad(helper, &scratchpad));
    CHECK_OK(mdb_access_map(new_data, NAME("wallets"), NO_KEY, &map));
    CHECK_OK(mdb_map_put(map, BYTES("w0"), BYTES("step1")));
    CHECK_OK(mdb_migration_helper_merge(helper));
    CHECK_STATUS(mdb_map_put(map, BYTES("w1"), BYTES("x")), MDB_ERR_STALE_HANDLE);
    CHECK_STATUS(mdb_access_map(new_data, NAME("other"), NO_KEY, &other), MDB_ERR_STALE_HANDLE);
    CHECK_STATUS(mdb_access_map(scratchpad, NAME("other"), NO_KEY, &other), MDB_ERR_STALE_HANDLE);
    CHECK(other == UNTOUCHED);
    mdb_map_free(map);
    mdb_access_free(new_data);
    mdb_access_free(scratchpad);
    CHECK_MIGRATED_VALUE(db, "ns", "wallets", "w0", "step1");

    /* The helper goes on with new views. */
    CHECK_OK(mdb_migration_helper_new_data(helper, &new_data));
    CHECK_OK(mdb_access_map(new_data, NAME("wallets"), NO_KEY, &map));
    CHECK_OK(mdb_map_put(map, BYTES("w1"), BYTES("step2")));
    mdb_map_free(map);
    CHECK_OK(mdb_migration_helper_finish(helper));
    /* Finished: every later call on it is stale. */
    CHECK_STATUS(mdb_migration_helper_merge(helper), MDB_ERR_STALE_HANDLE);
    CHECK_STATUS(mdb_migration_helper_finish(helper), MDB_ERR_STALE_HANDLE);
    CHECK_STATUS(mdb_migration_helper_new_data(helper, &again), MDB_ERR_STALE_HANDLE);
    CHECK_STATUS(mdb_access_map(new_data, NAME("wallets"), NO_KEY, &other), MDB_ERR_STALE_HANDLE);
    CHECK(again == UNTOUCHED && other == UNTOUCHED);
    mdb_access_free(new_data);
    mdb_migration_helper_free(helper);
    CHECK_MIGRATED_VALUE(db, "ns", "wallets", "w1", "step2");
    CHECK_MIGRATED_VALUE(db, "ns", "wallets", "w0", "step1");
    mdb_db_free(db);
    return 0;
}

static int test_migration_invalid_namespaces_are_refused(void) {
    static const char *const namespaces[] = {"", "a.b", "has space", "\xff"};
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_migration_helper *helper = UNTOUCHED;
    mdb_access *access = UNTOUCHED;
    size_t i;
    OPEN_FORK(db, fork);
    for (i = 0; i < sizeof namespaces / sizeof namespaces[0]; i++) {
        const char *ns = namespaces[i];
        CHECK_STATUS(mdb_migration_helper_new(db, ns, strlen(ns), &helper),
                     MDB_ERR_INVALID_ARGUMENT);
        CHECK_STATUS(mdb_migration_flush(fork, ns, strlen(ns)), MDB_ERR_INVALID_ARGUMENT);
        CHECK_STATUS(mdb_migration_rollback(fork, ns, strlen(ns)), MDB_ERR_INVALID_ARGUMENT);
        CHECK_STATUS(mdb_access_migration(mdb_fork_as_access(fork), ns, strlen(ns), &access),
                     MDB_ERR_INVALID_ARGUMENT);
        CHECK_STATUS(mdb_access_scratchpad(mdb_fork_as_access(fork), ns, strlen(ns), &access),
                     MDB_ERR_INVALID_ARGUMENT);
    }
    CHECK(helper == UNTOUCHED && access == UNTOUCHED);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

static int test_migration_flush_makes_the_forks_children_stale(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_map *map = NULL;
    OPEN_TEMPORARY(db);
    CHECK(fill(db) == 0);
    CHECK_OK(mdb_fork_new(db, &fork));
    CHECK_OK(mdb_access_map(mdb_fork_as_access(fork), NAME("elsewhere"), NO_KEY, &map));
    CHECK_OK(mdb_map_put(map, BYTES("k2"), BYTES("v2")));
    CHECK_OK(mdb_migration_flush(fork, NAME("ns")));
    CHECK_STATUS(mdb_map_put(map, BYTES("k3"), BYTES("v3")), MDB_ERR_STALE_HANDLE);
    mdb_map_free(map);
    COMMIT(db, fork);
    /* The fork's own change stayed. */
    CHECK_DB_VALUE(db, "elsewhere", "k2", "v2");
    mdb_db_free(db);
    return 0;
}

/* What the loop's step callback does, through `user_data`. */
typedef struct {
    int rounds;
    int fail_in_round;
    mdb_status fail_status;
    int migrated;
} loop_state;

/* One round: migrates up to CHUNK wallets from the old "wallets" to the new one, doubling
 * each value. */
static mdb_status migrate_a_chunk(mdb_migration_helper *helper, mdb_persistent_iters *iters,
                                  void *user_data) {
    loop_state *state = user_data;
    mdb_access *old_data = NULL, *new_data = NULL;
    mdb_map *old_map = NULL, *new_map = NULL;
    mdb_iter *iter = NULL, *refused = UNTOUCHED;
    int i;
    state->rounds++;
    TRY(mdb_migration_helper_old_data(helper, &old_data));
    TRY(mdb_migration_helper_new_data(helper, &new_data));
    TRY(mdb_access_map(old_data, NAME("wallets"), NO_KEY, &old_map));
    TRY(mdb_access_map(new_data, NAME("wallets"), NO_KEY, &new_map));
    if (mdb_persistent_iters_new_map(iters, NAME("bad name"), old_map, &refused) !=
            MDB_ERR_INVALID_ARGUMENT ||
        mdb_persistent_iters_new_map(iters, NAME("wallets"), old_map, NULL) !=
            MDB_ERR_INVALID_ARGUMENT ||
        refused != UNTOUCHED) {
        printf("  a bad persistent iterator was not refused\n");
        return MDB_ERR_PANIC;
    }
    TRY(mdb_persistent_iters_new_map(iters, NAME("wallets"), old_map, &iter));
    for (i = 0; i < CHUNK; i++) {
        harness_step step;
        uint8_t doubled[2];
        TRY(harness_next(iter, &step));
        if (!step.found) {
            break;
        }
        if (step.value_len != 1) {
            return MDB_ERR_PANIC;
        }
        doubled[0] = doubled[1] = step.value[0];
        TRY(mdb_map_put(new_map, step.key, step.key_len, doubled, 2));
        state->migrated++;
    }
    mdb_iter_free(iter);
    mdb_map_free(old_map);
    mdb_map_free(new_map);
    mdb_access_free(old_data);
    mdb_access_free(new_data);
    if (state->rounds == state->fail_in_round) {
        return state->fail_status;
    }
    return MDB_OK;
}

static int test_migration_iter_loop_migrates_in_chunks_until_the_iterators_end(void) {
    mdb_db *db = NULL;
    mdb_migration_helper *helper = NULL;
    loop_state state;
    memset(&state, 0, sizeof state);
    OPEN_TEMPORARY(db);
    CHECK(fill(db) == 0);
    CHECK_OK(mdb_migration_helper_new(db, NAME("ns"), &helper));
    CHECK_OK(mdb_migration_helper_iter_loop(helper, migrate_a_chunk, &state));
    /* 3 + 3 + 3 + 1 wallets; the fourth round reaches the end. */
    CHECK(state.rounds == (WALLETS + CHUNK - 1) / CHUNK);
    CHECK(state.migrated == WALLETS);
    CHECK_OK(mdb_migration_helper_finish(helper));
    mdb_migration_helper_free(helper);
    CHECK(finalize(db, true) == 0);
    CHECK(check_doubled(db) == 0);
    mdb_db_free(db);
    return 0;
}

static int test_migration_iter_loop_resumes_after_a_failed_step(void) {
    mdb_db *db = NULL;
    mdb_migration_helper *helper = NULL;
    loop_state state;
    memset(&state, 0, sizeof state);
    state.fail_in_round = 2;
    state.fail_status = MDB_ERR_OUT_OF_RANGE;
    OPEN_TEMPORARY(db);
    CHECK(fill(db) == 0);
    CHECK_OK(mdb_migration_helper_new(db, NAME("ns"), &helper));
    CHECK_STATUS(mdb_migration_helper_iter_loop(helper, migrate_a_chunk, &state), MDB_ERR_OUT_OF_RANGE);
    CHECK(strlen(mdb_last_error_message()) > 0);
    CHECK(state.rounds == 2);
    /* The first round was merged; the second is dropped with the helper. */
    CHECK_MIGRATED_VALUE(db, "ns", "wallets", "w2", "cc");
    CHECK_MIGRATED_VALUE(db, "ns", "wallets", "w3", NULL);
    mdb_migration_helper_free(helper);

    memset(&state, 0, sizeof state);
    CHECK_OK(mdb_migration_helper_new(db, NAME("ns"), &helper));
    CHECK_OK(mdb_migration_helper_iter_loop(helper, migrate_a_chunk, &state));
    CHECK(state.migrated == WALLETS - CHUNK);
    CHECK_OK(mdb_migration_helper_finish(helper));
    mdb_migration_helper_free(helper);
    CHECK(finalize(db, true) == 0);
    CHECK(check_doubled(db) == 0);
    mdb_db_free(db);
    return 0;
}

static mdb_status creates_no_iterator(mdb_migration_helper *helper, mdb_persistent_iters *iters,
                                      void *user_data) {
    (void)helper;
    (void)iters;
    ++*(int *)user_data;
    return MDB_OK;
}

static int test_migration_iter_loop_without_iterators_runs_one_round(void) {
    mdb_db *db = NULL;
    mdb_migration_helper *helper = NULL;
    int rounds = 0;
    OPEN_TEMPORARY(db);
    CHECK_OK(mdb_migration_helper_new(db, NAME("ns"), &helper));
    CHECK_OK(mdb_migration_helper_iter_loop(helper, creates_no_iterator, &rounds));
    CHECK(rounds == 1);
    mdb_migration_helper_free(helper);
    mdb_db_free(db);
    return 0;
}

/* Takes up to `count` items from a persistent iterator over "ns.wallets" whose position is
 * the entry "pos" of the scratchpad of "ns", in one fork that is merged. */
static int take_persistently(mdb_db *db, int count, int *taken, bool *ended) {
    mdb_fork *fork = NULL;
    mdb_access *scratchpad = NULL;
    mdb_map *map = NULL;
    mdb_iter *iter = NULL;
    int i;
    *taken = 0;
    *ended = false;
    CHECK_OK(mdb_fork_new(db, &fork));
    CHECK_OK(mdb_access_scratchpad(mdb_fork_as_access(fork), NAME("ns"), &scratchpad));
    CHECK_OK(mdb_access_map(mdb_fork_as_access(fork), NAME("ns.wallets"), NO_KEY, &map));
    CHECK_OK(mdb_persistent_iter_new_map(scratchpad, NAME("pos"), map, &iter));
    for (i = 0; i < count; i++) {
        harness_step step;
        CHECK_OK(harness_next(iter, &step));
        if (!step.found) {
            *ended = true;
            break;
        }
        (*taken)++;
    }
    mdb_iter_free(iter);
    mdb_map_free(map);
    mdb_access_free(scratchpad);
    COMMIT(db, fork);
    return 0;
}

static int test_migration_persistent_iterator_resumes_after_a_reopen(void) {
    char dir[256], path[300];
    mdb_db *db = NULL;
    int taken = 0;
    bool ended = false;
    CHECK(harness_make_temp_dir(dir) == 0);
    snprintf(path, sizeof path, "%s/db", dir);
    CHECK_OK(mdb_db_open(path, NULL, &db));
    CHECK(fill(db) == 0);
    CHECK(take_persistently(db, 4, &taken, &ended) == 0);
    CHECK(taken == 4 && !ended);
    mdb_db_free(db);

    CHECK_OK(mdb_db_open(path, NULL, &db));
    CHECK(take_persistently(db, 100, &taken, &ended) == 0);
    CHECK(taken == WALLETS - 4 && ended);
    /* At its end it stays there. */
    CHECK(take_persistently(db, 100, &taken, &ended) == 0);
    CHECK(taken == 0 && ended);
    mdb_db_free(db);
    harness_remove_tree(dir);
    return 0;
}

static int test_migration_persistent_iterator_checks_its_arguments(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL, *other_fork = NULL;
    mdb_access *scratchpad = NULL, *readonly = NULL;
    mdb_map *map = NULL, *foreign = NULL;
    mdb_entry *entry = NULL;
    mdb_list *list = NULL;
    mdb_iter *iter = NULL, *second = UNTOUCHED;
    OPEN_TEMPORARY(db);
    CHECK(fill(db) == 0);
    CHECK_OK(mdb_fork_new(db, &fork));
    CHECK_OK(mdb_fork_new(db, &other_fork));
    CHECK_OK(mdb_access_scratchpad(mdb_fork_as_access(fork), NAME("ns"), &scratchpad));
    CHECK_OK(mdb_fork_readonly(fork, &readonly));
    CHECK_OK(mdb_access_map(mdb_fork_as_access(fork), NAME("ns.wallets"), NO_KEY, &map));
    CHECK_OK(mdb_access_map(mdb_fork_as_access(other_fork), NAME("ns.wallets"), NO_KEY, &foreign));
    /* A map of another family, an invalid name, a read-only position access. */
    CHECK_STATUS(mdb_persistent_iter_new_map(scratchpad, NAME("pos"), foreign, &second),
                 MDB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mdb_persistent_iter_new_map(scratchpad, NAME("bad name"), map, &second),
                 MDB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mdb_persistent_iter_new_map(readonly, NAME("pos"), map, &second),
                 MDB_ERR_READONLY);
    /* Another index type where the position would be stored. */
    CHECK_OK(mdb_access_list(scratchpad, NAME("a_list"), NO_KEY, &list));
    mdb_list_free(list);
    CHECK_STATUS(mdb_persistent_iter_new_map(scratchpad, NAME("a_list"), map, &second),
                 MDB_ERR_WRONG_TYPE);
    /* An entry that holds something else than a position. */
    CHECK_OK(mdb_access_entry(scratchpad, NAME("junk"), NO_KEY, &entry));
    CHECK_OK(mdb_entry_set(entry, BYTES("not a position at all")));
    mdb_entry_free(entry);
    CHECK_STATUS(mdb_persistent_iter_new_map(scratchpad, NAME("junk"), map, &second),
                 MDB_ERR_INVALID_ARGUMENT);
    /* A live iterator with the same name, not at its end. */
    CHECK_OK(mdb_persistent_iter_new_map(scratchpad, NAME("pos"), map, &iter));
    CHECK_STATUS(mdb_persistent_iter_new_map(scratchpad, NAME("pos"), map, &second),
                 MDB_ERR_BORROWED);
    CHECK(second == UNTOUCHED);
    /* The iterated map refuses writes meanwhile. */
    CHECK_STATUS(mdb_map_put(map, BYTES("w0"), BYTES("x")), MDB_ERR_BORROWED);
    mdb_iter_free(iter);
    mdb_map_free(map);
    mdb_map_free(foreign);
    mdb_access_free(readonly);
    mdb_access_free(scratchpad);
    mdb_fork_free(other_fork);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

int main(void) {
    RUN_TEST(test_migration_helper_writes_new_data_and_flush_swaps_it_in);
    RUN_TEST(test_migration_rollback_keeps_the_old_data);
    RUN_TEST(test_migration_tombstone_removes_the_old_index_on_flush);
    RUN_TEST(test_migration_tombstones_need_a_writable_migration_access);
    RUN_TEST(test_migration_merge_makes_the_helpers_children_stale);
    RUN_TEST(test_migration_invalid_namespaces_are_refused);
    RUN_TEST(test_migration_flush_makes_the_forks_children_stale);
    RUN_TEST(test_migration_iter_loop_migrates_in_chunks_until_the_iterators_end);
    RUN_TEST(test_migration_iter_loop_resumes_after_a_failed_step);
    RUN_TEST(test_migration_iter_loop_without_iterators_runs_one_round);
    RUN_TEST(test_migration_persistent_iterator_resumes_after_a_reopen);
    RUN_TEST(test_migration_persistent_iterator_checks_its_arguments);
    return HARNESS_SUMMARY();
}
