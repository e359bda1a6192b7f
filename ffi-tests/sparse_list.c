/*
 * mdb_sparse_list: values at positions with gaps; capacity versus length; set, remove, pop
 * (from the front), clear, and the edges of the position range.
 */
#include "harness.h"

/* Checks the length and the capacity. */
static int check_sizes(const mdb_sparse_list *list, uint64_t len, uint64_t capacity) {
    uint64_t got = 0;
    CHECK_OK(mdb_sparse_list_len(list, &got));
    CHECK(got == len);
    CHECK_OK(mdb_sparse_list_capacity(list, &got));
    CHECK(got == capacity);
    return 0;
}

/* Checks the value at `position`; `expected` NULL means none. */
static int check_at(const mdb_sparse_list *list, uint64_t position, const char *expected) {
    mdb_bytes value = harness_empty_bytes();
    bool found = false;
    CHECK_OK(mdb_sparse_list_get(list, position, &value, &found));
    if (expected == NULL) {
        CHECK(!found);
    } else {
        CHECK(found);
        CHECK_BYTES(value.data, value.len, expected, strlen(expected));
        mdb_bytes_free(&value);
    }
    return 0;
}

static int test_sparse_list_push_stores_at_the_capacity(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_sparse_list *list = NULL;
    mdb_bytes old = harness_empty_bytes();
    bool found = true;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_sparse_list, "s", list);
    CHECK(check_sizes(list, 0, 0) == 0);
    CHECK_OK(mdb_sparse_list_set(list, 5, BYTES("five"), &old, &found));
    CHECK(!found);
    CHECK(check_sizes(list, 1, 6) == 0);
    CHECK_OK(mdb_sparse_list_push(list, BYTES("six")));
    CHECK(check_sizes(list, 2, 7) == 0);
    CHECK(check_at(list, 6, "six") == 0);
    CHECK(check_at(list, 0, NULL) == 0);
    CHECK(check_at(list, 5, "five") == 0);
    mdb_sparse_list_free(list);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

static int test_sparse_list_set_hands_over_the_replaced_value(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_sparse_list *list = NULL;
    mdb_bytes old = harness_empty_bytes();
    bool found = false;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_sparse_list, "s", list);
    CHECK_OK(mdb_sparse_list_set(list, 2, BYTES("first"), &old, &found));
    CHECK(!found && old.data == NULL);
    CHECK_OK(mdb_sparse_list_set(list, 2, BYTES("second"), &old, &found));
    CHECK(found && BYTES_EQ(old, "first"));
    mdb_bytes_free(&old);
    CHECK(check_sizes(list, 1, 3) == 0);
    /* Below the capacity: the capacity stays. */
    CHECK_OK(mdb_sparse_list_set(list, 0, BYTES("zero"), &old, &found));
    CHECK(!found);
    CHECK(check_sizes(list, 2, 3) == 0);
    mdb_sparse_list_free(list);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

static int test_sparse_list_remove_keeps_the_capacity_and_pop_takes_the_first(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_sparse_list *list = NULL;
    mdb_bytes value;
    bool found = false;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_sparse_list, "s", list);
    CHECK_OK(mdb_sparse_list_push(list, BYTES("a")));
    CHECK_OK(mdb_sparse_list_push(list, BYTES("b")));
    CHECK_OK(mdb_sparse_list_push(list, BYTES("c")));
    value = harness_empty_bytes();
    CHECK_OK(mdb_sparse_list_remove(list, 1, &value, &found));
    CHECK(found && BYTES_EQ(value, "b"));
    mdb_bytes_free(&value);
    CHECK(check_sizes(list, 2, 3) == 0);
    value.data = UNTOUCHED;
    CHECK_OK(mdb_sparse_list_remove(list, 1, &value, &found));
    CHECK(!found && value.data == UNTOUCHED);
    value = harness_empty_bytes();
    CHECK_OK(mdb_sparse_list_pop(list, &value, &found));
    CHECK(found && BYTES_EQ(value, "a"));
    mdb_bytes_free(&value);
    CHECK_OK(mdb_sparse_list_pop(list, &value, &found));
    CHECK(found && BYTES_EQ(value, "c"));
    mdb_bytes_free(&value);
    CHECK_OK(mdb_sparse_list_pop(list, &value, &found));
    CHECK(!found);
    CHECK(check_sizes(list, 0, 3) == 0);
    mdb_sparse_list_free(list);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

static int test_sparse_list_clear_resets_length_and_capacity(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_sparse_list *list = NULL;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_sparse_list, "s", list);
    CHECK_OK(mdb_sparse_list_push(list, BYTES("a")));
    CHECK_OK(mdb_sparse_list_push(list, BYTES("b")));
    CHECK_OK(mdb_sparse_list_clear(list));
    CHECK(check_sizes(list, 0, 0) == 0);
    CHECK(check_at(list, 0, NULL) == 0);
    mdb_sparse_list_free(list);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

static int test_sparse_list_positions_at_the_end_of_the_range_are_out_of_range(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_sparse_list *list = NULL;
    mdb_bytes old = harness_empty_bytes();
    bool found = false;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_sparse_list, "s", list);
    /* The capacity would overflow. */
    CHECK_STATUS(mdb_sparse_list_set(list, UINT64_MAX, BYTES("x"), &old, &found),
                 MDB_ERR_OUT_OF_RANGE);
    CHECK(strlen(mdb_last_error_message()) > 0);
    CHECK(check_sizes(list, 0, 0) == 0);
    /* The last position with room for the capacity. */
    CHECK_OK(mdb_sparse_list_set(list, UINT64_MAX - 1, BYTES("last"), &old, &found));
    CHECK(check_sizes(list, 1, UINT64_MAX) == 0);
    CHECK_STATUS(mdb_sparse_list_push(list, BYTES("y")), MDB_ERR_OUT_OF_RANGE);
    CHECK(check_sizes(list, 1, UINT64_MAX) == 0);
    CHECK(check_at(list, UINT64_MAX - 1, "last") == 0);
    mdb_sparse_list_free(list);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

static int test_sparse_list_read_only_handles_refuse_writes(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_access *readonly = NULL;
    mdb_sparse_list *list = NULL;
    mdb_bytes old = harness_empty_bytes();
    bool found = false;
    OPEN_FORK(db, fork);
    CHECK_OK(mdb_fork_readonly(fork, &readonly));
    CHECK_OK(mdb_access_sparse_list(readonly, NAME("s"), NO_KEY, &list));
    CHECK_STATUS(mdb_sparse_list_push(list, BYTES("x")), MDB_ERR_READONLY);
    CHECK_STATUS(mdb_sparse_list_set(list, 0, BYTES("x"), &old, &found), MDB_ERR_READONLY);
    CHECK_STATUS(mdb_sparse_list_remove(list, 0, &old, &found), MDB_ERR_READONLY);
    CHECK_STATUS(mdb_sparse_list_pop(list, &old, &found), MDB_ERR_READONLY);
    CHECK_STATUS(mdb_sparse_list_clear(list), MDB_ERR_READONLY);
    CHECK(check_sizes(list, 0, 0) == 0);
    mdb_sparse_list_free(list);
    mdb_access_free(readonly);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

int main(void) {
    RUN_TEST(test_sparse_list_push_stores_at_the_capacity);
    RUN_TEST(test_sparse_list_set_hands_over_the_replaced_value);
    RUN_TEST(test_sparse_list_remove_keeps_the_capacity_and_pop_takes_the_first);
    RUN_TEST(test_sparse_list_clear_resets_length_and_capacity);
    RUN_TEST(test_sparse_list_positions_at_the_end_of_the_range_are_out_of_range);
    RUN_TEST(test_sparse_list_read_only_handles_refuse_writes);
    return HARNESS_SUMMARY();
}
