/*
 * The test harness of the C test programs in ffi-tests/.
 *
 * A test is `static int test_<area>_<behaviour>(void)`: it returns 0 when it passes, and the
 * CHECK macros below return 1 from it (after printing what failed) when it does not. `main`
 * runs each test through RUN_TEST, which prints `ok <name>` or `FAIL <name>` with the name
 * derived from the function (`skip <name>` for a test that SKIPs, counted in neither total),
 * and ends with HARNESS_SUMMARY(), which prints `N passed, N failed` and returns the exit
 * status.
 *
 * On a failed check a test returns at once and may leak its handles: the failure is what
 * counts then.
 *
 * Include this header first: it selects the POSIX API (mkdtemp, nftw, pthreads) before any
 * system header is read.
 */
#ifndef METALDB_FFI_TESTS_HARNESS_H
#define METALDB_FFI_TESTS_HARNESS_H

#define _XOPEN_SOURCE 700

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metaldb.h"

static int harness_passed = 0;
static int harness_failed = 0;

/* What a test returns when it cannot run here (see SKIP). */
#define HARNESS_SKIPPED 77

/* Ends a test that cannot run here, with the reason; it counts neither as passed nor as
 * failed, and prints `skip <name>`. In CI (`CI=true`), where every test must run its real
 * check, a skipped test fails instead. */
#define SKIP(reason)                                                                    \
    do {                                                                                \
        printf("  skipped: %s\n", (reason));                                            \
        return HARNESS_SKIPPED;                                                         \
    } while (0)

/* Runs one test function and prints its result; the printed name is the function's name. */
#define RUN_TEST(function) harness_run(#function, function)

/* Prints the totals; the value is main's exit status. */
#define HARNESS_SUMMARY() harness_summary()

/* Whether this runs in CI, where the CI system sets CI=true. */
static inline int harness_in_ci(void) {
    const char *ci = getenv("CI");
    return ci != NULL && strcmp(ci, "true") == 0;
}

static inline void harness_run(const char *name, int (*test)(void)) {
    int failed;
    fflush(stdout);
    failed = test();
    if (failed == HARNESS_SKIPPED && harness_in_ci()) {
        printf("  a test may not skip in CI (CI=true)\n");
        failed = 1;
    }
    if (failed == HARNESS_SKIPPED) {
        printf("skip %s\n", name);
    } else if (failed) {
        harness_failed++;
        printf("FAIL %s\n", name);
    } else {
        harness_passed++;
        printf("ok %s\n", name);
    }
    fflush(stdout);
}


static inline int harness_summary(void) {
    printf("%d passed, %d failed\n", harness_passed, harness_failed);
    return harness_failed == 0 ? 0 : 1;
}

/* Fails the test unless `condition` holds. */
#define CHECK(condition)                                                                \
    do {                                                                                \
        if (!(condition)) {                                                             \
            printf("  %s:%d: check failed: %s\n", __FILE__, __LINE__, #condition);      \
            return 1;                                                                   \
        }                                                                               \
    } while (0)

/* Fails the test unless `call` returns the status `expected`; shows the thread's message. */
#define CHECK_STATUS(call, expected)                                                    \
    do {                                                                                \
        mdb_status harness_got_ = (call);                                               \
        mdb_status harness_expected_ = (expected);                                      \
        if (harness_got_ != harness_expected_) {                                        \
            const char *harness_message_ = mdb_last_error_message();                    \
            printf("  %s:%d: %s\n    returned %u, expected %u; message: \"%s\"\n",      \
                   __FILE__, __LINE__, #call, (unsigned)harness_got_,                   \
                   (unsigned)harness_expected_, harness_message_);                      \
            return 1;                                                                   \
        }                                                                               \
    } while (0)

#define CHECK_OK(call) CHECK_STATUS(call, MDB_OK)

/* Returns the status of `call` from a function that returns a status (a migration step
 * callback) when it fails, after printing it with the thread's message. */
#define TRY(call)                                                                       \
    do {                                                                                \
        mdb_status try_status_ = (call);                                                \
        if (try_status_ != MDB_OK) {                                                    \
            printf("  %s:%d: %s returned %u: %s\n", __FILE__, __LINE__, #call,          \
                   (unsigned)try_status_, mdb_last_error_message());                    \
            return try_status_;                                                         \
        }                                                                               \
    } while (0)

/* Fails the test unless two byte strings are equal. */
#define CHECK_BYTES(data, len, expected, expected_len)                                  \
    do {                                                                                \
        size_t harness_len_ = (len), harness_expected_len_ = (expected_len);           \
        if (harness_len_ != harness_expected_len_ ||                                    \
            (harness_len_ > 0 && memcmp((data), (expected), harness_len_) != 0)) {      \
            printf("  %s:%d: bytes differ: %s (%zu bytes) vs %s (%zu bytes)\n",         \
                   __FILE__, __LINE__, #data, harness_len_, #expected,                  \
                   harness_expected_len_);                                              \
            return 1;                                                                   \
        }                                                                               \
    } while (0)

/* A name argument pair (pointer, length) from a string literal. */
#define NAME(literal) (literal), (sizeof(literal) - 1)
/* A byte argument pair (pointer, length) from a string literal. */
#define BYTES(literal) (const uint8_t *)(literal), (sizeof(literal) - 1)
/* No group key. */
#define NO_KEY NULL, 0

/* Whether an `mdb_bytes` holds exactly the bytes of a string literal. */
#define BYTES_EQ(bytes, literal)                                                        \
    ((bytes).len == sizeof(literal) - 1 &&                                              \
     (sizeof(literal) == 1 || memcmp((bytes).data, (literal), sizeof(literal) - 1) == 0))

/* An `mdb_bytes` that the library has not written. */
static inline mdb_bytes harness_empty_bytes(void) {
    mdb_bytes bytes;
    bytes.data = NULL;
    bytes.len = 0;
    bytes.capacity = 0;
    return bytes;
}

/* A sentinel pointer: an output holding it was not written. */
#define UNTOUCHED ((void *)&harness_passed)

/* Creates a fresh directory under $TMPDIR (or /tmp); `path` gets its path. 0 on success. */
static inline int harness_make_temp_dir(char path[256]) {
    const char *base = getenv("TMPDIR");
    if (base == NULL || base[0] == '\0') {
        base = "/tmp";
    }
    if (snprintf(path, 256, "%s/metaldb-ffi-XXXXXX", base) >= 256) {
        return -1;
    }
    return mkdtemp(path) == NULL ? -1 : 0;
}

static inline int harness_remove_entry(const char *path, const struct stat *info, int flag,
                                       struct FTW *ftw) {
    (void)info;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Removes a directory tree made by harness_make_temp_dir. */
static inline void harness_remove_tree(const char *path) {
    nftw(path, harness_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Opens a temporary database, or fails the test. */
#define OPEN_TEMPORARY(db) CHECK_OK(mdb_db_open_temporary(&(db)))

/* Opens a temporary database and a fork of it, or fails the test. */
#define OPEN_FORK(db, fork)                                                             \
    OPEN_TEMPORARY(db);                                                                 \
    CHECK_OK(mdb_fork_new((db), &(fork)))

/* Opens a temporary database, a fork of it, and the index `name` (a string literal, outside
 * any group) in the fork with `opener` (mdb_access_map, mdb_access_list, ...), or fails the
 * test. */
#define OPEN_FORK_WITH_INDEX(db, fork, opener, name, index)                             \
    OPEN_FORK(db, fork);                                                                \
    CHECK_OK(opener(mdb_fork_as_access(fork), NAME(name), NO_KEY, &(index)))

/* Turns `fork` into a patch and merges it into `db`, freeing both handles, or fails. */
#define COMMIT(db, fork)                                                                \
    do {                                                                                \
        mdb_patch *harness_patch_ = NULL;                                               \
        CHECK_OK(mdb_fork_into_patch((fork), &harness_patch_));                         \
        CHECK_OK(mdb_db_merge((db), harness_patch_));                                   \
        mdb_patch_free(harness_patch_);                                                 \
        mdb_fork_free(fork);                                                            \
        (fork) = NULL;                                                                  \
    } while (0)

/* One step of an iterator, as mdb_iter_next returns it: whether there was an entry and, if
 * so, its borrowed key and value. */
typedef struct {
    const uint8_t *key;
    size_t key_len;
    const uint8_t *value;
    size_t value_len;
    bool found;
} harness_step;

/* Advances `iter` by one entry into `*step`. */
static inline mdb_status harness_next(mdb_iter *iter, harness_step *step) {
    return mdb_iter_next(iter, &step->key, &step->key_len, &step->value, &step->value_len,
                         &step->found);
}

/* Walks `iter` to its end; `*count` gets the number of entries it yielded. Returns 0 on
 * success, like a test. */
static inline int harness_count_to_end(mdb_iter *iter, size_t *count) {
    harness_step step;
    *count = 0;
    for (;;) {
        CHECK_OK(harness_next(iter, &step));
        if (!step.found) {
            return 0;
        }
        ++*count;
    }
}

/* Writes `key` = `value` into the map `name` of `db` through a fork, and merges it. Returns 0
 * on success, like a test. */
static inline int harness_put(mdb_db *db, const char *name, const char *key, const char *value) {
    mdb_fork *fork = NULL;
    mdb_map *map = NULL;
    CHECK_OK(mdb_fork_new(db, &fork));
    CHECK_OK(mdb_access_map(mdb_fork_as_access(fork), name, strlen(name), NO_KEY, &map));
    CHECK_OK(mdb_map_put(map, (const uint8_t *)key, strlen(key), (const uint8_t *)value,
                         strlen(value)));
    mdb_map_free(map);
    COMMIT(db, fork);
    return 0;
}

/* Reads `key` in the map `name` of a fresh snapshot of `db`, or, if `migration` is not NULL,
 * in the map `name` of that migration (merged, not flushed): `*found` tells whether it is
 * there, and `out` gets its value, NUL-terminated (truncated to `out_len - 1` bytes). Returns
 * 0 on success, like a test. */
static inline int harness_get(mdb_db *db, const char *migration, const char *name,
                              const char *key, char *out, size_t out_len, bool *found) {
    mdb_snapshot *snapshot = NULL;
    mdb_access *access = NULL;
    mdb_map *map = NULL;
    mdb_bytes value = harness_empty_bytes();
    CHECK_OK(mdb_snapshot_new(db, &snapshot));
    if (migration != NULL) {
        CHECK_OK(mdb_access_migration(mdb_snapshot_as_access(snapshot), migration,
                                      strlen(migration), &access));
    }
    CHECK_OK(mdb_access_map(access != NULL ? access : mdb_snapshot_as_access(snapshot), name,
                            strlen(name), NO_KEY, &map));
    CHECK_OK(mdb_map_get(map, (const uint8_t *)key, strlen(key), &value, found));
    out[0] = '\0';
    if (*found) {
        size_t len = value.len < out_len - 1 ? value.len : out_len - 1;
        if (len > 0) {
            memcpy(out, value.data, len);
        }
        out[len] = '\0';
        mdb_bytes_free(&value);
    }
    mdb_map_free(map);
    mdb_access_free(access);
    mdb_snapshot_free(snapshot);
    return 0;
}

/* Returns 0 if the map `name` of `db` (of the migration `migration`, if not NULL) maps `key`
 * to `expected` (NULL: `key` is absent). */
static inline int harness_check_value(mdb_db *db, const char *migration, const char *name,
                                      const char *key, const char *expected) {
    char value[256];
    bool found = false;
    CHECK(harness_get(db, migration, name, key, value, sizeof value, &found) == 0);
    if (expected == NULL) {
        CHECK(!found);
    } else {
        CHECK(found);
        CHECK(strcmp(value, expected) == 0);
    }
    return 0;
}

/* Checks that the map `name` of `db` maps `key` to `expected` (NULL: `key` is absent). */
#define CHECK_DB_VALUE(db, name, key, expected)                                         \
    CHECK(harness_check_value((db), NULL, (name), (key), (expected)) == 0)

/* Checks that the map `name` of the migration `migration` in `db`, merged but not flushed,
 * maps `key` to `expected` (NULL: `key` is absent). */
#define CHECK_MIGRATED_VALUE(db, migration, name, key, expected)                        \
    CHECK(harness_check_value((db), (migration), (name), (key), (expected)) == 0)

#endif /* METALDB_FFI_TESTS_HARNESS_H */
