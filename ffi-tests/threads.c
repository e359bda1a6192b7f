/*
 * Threads: one database used concurrently by writer threads (fork, write, into_patch, merge)
 * and snapshot readers; one fork family and one snapshot shared by several threads.
 *
 * The sizes are small because these programs also run under valgrind, which runs one thread
 * at a time.
 */
#include "harness.h"

#include <pthread.h>

enum { WRITERS = 4, READERS = 3, ROUNDS = 12, READS = 12 };

typedef struct {
    mdb_db *db;
    int id;
    int failed;
} worker;

/* Formats "prefix<number>" into `out`. */
static void name_of(char *out, size_t out_len, const char *prefix, int number) {
    snprintf(out, out_len, "%s%d", prefix, number);
}

/* One writer: every round, in one fork, sets a<id> and b<id> to the round (the readers check
 * that they change together), adds a key of its own, and appends to its own list. */
static int write_rounds(worker *w) {
    int round;
    for (round = 1; round <= ROUNDS; round++) {
        mdb_fork *fork = NULL;
        mdb_map *map = NULL;
        mdb_list *log = NULL;
        char a[32], b[32], key[32], value[32], log_name[32];
        name_of(a, sizeof a, "a", w->id);
        name_of(b, sizeof b, "b", w->id);
        snprintf(key, sizeof key, "w%d.r%d", w->id, round);
        name_of(value, sizeof value, "", round);
        name_of(log_name, sizeof log_name, "log_", w->id);
        CHECK_OK(mdb_fork_new(w->db, &fork));
        CHECK_OK(mdb_access_map(mdb_fork_as_access(fork), NAME("shared"), NO_KEY, &map));
        CHECK_OK(mdb_map_put(map, (const uint8_t *)a, strlen(a), (const uint8_t *)value,
                             strlen(value)));
        CHECK_OK(mdb_map_put(map, (const uint8_t *)key, strlen(key), BYTES("x")));
        CHECK_OK(mdb_map_put(map, (const uint8_t *)b, strlen(b), (const uint8_t *)value,
                             strlen(value)));
        CHECK_OK(mdb_access_list(mdb_fork_as_access(fork), log_name, strlen(log_name), NO_KEY,
                                 &log));
        CHECK_OK(mdb_list_push(log, (const uint8_t *)value, strlen(value)));
        mdb_list_free(log);
        mdb_map_free(map);
        if (round % 2 == 0) {
            COMMIT(w->db, fork);
        } else {
            /* The same, with a sync merge and the handles freed after the merge. */
            mdb_patch *patch = NULL;
            CHECK_OK(mdb_fork_into_patch(fork, &patch));
            CHECK_OK(mdb_db_merge_sync(w->db, patch));
            mdb_fork_free(fork);
            mdb_patch_free(patch);
        }
    }
    return 0;
}

/* Reads the integer value of `key`, or 0 if absent. */
static int read_number(const mdb_map *map, const char *key, long *out) {
    mdb_bytes value = harness_empty_bytes();
    bool found = false;
    char text[32];
    CHECK_OK(mdb_map_get(map, (const uint8_t *)key, strlen(key), &value, &found));
    *out = 0;
    if (found) {
        CHECK(value.len > 0 && value.len < sizeof text);
        memcpy(text, value.data, value.len);
        text[value.len] = '\0';
        *out = strtol(text, NULL, 10);
        mdb_bytes_free(&value);
    }
    return 0;
}

/* One reader: snapshots must show every writer's a and b equal (merges are atomic), and
 * never going back. */
static int read_snapshots(worker *w) {
    long last[WRITERS] = {0};
    int read, i;
    for (read = 0; read < READS; read++) {
        mdb_snapshot *snapshot = NULL;
        mdb_map *map = NULL;
        CHECK_OK(mdb_snapshot_new(w->db, &snapshot));
        CHECK_OK(mdb_access_map(mdb_snapshot_as_access(snapshot), NAME("shared"), NO_KEY, &map));
        /* Freed early: the map keeps the snapshot alive. */
        mdb_snapshot_free(snapshot);
        for (i = 0; i < WRITERS; i++) {
            char a[32], b[32];
            long value_a = 0, value_b = 0;
            name_of(a, sizeof a, "a", i);
            name_of(b, sizeof b, "b", i);
            CHECK(read_number(map, a, &value_a) == 0);
            CHECK(read_number(map, b, &value_b) == 0);
            CHECK(value_a == value_b);
            CHECK(value_a >= last[i]);
            last[i] = value_a;
        }
        mdb_map_free(map);
    }
    return 0;
}

static void *writer_thread(void *arg) {
    worker *w = arg;
    w->failed = write_rounds(w);
    return NULL;
}

static void *reader_thread(void *arg) {
    worker *w = arg;
    w->failed = read_snapshots(w);
    return NULL;
}

/* Runs the writers and readers on `db`, then checks that no merge lost another's changes. */
static int run_writers_and_readers(mdb_db *db) {
    pthread_t threads[WRITERS + READERS];
    worker workers[WRITERS + READERS];
    mdb_snapshot *snapshot = NULL;
    mdb_fork *setup = NULL;
    mdb_map *map = NULL;
    int i, round;
    /* The indexes exist before the threads start: forks that create the same index
     * concurrently would each give it an identifier, and the last merge would win. */
    CHECK_OK(mdb_fork_new(db, &setup));
    CHECK_OK(mdb_access_map(mdb_fork_as_access(setup), NAME("shared"), NO_KEY, &map));
    CHECK_OK(mdb_map_put(map, BYTES("created"), BYTES("yes")));
    mdb_map_free(map);
    for (i = 0; i < WRITERS; i++) {
        char log_name[32];
        mdb_list *log = NULL;
        name_of(log_name, sizeof log_name, "log_", i);
        CHECK_OK(mdb_access_list(mdb_fork_as_access(setup), log_name, strlen(log_name), NO_KEY,
                                 &log));
        mdb_list_free(log);
    }
    COMMIT(db, setup);
    map = NULL;
    for (i = 0; i < WRITERS + READERS; i++) {
        workers[i].db = db;
        workers[i].id = i < WRITERS ? i : i - WRITERS;
        workers[i].failed = -1;
        CHECK(pthread_create(&threads[i], NULL, i < WRITERS ? writer_thread : reader_thread,
                             &workers[i]) == 0);
    }
    for (i = 0; i < WRITERS + READERS; i++) {
        CHECK(pthread_join(threads[i], NULL) == 0);
    }
    for (i = 0; i < WRITERS + READERS; i++) {
        if (workers[i].failed != 0) {
            printf("  %s %d failed\n", i < WRITERS ? "writer" : "reader", workers[i].id);
        }
        CHECK(workers[i].failed == 0);
    }

    CHECK_OK(mdb_snapshot_new(db, &snapshot));
    CHECK_OK(mdb_access_map(mdb_snapshot_as_access(snapshot), NAME("shared"), NO_KEY, &map));
    for (i = 0; i < WRITERS; i++) {
        char a[32], log_name[32];
        long value = 0;
        uint64_t len = 0;
        mdb_list *log = NULL;
        name_of(a, sizeof a, "a", i);
        CHECK(read_number(map, a, &value) == 0);
        CHECK(value == ROUNDS);
        for (round = 1; round <= ROUNDS; round++) {
            char key[32];
            bool found = false;
            snprintf(key, sizeof key, "w%d.r%d", i, round);
            CHECK_OK(mdb_map_contains(map, (const uint8_t *)key, strlen(key), &found));
            CHECK(found);
        }
        name_of(log_name, sizeof log_name, "log_", i);
        CHECK_OK(mdb_access_list(mdb_snapshot_as_access(snapshot), log_name, strlen(log_name),
                                 NO_KEY, &log));
        CHECK_OK(mdb_list_len(log, &len));
        CHECK(len == ROUNDS);
        mdb_list_free(log);
    }
    mdb_map_free(map);
    mdb_snapshot_free(snapshot);
    return 0;
}

static int test_threads_writers_and_snapshot_readers_share_a_temporary_database(void) {
    mdb_db *db = NULL;
    OPEN_TEMPORARY(db);
    CHECK(run_writers_and_readers(db) == 0);
    mdb_db_free(db);
    return 0;
}

static int test_threads_writers_and_snapshot_readers_share_a_rocksdb_database(void) {
    char dir[256], path[300];
    mdb_db *db = NULL;
    CHECK(harness_make_temp_dir(dir) == 0);
    snprintf(path, sizeof path, "%s/db", dir);
    CHECK_OK(mdb_db_open(path, NULL, &db));
    CHECK(run_writers_and_readers(db) == 0);
    mdb_db_free(db);
    harness_remove_tree(dir);
    return 0;
}

enum { FAMILY_THREADS = 4, FAMILY_KEYS = 40 };

typedef struct {
    mdb_map *map;
    mdb_fork *fork;
    int id;
    int failed;
} family_worker;

/* Writes its own keys through the shared map handle, and opens a list of its own in the
 * shared fork. */
static int use_the_family(family_worker *w) {
    int i;
    char name[32];
    mdb_list *list = NULL;
    name_of(name, sizeof name, "list_", w->id);
    CHECK_OK(mdb_access_list(mdb_fork_as_access(w->fork), name, strlen(name), NO_KEY, &list));
    for (i = 0; i < FAMILY_KEYS; i++) {
        char key[32];
        bool found = false;
        snprintf(key, sizeof key, "t%d.k%03d", w->id, i);
        CHECK_OK(mdb_map_put(w->map, (const uint8_t *)key, strlen(key), BYTES("v")));
        CHECK_OK(mdb_map_contains(w->map, (const uint8_t *)key, strlen(key), &found));
        CHECK(found);
        CHECK_OK(mdb_list_push(list, (const uint8_t *)key, strlen(key)));
    }
    mdb_list_free(list);
    return 0;
}

static void *family_thread(void *arg) {
    family_worker *w = arg;
    w->failed = use_the_family(w);
    return NULL;
}

static int test_threads_one_fork_family_used_from_several_threads(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_map *map = NULL;
    mdb_iter *iter = NULL;
    pthread_t threads[FAMILY_THREADS];
    family_worker workers[FAMILY_THREADS];
    int i;
    size_t count = 0;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_map, "m", map);
    for (i = 0; i < FAMILY_THREADS; i++) {
        workers[i].map = map;
        workers[i].fork = fork;
        workers[i].id = i;
        workers[i].failed = -1;
        CHECK(pthread_create(&threads[i], NULL, family_thread, &workers[i]) == 0);
    }
    for (i = 0; i < FAMILY_THREADS; i++) {
        CHECK(pthread_join(threads[i], NULL) == 0);
        CHECK(workers[i].failed == 0);
    }
    CHECK_OK(mdb_map_iter(map, NULL, 0, &iter));
    CHECK(harness_count_to_end(iter, &count) == 0);
    CHECK(count == FAMILY_THREADS * FAMILY_KEYS);
    mdb_iter_free(iter);
    mdb_map_free(map);
    COMMIT(db, fork);
    mdb_db_free(db);
    return 0;
}

typedef struct {
    const mdb_snapshot *snapshot;
    int failed;
} snapshot_worker;

static int read_shared_snapshot(snapshot_worker *w) {
    int i;
    for (i = 0; i < 20; i++) {
        mdb_map *map = NULL;
        mdb_bytes value = harness_empty_bytes();
        bool found = false;
        CHECK_OK(mdb_access_map(mdb_snapshot_as_access(w->snapshot), NAME("m"), NO_KEY, &map));
        CHECK_OK(mdb_map_get(map, BYTES("k"), &value, &found));
        CHECK(found && BYTES_EQ(value, "v"));
        mdb_bytes_free(&value);
        mdb_map_free(map);
    }
    return 0;
}

static void *snapshot_thread(void *arg) {
    snapshot_worker *w = arg;
    w->failed = read_shared_snapshot(w);
    return NULL;
}

static int test_threads_one_snapshot_read_from_several_threads(void) {
    mdb_db *db = NULL;
    mdb_snapshot *snapshot = NULL;
    pthread_t threads[4];
    snapshot_worker workers[4];
    int i;
    OPEN_TEMPORARY(db);
    CHECK(harness_put(db, "m", "k", "v") == 0);
    CHECK_OK(mdb_snapshot_new(db, &snapshot));
    for (i = 0; i < 4; i++) {
        workers[i].snapshot = snapshot;
        workers[i].failed = -1;
        CHECK(pthread_create(&threads[i], NULL, snapshot_thread, &workers[i]) == 0);
    }
    /* Writes to the database meanwhile do not show in the snapshot. */
    CHECK(harness_put(db, "m", "k", "changed") == 0);
    for (i = 0; i < 4; i++) {
        CHECK(pthread_join(threads[i], NULL) == 0);
        CHECK(workers[i].failed == 0);
    }
    mdb_snapshot_free(snapshot);
    mdb_db_free(db);
    return 0;
}

int main(void) {
    RUN_TEST(test_threads_writers_and_snapshot_readers_share_a_temporary_database);
    RUN_TEST(test_threads_writers_and_snapshot_readers_share_a_rocksdb_database);
    RUN_TEST(test_threads_one_fork_family_used_from_several_threads);
    RUN_TEST(test_threads_one_snapshot_read_from_several_threads);
    return HARNESS_SUMMARY();
}
