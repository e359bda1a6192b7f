/*
 * Forks of one database that create indexes concurrently: new indexes never share their
 * data, an index created by two forks receives the writes of both, and a fork that created
 * an index with another type than a merge since gave it is refused with MDB_ERR_CONFLICT.
 */
#include "harness.h"

#include <pthread.h>

/* Opens the group member `grp`/`key` as a map through `fork` and puts `k` = `value`. */
static int put_in_member(mdb_fork *fork, const char *key, const char *value) {
    mdb_map *map = NULL;
    CHECK_OK(mdb_access_map(mdb_fork_as_access(fork), NAME("grp"), (const uint8_t *)key,
                            strlen(key), &map));
    CHECK_OK(mdb_map_put(map, BYTES("k"), (const uint8_t *)value, strlen(value)));
    mdb_map_free(map);
    return 0;
}

/* Checks that `k` of the group member `grp`/`key` holds `expected` in a fresh snapshot. */
static int check_member(mdb_db *db, const char *key, const char *expected) {
    mdb_snapshot *snapshot = NULL;
    mdb_map *map = NULL;
    mdb_bytes value = harness_empty_bytes();
    bool found = false;
    CHECK_OK(mdb_snapshot_new(db, &snapshot));
    CHECK_OK(mdb_access_map(mdb_snapshot_as_access(snapshot), NAME("grp"),
                            (const uint8_t *)key, strlen(key), &map));
    CHECK_OK(mdb_map_get(map, BYTES("k"), &value, &found));
    CHECK(found);
    CHECK_BYTES(value.data, value.len, expected, strlen(expected));
    mdb_bytes_free(&value);
    mdb_map_free(map);
    mdb_snapshot_free(snapshot);
    return 0;
}

/* The sequence a new user tries: two forks of one database each create a member of one
 * group and put the same key; both merge, and each member keeps its own value. */
static int members_keep_their_data_apart(mdb_db *db) {
    mdb_fork *first = NULL, *second = NULL;
    CHECK_OK(mdb_fork_new(db, &first));
    CHECK_OK(mdb_fork_new(db, &second));
    CHECK(put_in_member(first, "a", "first") == 0);
    CHECK(put_in_member(second, "b", "second") == 0);
    COMMIT(db, first);
    COMMIT(db, second);
    CHECK(check_member(db, "a", "first") == 0);
    CHECK(check_member(db, "b", "second") == 0);
    return 0;
}

static int test_concurrent_forks_members_of_one_group_keep_their_data_apart(void) {
    mdb_db *db = NULL;
    char dir[256];
    OPEN_TEMPORARY(db);
    CHECK(members_keep_their_data_apart(db) == 0);
    mdb_db_free(db);

    CHECK(harness_make_temp_dir(dir) == 0);
    CHECK_OK(mdb_db_open(dir, NULL, &db));
    CHECK(members_keep_their_data_apart(db) == 0);
    mdb_db_free(db);
    harness_remove_tree(dir);
    return 0;
}

static int test_concurrent_forks_one_member_created_by_both_gets_both_writes(void) {
    mdb_db *db = NULL;
    mdb_fork *first = NULL, *second = NULL;
    OPEN_TEMPORARY(db);
    CHECK_OK(mdb_fork_new(db, &first));
    CHECK_OK(mdb_fork_new(db, &second));
    CHECK(put_in_member(first, "a", "first a") == 0);
    CHECK(put_in_member(first, "b", "first b") == 0);
    CHECK(put_in_member(second, "b", "second b") == 0);
    COMMIT(db, first);
    COMMIT(db, second);
    CHECK(check_member(db, "a", "first a") == 0);
    CHECK(check_member(db, "b", "second b") == 0);
    mdb_db_free(db);
    return 0;
}

static int test_concurrent_forks_an_index_created_with_another_type_is_a_conflict(void) {
    mdb_db *db = NULL;
    mdb_fork *first = NULL, *second = NULL;
    mdb_map *map = NULL;
    mdb_key_set *set = NULL;
    mdb_patch *patch = NULL;
    bool found = false;
    OPEN_TEMPORARY(db);
    CHECK_OK(mdb_fork_new(db, &first));
    CHECK_OK(mdb_fork_new(db, &second));
    CHECK_OK(mdb_access_map(mdb_fork_as_access(first), NAME("name"), NO_KEY, &map));
    CHECK_OK(mdb_map_put(map, BYTES("k"), BYTES("v")));
    mdb_map_free(map);
    CHECK_OK(mdb_access_key_set(mdb_fork_as_access(second), NAME("name"), NO_KEY, &set));
    CHECK_OK(mdb_key_set_insert(set, BYTES("k")));
    mdb_key_set_free(set);
    COMMIT(db, first);

    CHECK_OK(mdb_fork_into_patch(second, &patch));
    CHECK_STATUS(mdb_db_merge(db, patch), MDB_ERR_CONFLICT);
    CHECK(strstr(mdb_last_error_message(), "\"name\"") != NULL);
    CHECK(strstr(mdb_last_error_message(), "KeySet") != NULL);
    /* The patch was consumed, and nothing of it was written. */
    CHECK_STATUS(mdb_db_merge(db, patch), MDB_ERR_STALE_HANDLE);
    mdb_patch_free(patch);
    mdb_fork_free(second);
    {
        mdb_snapshot *snapshot = NULL;
        mdb_bytes value = harness_empty_bytes();
        CHECK_OK(mdb_snapshot_new(db, &snapshot));
        CHECK_OK(mdb_access_map(mdb_snapshot_as_access(snapshot), NAME("name"), NO_KEY, &map));
        CHECK_OK(mdb_map_get(map, BYTES("k"), &value, &found));
        CHECK(found && BYTES_EQ(value, "v"));
        mdb_bytes_free(&value);
        mdb_map_free(map);
        mdb_snapshot_free(snapshot);
    }
    CHECK(strcmp(mdb_status_str(MDB_ERR_CONFLICT), "conflicting merge") == 0);
    mdb_db_free(db);
    return 0;
}

static int test_concurrent_forks_a_helper_merge_that_conflicts_is_a_conflict(void) {
    mdb_db *db = NULL;
    mdb_migration_helper *helper = NULL;
    mdb_fork *fork = NULL;
    mdb_access *helper_data = NULL, *migration = NULL;
    mdb_map *map = NULL;
    mdb_key_set *set = NULL;
    OPEN_TEMPORARY(db);
    /* The helper's step creates the migrated map "x.b"; a fork merged meanwhile created the
     * migrated key set "x.b". Found by the fuzzer: the helper reported a storage error. */
    CHECK_OK(mdb_migration_helper_new(db, NAME("x"), &helper));
    CHECK_OK(mdb_migration_helper_new_data(helper, &helper_data));
    CHECK_OK(mdb_access_map(helper_data, NAME("b"), NO_KEY, &map));
    CHECK_OK(mdb_map_put(map, BYTES("k"), BYTES("v")));
    mdb_map_free(map);
    mdb_access_free(helper_data);
    CHECK_OK(mdb_fork_new(db, &fork));
    CHECK_OK(mdb_access_migration(mdb_fork_as_access(fork), NAME("x"), &migration));
    CHECK_OK(mdb_access_key_set(migration, NAME("b"), NO_KEY, &set));
    CHECK_OK(mdb_key_set_insert(set, BYTES("k")));
    mdb_key_set_free(set);
    mdb_access_free(migration);
    COMMIT(db, fork);

    CHECK_STATUS(mdb_migration_helper_merge(helper), MDB_ERR_CONFLICT);
    CHECK(strstr(mdb_last_error_message(), "Failed to merge migration changes") != NULL);
    CHECK(strstr(mdb_last_error_message(), "KeySet") != NULL);
    /* A failed merge leaves the helper unusable, as its other failures do. */
    CHECK_STATUS(mdb_migration_helper_merge(helper), MDB_ERR_STALE_HANDLE);
    mdb_migration_helper_free(helper);
    mdb_db_free(db);
    return 0;
}

#define THREADS 6
#define ROUNDS 20

typedef struct {
    mdb_db *db;
    int thread;
    int failed;
} worker;

/* Each round, a fork creates a group member of its own and joins a member that every thread
 * creates in that round, then merges. */
static int create_members(worker *w) {
    int round;
    for (round = 0; round < ROUNDS; round++) {
        mdb_fork *fork = NULL;
        char own[32], shared[32], value[32];
        snprintf(own, sizeof own, "t%d-r%d", w->thread, round);
        snprintf(shared, sizeof shared, "r%d", round);
        snprintf(value, sizeof value, "%d", w->thread);
        CHECK_OK(mdb_fork_new(w->db, &fork));
        CHECK(put_in_member(fork, own, own) == 0);
        {
            mdb_map *map = NULL;
            CHECK_OK(mdb_access_map(mdb_fork_as_access(fork), NAME("grp"),
                                    (const uint8_t *)shared, strlen(shared), &map));
            CHECK_OK(mdb_map_put(map, (const uint8_t *)value, strlen(value),
                                 (const uint8_t *)value, strlen(value)));
            mdb_map_free(map);
        }
        COMMIT(w->db, fork);
    }
    return 0;
}

static void *create_members_thread(void *arg) {
    worker *w = arg;
    w->failed = create_members(w);
    return NULL;
}

static int test_concurrent_forks_in_threads_keep_each_members_data(void) {
    mdb_db *db = NULL;
    pthread_t threads[THREADS];
    worker workers[THREADS];
    char dir[256];
    int i, round;
    CHECK(harness_make_temp_dir(dir) == 0);
    CHECK_OK(mdb_db_open(dir, NULL, &db));
    for (i = 0; i < THREADS; i++) {
        workers[i].db = db;
        workers[i].thread = i;
        workers[i].failed = 0;
        CHECK(pthread_create(&threads[i], NULL, create_members_thread, &workers[i]) == 0);
    }
    for (i = 0; i < THREADS; i++) {
        CHECK(pthread_join(threads[i], NULL) == 0);
        CHECK(workers[i].failed == 0);
    }
    for (i = 0; i < THREADS; i++) {
        for (round = 0; round < ROUNDS; round++) {
            char own[32];
            snprintf(own, sizeof own, "t%d-r%d", i, round);
            CHECK(check_member(db, own, own) == 0);
        }
    }
    for (round = 0; round < ROUNDS; round++) {
        mdb_snapshot *snapshot = NULL;
        mdb_map *map = NULL;
        mdb_iter *iter = NULL;
        size_t count = 0;
        char shared[32];
        snprintf(shared, sizeof shared, "r%d", round);
        CHECK_OK(mdb_snapshot_new(db, &snapshot));
        CHECK_OK(mdb_access_map(mdb_snapshot_as_access(snapshot), NAME("grp"),
                                (const uint8_t *)shared, strlen(shared), &map));
        CHECK_OK(mdb_map_iter(map, NULL, 0, &iter));
        CHECK(harness_count_to_end(iter, &count) == 0);
        /* Every thread's key, and no other member's "k". */
        CHECK(count == THREADS);
        mdb_iter_free(iter);
        mdb_map_free(map);
        mdb_snapshot_free(snapshot);
    }
    mdb_db_free(db);
    harness_remove_tree(dir);
    return 0;
}

int main(void) {
    RUN_TEST(test_concurrent_forks_members_of_one_group_keep_their_data_apart);
    RUN_TEST(test_concurrent_forks_one_member_created_by_both_gets_both_writes);
    RUN_TEST(test_concurrent_forks_an_index_created_with_another_type_is_a_conflict);
    RUN_TEST(test_concurrent_forks_a_helper_merge_that_conflicts_is_a_conflict);
    RUN_TEST(test_concurrent_forks_in_threads_keep_each_members_data);
    return HARNESS_SUMMARY();
}
