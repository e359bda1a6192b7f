/*
 * mdb_iter: iteration over maps, lists, sparse lists and key sets; borrowed bytes; writes
 * during iteration; iterators across flush, rollback and into_patch; batches
 * (mdb_iter_next_batch) and their mix with single steps.
 */
#include "harness.h"

static uint64_t be64(const uint8_t *bytes) {
    uint64_t value = 0;
    int i;
    for (i = 0; i < 8; i++) {
        value = (value << 8) | bytes[i];
    }
    return value;
}

static void to_be64(uint64_t value, uint8_t bytes[8]) {
    int i;
    for (i = 7; i >= 0; i--) {
        bytes[i] = (uint8_t)(value & 0xFF);
        value >>= 8;
    }
}

static int test_iter_walks_a_map_in_key_order(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_map *map = NULL;
    mdb_iter *iter = NULL;
    harness_step s;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_map, "m", map);
    CHECK_OK(mdb_map_put(map, BYTES("b"), BYTES("2")));
    CHECK_OK(mdb_map_put(map, BYTES("a"), BYTES("1")));
    CHECK_OK(mdb_map_put(map, BYTES("c"), BYTES("")));
    CHECK_OK(mdb_map_iter(map, NULL, 0, &iter));
    CHECK_OK(harness_next(iter, &s));
    CHECK(s.found);
    CHECK_BYTES(s.key, s.key_len, "a", 1);
    CHECK_BYTES(s.value, s.value_len, "1", 1);
    CHECK_OK(harness_next(iter, &s));
    CHECK(s.found);
    CHECK_BYTES(s.key, s.key_len, "b", 1);
    CHECK_OK(harness_next(iter, &s));
    CHECK(s.found);
    CHECK_BYTES(s.key, s.key_len, "c", 1);
    CHECK(s.value_len == 0);
    /* The end: found is false, the other outputs stay as they were, and it stays there. */
    s.key = UNTOUCHED;
    s.key_len = 99;
    s.value = UNTOUCHED;
    s.value_len = 98;
    CHECK_OK(harness_next(iter, &s));
    CHECK(!s.found);
    CHECK(s.key == UNTOUCHED && s.key_len == 99 && s.value == UNTOUCHED && s.value_len == 98);
    CHECK_OK(harness_next(iter, &s));
    CHECK(!s.found);
    mdb_iter_free(iter);
    mdb_map_free(map);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

static int test_iter_of_a_map_starts_at_the_first_key_not_below_from(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_map *map = NULL;
    mdb_iter *iter = NULL;
    harness_step s;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_map, "m", map);
    CHECK_OK(mdb_map_put(map, BYTES("apple"), BYTES("1")));
    CHECK_OK(mdb_map_put(map, BYTES("banana"), BYTES("2")));
    CHECK_OK(mdb_map_put(map, BYTES("cherry"), BYTES("3")));
    CHECK_OK(mdb_map_iter(map, BYTES("b"), &iter));
    CHECK_OK(harness_next(iter, &s));
    CHECK(s.found);
    CHECK_BYTES(s.key, s.key_len, "banana", 6);
    mdb_iter_free(iter);
    CHECK_OK(mdb_map_iter(map, BYTES("zzz"), &iter));
    CHECK_OK(harness_next(iter, &s));
    CHECK(!s.found);
    mdb_iter_free(iter);
    mdb_map_free(map);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

static int test_iter_over_an_empty_map_ends_at_once(void) {
    mdb_db *db = NULL;
    mdb_snapshot *snapshot = NULL;
    mdb_map *map = NULL;
    mdb_iter *iter = NULL;
    harness_step s;
    OPEN_TEMPORARY(db);
    CHECK_OK(mdb_snapshot_new(db, &snapshot));
    CHECK_OK(mdb_access_map(mdb_snapshot_as_access(snapshot), NAME("none"), NO_KEY, &map));
    CHECK_OK(mdb_map_iter(map, NULL, 0, &iter));
    CHECK_OK(harness_next(iter, &s));
    CHECK(!s.found);
    mdb_iter_free(iter);
    mdb_map_free(map);
    mdb_snapshot_free(snapshot);
    mdb_db_free(db);
    return 0;
}

/* More entries than the iterator reads ahead at once, so that it refills several times. */
static int test_iter_walks_many_entries_in_order(void) {
    enum { COUNT = 700 };
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_map *map = NULL;
    mdb_iter *iter = NULL;
    harness_step s;
    uint64_t i;
    uint8_t key[8];
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_map, "m", map);
    for (i = COUNT; i > 0; i--) {
        to_be64(i - 1, key);
        CHECK_OK(mdb_map_put(map, key, sizeof key, key, sizeof key));
    }
    COMMIT(db, fork);
    mdb_map_free(map);
    {
        mdb_snapshot *snapshot = NULL;
        CHECK_OK(mdb_snapshot_new(db, &snapshot));
        CHECK_OK(mdb_access_map(mdb_snapshot_as_access(snapshot), NAME("m"), NO_KEY, &map));
        CHECK_OK(mdb_map_iter(map, NULL, 0, &iter));
        mdb_snapshot_free(snapshot);
    }
    for (i = 0; i < COUNT; i++) {
        CHECK_OK(harness_next(iter, &s));
        CHECK(s.found);
        CHECK(s.key_len == 8 && be64(s.key) == i);
        CHECK_BYTES(s.value, s.value_len, s.key, s.key_len);
    }
    CHECK_OK(harness_next(iter, &s));
    CHECK(!s.found);
    mdb_iter_free(iter);
    mdb_map_free(map);
    mdb_db_free(db);
    return 0;
}

static int test_iter_bytes_stay_valid_until_the_next_step(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_map *map = NULL;
    mdb_iter *first = NULL, *second = NULL;
    harness_step a, b;
    char key_copy[8];
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_map, "m", map);
    CHECK_OK(mdb_map_put(map, BYTES("k1"), BYTES("v1")));
    CHECK_OK(mdb_map_put(map, BYTES("k2"), BYTES("v2")));
    /* Two iterators of one map, interleaved: each lends its own bytes. */
    CHECK_OK(mdb_map_iter(map, NULL, 0, &first));
    CHECK_OK(mdb_map_iter(map, NULL, 0, &second));
    CHECK_OK(harness_next(first, &a));
    CHECK_OK(harness_next(second, &b));
    CHECK_OK(harness_next(second, &b));
    CHECK(a.found && b.found);
    CHECK_BYTES(a.key, a.key_len, "k1", 2);
    CHECK_BYTES(a.value, a.value_len, "v1", 2);
    CHECK_BYTES(b.key, b.key_len, "k2", 2);
    /* Other calls on the family do not move the lent bytes either. */
    {
        bool found = false;
        CHECK_OK(mdb_map_contains(map, BYTES("k2"), &found));
    }
    memcpy(key_copy, a.key, a.key_len);
    CHECK_BYTES(a.key, a.key_len, key_copy, 2);
    mdb_iter_free(first);
    CHECK_BYTES(b.value, b.value_len, "v2", 2);
    mdb_iter_free(second);
    mdb_map_free(map);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

static int test_iter_writing_an_index_during_its_iteration_is_borrowed(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_map *map = NULL, *other = NULL;
    mdb_iter *iter = NULL, *iter2 = NULL;
    harness_step s;
    bool found = false;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_map, "m", map);
    CHECK_OK(mdb_access_map(mdb_fork_as_access(fork), NAME("other"), NO_KEY, &other));
    CHECK_OK(mdb_map_put(map, BYTES("a"), BYTES("1")));
    CHECK_OK(mdb_map_iter(map, NULL, 0, &iter));
    CHECK_OK(mdb_map_iter(map, NULL, 0, &iter2));
    CHECK_OK(harness_next(iter, &s));
    CHECK_STATUS(mdb_map_put(map, BYTES("b"), BYTES("2")), MDB_ERR_BORROWED);
    CHECK_STATUS(mdb_map_remove(map, BYTES("a")), MDB_ERR_BORROWED);
    CHECK_STATUS(mdb_map_clear(map), MDB_ERR_BORROWED);
    /* Reads go on, and other indexes of the fork stay writable. */
    CHECK_OK(mdb_map_contains(map, BYTES("a"), &found));
    CHECK(found);
    CHECK_OK(mdb_map_put(other, BYTES("x"), BYTES("y")));
    mdb_iter_free(iter);
    /* One iterator left. */
    CHECK_STATUS(mdb_map_put(map, BYTES("b"), BYTES("2")), MDB_ERR_BORROWED);
    mdb_iter_free(iter2);
    CHECK_OK(mdb_map_put(map, BYTES("b"), BYTES("2")));
    mdb_map_free(map);
    mdb_map_free(other);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

static int test_iter_over_a_list_lends_big_endian_positions(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_list *list = NULL;
    mdb_iter *iter = NULL;
    harness_step s;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_list, "l", list);
    CHECK_OK(mdb_list_push(list, BYTES("zero")));
    CHECK_OK(mdb_list_push(list, BYTES("one")));
    CHECK_OK(mdb_list_push(list, BYTES("two")));
    CHECK_OK(mdb_list_iter(list, 1, &iter));
    CHECK_STATUS(mdb_list_push(list, BYTES("three")), MDB_ERR_BORROWED);
    CHECK_OK(harness_next(iter, &s));
    CHECK(s.found && s.key_len == 8 && be64(s.key) == 1);
    CHECK_BYTES(s.value, s.value_len, "one", 3);
    CHECK_OK(harness_next(iter, &s));
    CHECK(s.found && be64(s.key) == 2);
    CHECK_OK(harness_next(iter, &s));
    CHECK(!s.found);
    mdb_iter_free(iter);
    CHECK_OK(mdb_list_push(list, BYTES("three")));
    mdb_list_free(list);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

static int test_iter_over_a_sparse_list_skips_gaps(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_sparse_list *list = NULL;
    mdb_iter *iter = NULL;
    mdb_bytes old = harness_empty_bytes();
    bool found = false;
    harness_step s;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_sparse_list, "s", list);
    CHECK_OK(mdb_sparse_list_set(list, 3, BYTES("three"), &old, &found));
    CHECK(!found);
    CHECK_OK(mdb_sparse_list_set(list, 10, BYTES("ten"), &old, &found));
    CHECK_OK(mdb_sparse_list_iter(list, 0, &iter));
    CHECK_STATUS(mdb_sparse_list_push(list, BYTES("x")), MDB_ERR_BORROWED);
    CHECK_OK(harness_next(iter, &s));
    CHECK(s.found && be64(s.key) == 3);
    CHECK_BYTES(s.value, s.value_len, "three", 5);
    CHECK_OK(harness_next(iter, &s));
    CHECK(s.found && be64(s.key) == 10);
    CHECK_OK(harness_next(iter, &s));
    CHECK(!s.found);
    mdb_iter_free(iter);
    CHECK_OK(mdb_sparse_list_iter(list, 4, &iter));
    CHECK_OK(harness_next(iter, &s));
    CHECK(s.found && be64(s.key) == 10);
    mdb_iter_free(iter);
    mdb_sparse_list_free(list);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

static int test_iter_over_a_key_set_lends_empty_values(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_key_set *set = NULL;
    mdb_iter *iter = NULL;
    harness_step s;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_key_set, "ks", set);
    CHECK_OK(mdb_key_set_insert(set, BYTES("y")));
    CHECK_OK(mdb_key_set_insert(set, BYTES("x")));
    CHECK_OK(mdb_key_set_iter(set, NULL, 0, &iter));
    CHECK_STATUS(mdb_key_set_insert(set, BYTES("z")), MDB_ERR_BORROWED);
    CHECK_STATUS(mdb_key_set_remove(set, BYTES("x")), MDB_ERR_BORROWED);
    CHECK_OK(harness_next(iter, &s));
    CHECK(s.found && s.value_len == 0);
    CHECK_BYTES(s.key, s.key_len, "x", 1);
    CHECK_OK(harness_next(iter, &s));
    CHECK(s.found);
    CHECK_BYTES(s.key, s.key_len, "y", 1);
    CHECK_OK(harness_next(iter, &s));
    CHECK(!s.found);
    mdb_iter_free(iter);
    mdb_key_set_free(set);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

static int test_iter_survives_a_flush_at_its_position(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_map *map = NULL;
    mdb_iter *iter = NULL;
    harness_step s;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_map, "m", map);
    CHECK_OK(mdb_map_put(map, BYTES("a"), BYTES("1")));
    CHECK_OK(mdb_map_put(map, BYTES("b"), BYTES("2")));
    CHECK_OK(mdb_map_iter(map, NULL, 0, &iter));
    CHECK_OK(harness_next(iter, &s));
    CHECK(s.found);
    CHECK_BYTES(s.key, s.key_len, "a", 1);
    CHECK_OK(mdb_fork_flush(fork));
    CHECK_OK(harness_next(iter, &s));
    CHECK(s.found);
    CHECK_BYTES(s.key, s.key_len, "b", 1);
    /* Still borrowed after the flush. */
    CHECK_STATUS(mdb_map_put(map, BYTES("c"), BYTES("3")), MDB_ERR_BORROWED);
    mdb_iter_free(iter);
    mdb_map_free(map);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

static int test_iter_is_stale_after_rollback_and_into_patch(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_map *map = NULL;
    mdb_iter *iter = NULL;
    mdb_patch *patch = NULL;
    harness_step s;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_map, "m", map);
    CHECK_OK(mdb_map_put(map, BYTES("a"), BYTES("1")));
    CHECK_OK(mdb_map_iter(map, NULL, 0, &iter));
    CHECK_OK(mdb_fork_rollback(fork));
    CHECK_STATUS(harness_next(iter, &s), MDB_ERR_STALE_HANDLE);
    mdb_iter_free(iter);
    mdb_map_free(map);

    CHECK_OK(mdb_access_map(mdb_fork_as_access(fork), NAME("m"), NO_KEY, &map));
    CHECK_OK(mdb_map_put(map, BYTES("a"), BYTES("1")));
    CHECK_OK(mdb_map_iter(map, NULL, 0, &iter));
    CHECK_OK(harness_next(iter, &s));
    CHECK_OK(mdb_fork_into_patch(fork, &patch));
    CHECK_STATUS(harness_next(iter, &s), MDB_ERR_STALE_HANDLE);
    CHECK_STATUS(mdb_map_iter(map, NULL, 0, &iter), MDB_ERR_STALE_HANDLE);
    mdb_iter_free(iter);
    mdb_map_free(map);
    CHECK_OK(mdb_db_merge(db, patch));
    mdb_patch_free(patch);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

static int test_iter_rejects_null_outputs(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_map *map = NULL;
    mdb_iter *iter = NULL;
    harness_step s;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_map, "m", map);
    CHECK_OK(mdb_map_put(map, BYTES("a"), BYTES("1")));
    CHECK_OK(mdb_map_iter(map, NULL, 0, &iter));
    CHECK_STATUS(mdb_iter_next(NULL, &s.key, &s.key_len, &s.value, &s.value_len, &s.found),
                 MDB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mdb_iter_next(iter, NULL, &s.key_len, &s.value, &s.value_len, &s.found),
                 MDB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mdb_iter_next(iter, &s.key, NULL, &s.value, &s.value_len, &s.found),
                 MDB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mdb_iter_next(iter, &s.key, &s.key_len, NULL, &s.value_len, &s.found),
                 MDB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mdb_iter_next(iter, &s.key, &s.key_len, &s.value, NULL, &s.found),
                 MDB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mdb_iter_next(iter, &s.key, &s.key_len, &s.value, &s.value_len, NULL),
                 MDB_ERR_INVALID_ARGUMENT);
    /* The refused calls did not advance the iterator. */
    CHECK_OK(harness_next(iter, &s));
    CHECK(s.found);
    CHECK_BYTES(s.key, s.key_len, "a", 1);
    mdb_iter_free(iter);
    mdb_iter_free(NULL);
    mdb_map_free(map);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

/* Takes the rest of `iter` (over the map of test_iter_batches_give_what_single_steps_give) in
 * batches of `buf_len` bytes and `max` entries, and checks them: every batch but the last holds
 * `full` entries, laid out key then value from the start of `buf`, and each entry is the next
 * position from 0. Counts the batches in `*batches`. */
static int take_in_batches(mdb_iter *iter, uint8_t *buf, size_t buf_len, mdb_iter_entry *entries,
                           size_t max, size_t full, uint64_t total, uint64_t *batches) {
    size_t count = 0, needed = 0, j;
    uint64_t seen = 0;
    *batches = 0;
    for (;;) {
        CHECK_OK(mdb_iter_next_batch(iter, buf, buf_len, entries, max, &count, &needed));
        CHECK(needed == 0);
        if (count == 0) {
            break;
        }
        CHECK(count == full || seen + count == total);
        for (j = 0; j < count; j++) {
            CHECK(entries[j].key == buf + 16 * j && entries[j].value == buf + 16 * j + 8);
            CHECK(entries[j].key_len == 8 && be64(entries[j].key) == seen);
            CHECK_BYTES(entries[j].value, entries[j].value_len, entries[j].key, 8);
            seen++;
        }
        ++*batches;
    }
    CHECK(seen == total);
    return 0;
}

/* Walks a map of 700 entries (keys and values 8-byte big-endian positions) in batches, each
 * batch its own bytes, and checks each entry against the position the single steps give it. */
static int test_iter_batches_give_what_single_steps_give(void) {
    enum { COUNT = 700 };
    static mdb_iter_entry many[200];
    static uint8_t big_buf[1000];
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_map *map = NULL;
    mdb_iter *iter = NULL;
    harness_step s;
    uint8_t key[8], buf[100];
    mdb_iter_entry entries[5];
    size_t count = 0, needed = 0;
    uint64_t i, batches = 0;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_map, "m", map);
    for (i = 0; i < COUNT; i++) {
        to_be64(i, key);
        CHECK_OK(mdb_map_put(map, key, sizeof key, key, sizeof key));
    }
    /* 100 bytes hold 6 entries of 16 bytes: the 5 entries are the limit. */
    CHECK_OK(mdb_map_iter(map, NULL, 0, &iter));
    CHECK(take_in_batches(iter, buf, sizeof buf, entries, 5, 5, COUNT, &batches) == 0);
    CHECK(batches == COUNT / 5);
    mdb_iter_free(iter);
    /* Room for many entries: the library reads them straight into the caller's memory. A
     * 1000-byte buffer holds 62 of these entries. */
    CHECK_OK(mdb_map_iter(map, NULL, 0, &iter));
    CHECK(take_in_batches(iter, big_buf, sizeof big_buf, many, 200, 62, COUNT, &batches) == 0);
    CHECK(batches == (COUNT + 61) / 62);
    /* At the end it stays at the end, for both calls. */
    CHECK_OK(mdb_iter_next_batch(iter, buf, sizeof buf, entries, 5, &count, &needed));
    CHECK(count == 0 && needed == 0);
    CHECK_OK(harness_next(iter, &s));
    CHECK(!s.found);
    mdb_iter_free(iter);
    mdb_map_free(map);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

/* Batches over a list, a sparse list and a key set give what their single steps give. */
static int test_iter_batches_work_for_lists_sparse_lists_and_key_sets(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_list *list = NULL;
    mdb_sparse_list *sparse = NULL;
    mdb_key_set *set = NULL;
    mdb_iter *iter = NULL;
    mdb_bytes old;
    bool found = false;
    uint8_t buf[64];
    mdb_iter_entry entries[8];
    size_t count = 0, needed = 0;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_list, "l", list);
    CHECK_OK(mdb_access_sparse_list(mdb_fork_as_access(fork), NAME("s"), NO_KEY, &sparse));
    CHECK_OK(mdb_access_key_set(mdb_fork_as_access(fork), NAME("k"), NO_KEY, &set));
    CHECK_OK(mdb_list_push(list, BYTES("zero")));
    CHECK_OK(mdb_list_push(list, BYTES("one")));
    CHECK_OK(mdb_sparse_list_set(sparse, 5, BYTES("five"), &old, &found));
    CHECK_OK(mdb_key_set_insert(set, BYTES("b")));
    CHECK_OK(mdb_key_set_insert(set, BYTES("a")));

    CHECK_OK(mdb_list_iter(list, 0, &iter));
    CHECK_OK(mdb_iter_next_batch(iter, buf, sizeof buf, entries, 8, &count, &needed));
    CHECK(count == 2 && needed == 0);
    CHECK(entries[0].key_len == 8 && be64(entries[0].key) == 0);
    CHECK_BYTES(entries[0].value, entries[0].value_len, "zero", 4);
    CHECK(entries[1].key_len == 8 && be64(entries[1].key) == 1);
    CHECK_BYTES(entries[1].value, entries[1].value_len, "one", 3);
    mdb_iter_free(iter);

    CHECK_OK(mdb_sparse_list_iter(sparse, 0, &iter));
    CHECK_OK(mdb_iter_next_batch(iter, buf, sizeof buf, entries, 8, &count, &needed));
    CHECK(count == 1 && needed == 0);
    CHECK(entries[0].key_len == 8 && be64(entries[0].key) == 5);
    CHECK_BYTES(entries[0].value, entries[0].value_len, "five", 4);
    mdb_iter_free(iter);

    CHECK_OK(mdb_key_set_iter(set, NULL, 0, &iter));
    CHECK_OK(mdb_iter_next_batch(iter, buf, sizeof buf, entries, 8, &count, &needed));
    CHECK(count == 2 && needed == 0);
    CHECK_BYTES(entries[0].key, entries[0].key_len, "a", 1);
    CHECK(entries[0].value_len == 0);
    CHECK_BYTES(entries[1].key, entries[1].key_len, "b", 1);
    CHECK(entries[1].value_len == 0);
    CHECK_OK(mdb_iter_next_batch(iter, buf, sizeof buf, entries, 8, &count, &needed));
    CHECK(count == 0 && needed == 0);
    mdb_iter_free(iter);

    mdb_key_set_free(set);
    mdb_sparse_list_free(sparse);
    mdb_list_free(list);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

/* An entry larger than the whole buffer is reported with its size and not skipped: a single
 * step takes it, or a large enough buffer does; batches and single steps mix. */
static int test_iter_batch_reports_an_entry_too_large_for_its_buffer(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_map *map = NULL;
    mdb_iter *iter = NULL;
    harness_step s;
    uint8_t big[300], buf[300];
    mdb_iter_entry entries[4];
    size_t count = 0, needed = 0;
    memset(big, 'x', sizeof big);
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_map, "m", map);
    CHECK_OK(mdb_map_put(map, BYTES("a"), BYTES("1")));
    CHECK_OK(mdb_map_put(map, BYTES("b"), big, 200));
    CHECK_OK(mdb_map_put(map, BYTES("c"), BYTES("3")));
    CHECK_OK(mdb_map_put(map, BYTES("d"), BYTES("4")));
    CHECK_OK(mdb_map_iter(map, NULL, 0, &iter));
    /* "a" fits in 100 bytes; "b" does not, and ends the batch unreported. */
    CHECK_OK(mdb_iter_next_batch(iter, buf, 100, entries, 4, &count, &needed));
    CHECK(count == 1 && needed == 0);
    CHECK_BYTES(entries[0].key, entries[0].key_len, "a", 1);
    /* Alone, "b" needs 201 bytes; asking again does not skip it. */
    CHECK_OK(mdb_iter_next_batch(iter, buf, 100, entries, 4, &count, &needed));
    CHECK(count == 0 && needed == 201);
    CHECK_OK(mdb_iter_next_batch(iter, buf, 200, entries, 4, &count, &needed));
    CHECK(count == 0 && needed == 201);
    /* A buffer of that size takes it. */
    CHECK_OK(mdb_iter_next_batch(iter, buf, 201, entries, 1, &count, &needed));
    CHECK(count == 1 && needed == 0);
    CHECK_BYTES(entries[0].key, entries[0].key_len, "b", 1);
    CHECK_BYTES(entries[0].value, entries[0].value_len, big, 200);
    /* A single step takes "c", and a batch goes on with "d". */
    CHECK_OK(harness_next(iter, &s));
    CHECK(s.found);
    CHECK_BYTES(s.key, s.key_len, "c", 1);
    CHECK_OK(mdb_iter_next_batch(iter, buf, 100, entries, 4, &count, &needed));
    CHECK(count == 1 && needed == 0);
    CHECK_BYTES(entries[0].key, entries[0].key_len, "d", 1);
    CHECK_OK(mdb_iter_next_batch(iter, buf, 100, entries, 4, &count, &needed));
    CHECK(count == 0 && needed == 0);
    mdb_iter_free(iter);

    /* Or a single step takes the large entry the batch reported. */
    CHECK_OK(mdb_map_iter(map, BYTES("b"), &iter));
    CHECK_OK(mdb_iter_next_batch(iter, buf, 100, entries, 4, &count, &needed));
    CHECK(count == 0 && needed == 201);
    CHECK_OK(harness_next(iter, &s));
    CHECK(s.found);
    CHECK_BYTES(s.key, s.key_len, "b", 1);
    CHECK_BYTES(s.value, s.value_len, big, 200);
    CHECK_OK(mdb_iter_next_batch(iter, buf, 100, entries, 4, &count, &needed));
    CHECK(count == 2 && needed == 0);
    CHECK_BYTES(entries[0].key, entries[0].key_len, "c", 1);
    CHECK_BYTES(entries[1].key, entries[1].key_len, "d", 1);
    mdb_iter_free(iter);
    mdb_map_free(map);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

static int test_iter_batch_rejects_null_arguments(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_map *map = NULL;
    mdb_iter *iter = NULL;
    harness_step s;
    uint8_t buf[16];
    mdb_iter_entry entries[2];
    size_t count = 7, needed = 7;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_map, "m", map);
    CHECK_OK(mdb_map_put(map, BYTES("a"), BYTES("1")));
    CHECK_OK(mdb_map_iter(map, NULL, 0, &iter));
    CHECK_STATUS(mdb_iter_next_batch(NULL, buf, sizeof buf, entries, 2, &count, &needed),
                 MDB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mdb_iter_next_batch(iter, NULL, sizeof buf, entries, 2, &count, &needed),
                 MDB_ERR_INVALID_ARGUMENT);
    CHECK(strstr(mdb_last_error_message(), "`buf`") != NULL);
    CHECK_STATUS(mdb_iter_next_batch(iter, buf, sizeof buf, NULL, 2, &count, &needed),
                 MDB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mdb_iter_next_batch(iter, buf, sizeof buf, entries, 0, &count, &needed),
                 MDB_ERR_INVALID_ARGUMENT);
    CHECK(strstr(mdb_last_error_message(), "`entries_len`") != NULL);
    CHECK_STATUS(mdb_iter_next_batch(iter, buf, sizeof buf, entries, 2, NULL, &needed),
                 MDB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mdb_iter_next_batch(iter, buf, sizeof buf, entries, 2, &count, NULL),
                 MDB_ERR_INVALID_ARGUMENT);
    CHECK(count == 7 && needed == 7);
    /* A NULL buffer of length 0 is allowed: only an empty entry would fit. */
    CHECK_OK(mdb_iter_next_batch(iter, NULL, 0, entries, 2, &count, &needed));
    CHECK(count == 0 && needed == 2);
    /* The refused calls did not advance the iterator. */
    CHECK_OK(harness_next(iter, &s));
    CHECK(s.found);
    CHECK_BYTES(s.key, s.key_len, "a", 1);
    mdb_iter_free(iter);
    mdb_map_free(map);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

int main(void) {
    RUN_TEST(test_iter_walks_a_map_in_key_order);
    RUN_TEST(test_iter_of_a_map_starts_at_the_first_key_not_below_from);
    RUN_TEST(test_iter_over_an_empty_map_ends_at_once);
    RUN_TEST(test_iter_walks_many_entries_in_order);
    RUN_TEST(test_iter_bytes_stay_valid_until_the_next_step);
    RUN_TEST(test_iter_writing_an_index_during_its_iteration_is_borrowed);
    RUN_TEST(test_iter_over_a_list_lends_big_endian_positions);
    RUN_TEST(test_iter_over_a_sparse_list_skips_gaps);
    RUN_TEST(test_iter_over_a_key_set_lends_empty_values);
    RUN_TEST(test_iter_survives_a_flush_at_its_position);
    RUN_TEST(test_iter_is_stale_after_rollback_and_into_patch);
    RUN_TEST(test_iter_rejects_null_outputs);
    RUN_TEST(test_iter_batches_give_what_single_steps_give);
    RUN_TEST(test_iter_batches_work_for_lists_sparse_lists_and_key_sets);
    RUN_TEST(test_iter_batch_reports_an_entry_too_large_for_its_buffer);
    RUN_TEST(test_iter_batch_rejects_null_arguments);
    return HARNESS_SUMMARY();
}
