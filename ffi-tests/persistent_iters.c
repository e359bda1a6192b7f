/*
 * Persistent iterators over every kind of index they take (map, list, sparse list, key set):
 * standalone ones (`mdb_persistent_iter_new_*`) that resume at their saved position when they
 * are freed and created again, and when the database is closed and reopened (as after a
 * process restart), reach their end and then yield nothing, even over new items; and the
 * iterators of `mdb_migration_helper_iter_loop` (`mdb_persistent_iters_new_*`), copying a list,
 * a sparse list and a key set into the migration's new data in rounds.
 */
#include "harness.h"

#include <stdbool.h>

typedef enum { KIND_MAP, KIND_LIST, KIND_SPARSE_LIST, KIND_KEY_SET } kind;

enum { ITEMS = 5 };

/* Item i of every index the tests fill, in iteration order: the key of a map or key set, the
 * position of a sparse list (a list's is i), and the value (a key set's is empty). The sparse
 * positions leave gaps and need all 8 bytes of the key's big-endian encoding. */
static const char *const ITEM_KEYS[ITEMS] = {"apple", "fig", "kiwi", "lime", "pear"};
static const uint64_t SPARSE_POSITIONS[ITEMS] = {3, 10, 11, 200, (uint64_t)1 << 40};
static const char *const ITEM_VALUES[ITEMS] = {"v0", "v1", "v2", "v3", "v4"};

static const char *kind_name(kind k) {
    switch (k) {
    case KIND_MAP:
        return "map";
    case KIND_LIST:
        return "list";
    case KIND_SPARSE_LIST:
        return "sparse list";
    default:
        return "key set";
    }
}

static void store_be64(uint64_t value, uint8_t out[8]) {
    int i;
    for (i = 7; i >= 0; i--) {
        out[i] = (uint8_t)value;
        value >>= 8;
    }
}

static uint64_t load_be64(const uint8_t in[8]) {
    uint64_t value = 0;
    int i;
    for (i = 0; i < 8; i++) {
        value = value << 8 | in[i];
    }
    return value;
}

/* Checks that `step` is item `i` of an index of kind `k`, as its iterator yields it. */
static int check_item(kind k, int i, const harness_step *step) {
    uint8_t position[8];
    if (!step->found) {
        printf("  the %s iterator ended before item %d\n", kind_name(k), i);
        return 1;
    }
    switch (k) {
    case KIND_MAP:
    case KIND_KEY_SET:
        CHECK_BYTES(step->key, step->key_len, ITEM_KEYS[i], strlen(ITEM_KEYS[i]));
        break;
    case KIND_LIST:
        store_be64((uint64_t)i, position);
        CHECK_BYTES(step->key, step->key_len, position, sizeof position);
        break;
    case KIND_SPARSE_LIST:
        store_be64(SPARSE_POSITIONS[i], position);
        CHECK_BYTES(step->key, step->key_len, position, sizeof position);
        break;
    }
    if (k == KIND_KEY_SET) {
        CHECK(step->value_len == 0);
    } else {
        CHECK_BYTES(step->value, step->value_len, ITEM_VALUES[i], strlen(ITEM_VALUES[i]));
    }
    return 0;
}

/* Opens the index `name` of kind `k` through `access`. */
static mdb_status open_index(const mdb_access *access, kind k, const char *name, void **out) {
    size_t len = strlen(name);
    switch (k) {
    case KIND_MAP:
        return mdb_access_map(access, name, len, NO_KEY, (mdb_map **)out);
    case KIND_LIST:
        return mdb_access_list(access, name, len, NO_KEY, (mdb_list **)out);
    case KIND_SPARSE_LIST:
        return mdb_access_sparse_list(access, name, len, NO_KEY, (mdb_sparse_list **)out);
    default:
        return mdb_access_key_set(access, name, len, NO_KEY, (mdb_key_set **)out);
    }
}

static void free_index(kind k, void *index) {
    switch (k) {
    case KIND_MAP:
        mdb_map_free(index);
        break;
    case KIND_LIST:
        mdb_list_free(index);
        break;
    case KIND_SPARSE_LIST:
        mdb_sparse_list_free(index);
        break;
    case KIND_KEY_SET:
        mdb_key_set_free(index);
        break;
    }
}

/* Stores `value` at `position` of a sparse list, freeing any value it replaces. */
static mdb_status sparse_set(mdb_sparse_list *sparse_list, uint64_t position,
                             const uint8_t *value, size_t value_len) {
    mdb_bytes replaced = harness_empty_bytes();
    bool found = false;
    mdb_status status =
        mdb_sparse_list_set(sparse_list, position, value, value_len, &replaced, &found);
    if (status == MDB_OK && found) {
        mdb_bytes_free(&replaced);
    }
    return status;
}

/* Writes item `i` of kind `k` into `index` (for a list: appends it, so call in order). */
static mdb_status write_item(kind k, void *index, int i) {
    const char *key = ITEM_KEYS[i], *value = ITEM_VALUES[i];
    switch (k) {
    case KIND_MAP:
        return mdb_map_put(index, (const uint8_t *)key, strlen(key), (const uint8_t *)value,
                           strlen(value));
    case KIND_LIST:
        return mdb_list_push(index, (const uint8_t *)value, strlen(value));
    case KIND_SPARSE_LIST:
        return sparse_set(index, SPARSE_POSITIONS[i], (const uint8_t *)value, strlen(value));
    default:
        return mdb_key_set_insert(index, (const uint8_t *)key, strlen(key));
    }
}

/* Writes the items into the index `name` of kind `k`, through a fork of `db` that is merged.
 * Maps, key sets and sparse lists get them backwards: their iterators sort them. */
static int fill(mdb_db *db, kind k, const char *name) {
    mdb_fork *fork = NULL;
    void *index = NULL;
    int i;
    CHECK_OK(mdb_fork_new(db, &fork));
    CHECK_OK(open_index(mdb_fork_as_access(fork), k, name, &index));
    for (i = 0; i < ITEMS; i++) {
        CHECK_OK(write_item(k, index, k == KIND_LIST ? i : ITEMS - 1 - i));
    }
    free_index(k, index);
    COMMIT(db, fork);
    return 0;
}

/* Adds an item after every item of the index `name` of kind `k`, through a fork of `db`. */
static int append_late_item(mdb_db *db, kind k, const char *name) {
    static const uint8_t LATE[] = "zzz";
    mdb_fork *fork = NULL;
    void *index = NULL;
    CHECK_OK(mdb_fork_new(db, &fork));
    CHECK_OK(open_index(mdb_fork_as_access(fork), k, name, &index));
    switch (k) {
    case KIND_MAP:
        CHECK_OK(mdb_map_put(index, LATE, 3, LATE, 3));
        break;
    case KIND_LIST:
        CHECK_OK(mdb_list_push(index, LATE, 3));
        break;
    case KIND_SPARSE_LIST:
        CHECK_OK(sparse_set(index, ((uint64_t)1 << 40) + 1, LATE, 3));
        break;
    case KIND_KEY_SET:
        CHECK_OK(mdb_key_set_insert(index, LATE, 3));
        break;
    }
    free_index(k, index);
    COMMIT(db, fork);
    return 0;
}

/* A standalone persistent iterator over `index` with its position in the entry "pos" of
 * `positions`. */
static mdb_status new_persistent_iter(const mdb_access *positions, kind k, const void *index,
                                      mdb_iter **out) {
    switch (k) {
    case KIND_MAP:
        return mdb_persistent_iter_new_map(positions, NAME("pos"), index, out);
    case KIND_LIST:
        return mdb_persistent_iter_new_list(positions, NAME("pos"), index, out);
    case KIND_SPARSE_LIST:
        return mdb_persistent_iter_new_sparse_list(positions, NAME("pos"), index, out);
    default:
        return mdb_persistent_iter_new_key_set(positions, NAME("pos"), index, out);
    }
}

/* Takes up to `count` items from `iter`, checking that they are items `*next`, `*next + 1`...;
 * `*ended` tells whether the iterator reported its end. */
static int take(kind k, mdb_iter *iter, int count, int *next, bool *ended) {
    int i;
    *ended = false;
    for (i = 0; i < count; i++) {
        harness_step step;
        CHECK_OK(harness_next(iter, &step));
        if (!step.found) {
            *ended = true;
            return 0;
        }
        CHECK(*next < ITEMS);
        CHECK(check_item(k, *next, &step) == 0);
        ++*next;
    }
    return 0;
}

/* In one fork of `db`, merged at the end: takes the counts of items in `counts` (ending at a
 * negative one) from persistent iterators over the index "ns.src" of kind `k`, a new iterator
 * for each count, the previous one freed. */
static int take_in_a_fork(mdb_db *db, kind k, const int *counts, int *next, bool *ended) {
    mdb_fork *fork = NULL;
    mdb_access *scratchpad = NULL;
    void *index = NULL;
    CHECK_OK(mdb_fork_new(db, &fork));
    CHECK_OK(mdb_access_scratchpad(mdb_fork_as_access(fork), NAME("ns"), &scratchpad));
    CHECK_OK(open_index(mdb_fork_as_access(fork), k, "ns.src", &index));
    for (; *counts >= 0; counts++) {
        mdb_iter *iter = NULL;
        CHECK_OK(new_persistent_iter(scratchpad, k, index, &iter));
        CHECK(take(k, iter, *counts, next, ended) == 0);
        mdb_iter_free(iter);
    }
    free_index(k, index);
    mdb_access_free(scratchpad);
    COMMIT(db, fork);
    return 0;
}

static int persistent_iter_resumes_after_free_and_reopen_then_ends(kind k) {
    static const int TWO_THEN_ONE[] = {2, 1, -1};
    static const int ALL[] = {ITEMS, -1};
    static const int ALL_TWICE[] = {ITEMS, ITEMS, -1};
    char dir[256], path[300];
    mdb_db *db = NULL;
    int next = 0;
    bool ended = false;
    CHECK(harness_make_temp_dir(dir) == 0);
    snprintf(path, sizeof path, "%s/db", dir);
    CHECK_OK(mdb_db_open(path, NULL, &db));
    CHECK(fill(db, k, "ns.src") == 0);

    /* Items 0 and 1, then the iterator is freed; a new one resumes at item 2. */
    CHECK(take_in_a_fork(db, k, TWO_THEN_ONE, &next, &ended) == 0);
    CHECK(next == 3 && !ended);
    mdb_db_free(db);

    /* After a reopen: items 3 and 4, then the end. */
    CHECK_OK(mdb_db_open(path, NULL, &db));
    CHECK(take_in_a_fork(db, k, ALL, &next, &ended) == 0);
    CHECK(next == ITEMS && ended);
    mdb_db_free(db);

    /* Ended, it stays ended: over an item added since, after a reopen, and in new iterators. */
    CHECK_OK(mdb_db_open(path, NULL, &db));
    CHECK(append_late_item(db, k, "ns.src") == 0);
    CHECK(take_in_a_fork(db, k, ALL_TWICE, &next, &ended) == 0);
    CHECK(next == ITEMS && ended);
    mdb_db_free(db);
    harness_remove_tree(dir);
    return 0;
}

static int test_persistent_iter_over_a_map_resumes_and_ends(void) {
    return persistent_iter_resumes_after_free_and_reopen_then_ends(KIND_MAP);
}

static int test_persistent_iter_over_a_list_resumes_and_ends(void) {
    return persistent_iter_resumes_after_free_and_reopen_then_ends(KIND_LIST);
}

static int test_persistent_iter_over_a_sparse_list_resumes_and_ends(void) {
    return persistent_iter_resumes_after_free_and_reopen_then_ends(KIND_SPARSE_LIST);
}

static int test_persistent_iter_over_a_key_set_resumes_and_ends(void) {
    return persistent_iter_resumes_after_free_and_reopen_then_ends(KIND_KEY_SET);
}

/* The iter_loop step below copies the list, the sparse list and the key set "src_*" of the
 * old data into the new data, each at its own pace, so that they end in different rounds. */
static const kind LOOP_KINDS[3] = {KIND_LIST, KIND_SPARSE_LIST, KIND_KEY_SET};
static const char *const LOOP_NAMES[3] = {"src_list", "src_sparse", "src_keys"};
static const int LOOP_BATCH[3] = {2, 1, 3};

typedef struct {
    int rounds;
    /* Items copied so far, per index: the next item each iterator must yield. */
    int copied[3];
    /* Whether each iterator yielded nothing in some round after its end. */
    bool idle_after_end[3];
    /* A check that failed in the step. */
    bool failed;
} loop_state;

/* A persistent iterator of the loop over `index`, named for its index. */
static mdb_status new_loop_iter(mdb_persistent_iters *iters, int which, const void *index,
                                mdb_iter **out) {
    const char *name = LOOP_NAMES[which];
    switch (LOOP_KINDS[which]) {
    case KIND_LIST:
        return mdb_persistent_iters_new_list(iters, name, strlen(name), index, out);
    case KIND_SPARSE_LIST:
        return mdb_persistent_iters_new_sparse_list(iters, name, strlen(name), index, out);
    default:
        return mdb_persistent_iters_new_key_set(iters, name, strlen(name), index, out);
    }
}

/* Copies one item, as its iterator yielded it, into the new index. */
static mdb_status copy_item(kind k, void *new_index, const harness_step *step) {
    switch (k) {
    case KIND_LIST:
        return mdb_list_push(new_index, step->value, step->value_len);
    case KIND_SPARSE_LIST:
        return sparse_set(new_index, load_be64(step->key), step->value, step->value_len);
    default:
        return mdb_key_set_insert(new_index, step->key, step->key_len);
    }
}

/* Copies one batch of one index; a wrong item marks the state failed. */
static mdb_status copy_batch(mdb_migration_helper *helper, mdb_persistent_iters *iters,
                             loop_state *state, int which) {
    kind k = LOOP_KINDS[which];
    mdb_access *old_data = NULL, *new_data = NULL;
    void *old_index = NULL, *new_index = NULL;
    mdb_iter *iter = NULL;
    int taken;
    TRY(mdb_migration_helper_old_data(helper, &old_data));
    TRY(mdb_migration_helper_new_data(helper, &new_data));
    TRY(open_index(old_data, k, LOOP_NAMES[which], &old_index));
    TRY(open_index(new_data, k, LOOP_NAMES[which], &new_index));
    TRY(new_loop_iter(iters, which, old_index, &iter));
    for (taken = 0; taken < LOOP_BATCH[which]; taken++) {
        harness_step step;
        TRY(harness_next(iter, &step));
        if (!step.found) {
            if (taken == 0 && state->copied[which] == ITEMS) {
                state->idle_after_end[which] = true;
            }
            break;
        }
        if (state->copied[which] >= ITEMS || check_item(k, state->copied[which], &step) != 0) {
            printf("  round %d of the loop got a wrong %s item\n", state->rounds,
                   kind_name(k));
            state->failed = true;
            break;
        }
        TRY(copy_item(k, new_index, &step));
        state->copied[which]++;
    }
    mdb_iter_free(iter);
    free_index(k, old_index);
    free_index(k, new_index);
    mdb_access_free(old_data);
    mdb_access_free(new_data);
    return MDB_OK;
}

static mdb_status copy_a_round(mdb_migration_helper *helper, mdb_persistent_iters *iters,
                               void *user_data) {
    loop_state *state = user_data;
    int which;
    state->rounds++;
    for (which = 0; which < 3; which++) {
        TRY(copy_batch(helper, iters, state, which));
    }
    return state->failed ? MDB_ERR_OUT_OF_RANGE : MDB_OK;
}

/* Checks that the index `name` of kind `k` in the merged new data of the migration "ns" holds
 * exactly the items, in order. */
static int check_migrated(mdb_db *db, kind k, const char *name) {
    mdb_snapshot *snapshot = NULL;
    mdb_access *migration = NULL;
    void *index = NULL;
    mdb_iter *iter = NULL;
    harness_step step;
    int i;
    CHECK_OK(mdb_snapshot_new(db, &snapshot));
    CHECK_OK(mdb_access_migration(mdb_snapshot_as_access(snapshot), NAME("ns"), &migration));
    CHECK_OK(open_index(migration, k, name, &index));
    switch (k) {
    case KIND_MAP:
        CHECK_OK(mdb_map_iter(index, NULL, 0, &iter));
        break;
    case KIND_LIST:
        CHECK_OK(mdb_list_iter(index, 0, &iter));
        break;
    case KIND_SPARSE_LIST:
        CHECK_OK(mdb_sparse_list_iter(index, 0, &iter));
        break;
    case KIND_KEY_SET:
        CHECK_OK(mdb_key_set_iter(index, NULL, 0, &iter));
        break;
    }
    for (i = 0; i < ITEMS; i++) {
        CHECK_OK(harness_next(iter, &step));
        CHECK(check_item(k, i, &step) == 0);
    }
    CHECK_OK(harness_next(iter, &step));
    CHECK(!step.found);
    mdb_iter_free(iter);
    free_index(k, index);
    mdb_access_free(migration);
    mdb_snapshot_free(snapshot);
    return 0;
}

static int test_persistent_iters_of_the_loop_copy_a_list_a_sparse_list_and_a_key_set(void) {
    mdb_db *db = NULL;
    mdb_migration_helper *helper = NULL;
    loop_state state;
    int which;
    memset(&state, 0, sizeof state);
    OPEN_TEMPORARY(db);
    for (which = 0; which < 3; which++) {
        char name[32];
        snprintf(name, sizeof name, "ns.%s", LOOP_NAMES[which]);
        CHECK(fill(db, LOOP_KINDS[which], name) == 0);
    }
    CHECK_OK(mdb_migration_helper_new(db, NAME("ns"), &helper));
    CHECK_OK(mdb_migration_helper_iter_loop(helper, copy_a_round, &state));
    CHECK(!state.failed);
    /* The sparse list, one item a round, is the last to end: in round 5. The key set (round
     * 2) and the list (round 3) ended before, and their iterators yielded nothing after. */
    CHECK(state.rounds == ITEMS);
    for (which = 0; which < 3; which++) {
        CHECK(state.copied[which] == ITEMS);
        CHECK(state.idle_after_end[which] == (LOOP_BATCH[which] > 1));
    }
    CHECK_OK(mdb_migration_helper_finish(helper));
    mdb_migration_helper_free(helper);
    for (which = 0; which < 3; which++) {
        CHECK(check_migrated(db, LOOP_KINDS[which], LOOP_NAMES[which]) == 0);
    }

    /* Run again, the loop resumes at the saved ends: one round that copies nothing. */
    memset(&state, 0, sizeof state);
    for (which = 0; which < 3; which++) {
        state.copied[which] = ITEMS;
    }
    CHECK_OK(mdb_migration_helper_new(db, NAME("ns"), &helper));
    CHECK_OK(mdb_migration_helper_iter_loop(helper, copy_a_round, &state));
    CHECK(!state.failed && state.rounds == 1);
    for (which = 0; which < 3; which++) {
        CHECK(state.copied[which] == ITEMS && state.idle_after_end[which]);
    }
    mdb_migration_helper_free(helper);
    for (which = 0; which < 3; which++) {
        CHECK(check_migrated(db, LOOP_KINDS[which], LOOP_NAMES[which]) == 0);
    }
    mdb_db_free(db);
    return 0;
}

int main(void) {
    RUN_TEST(test_persistent_iter_over_a_map_resumes_and_ends);
    RUN_TEST(test_persistent_iter_over_a_list_resumes_and_ends);
    RUN_TEST(test_persistent_iter_over_a_sparse_list_resumes_and_ends);
    RUN_TEST(test_persistent_iter_over_a_key_set_resumes_and_ends);
    RUN_TEST(test_persistent_iters_of_the_loop_copy_a_list_a_sparse_list_and_a_key_set);
    return HARNESS_SUMMARY();
}
