/*
 * mdb_list: push, pop, get, last, set, truncate, clear and length, through writable and
 * read-only accesses.
 */
#include "harness.h"

/* Checks the value at `position`; `expected` NULL means no value there. */
static int check_at(const mdb_list *list, uint64_t position, const char *expected) {
    mdb_bytes value = harness_empty_bytes();
    bool found = false;
    CHECK_OK(mdb_list_get(list, position, &value, &found));
    if (expected == NULL) {
        CHECK(!found);
        CHECK(value.data == NULL);
    } else {
        CHECK(found);
        CHECK_BYTES(value.data, value.len, expected, strlen(expected));
        mdb_bytes_free(&value);
    }
    return 0;
}

static uint64_t length(const mdb_list *list) {
    uint64_t len = 12345;
    if (mdb_list_len(list, &len) != MDB_OK) {
        return 12345;
    }
    return len;
}

static int test_list_push_appends_and_get_reads_by_position(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_list *list = NULL;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_list, "l", list);
    CHECK(length(list) == 0);
    CHECK(check_at(list, 0, NULL) == 0);
    CHECK_OK(mdb_list_push(list, BYTES("zero")));
    CHECK_OK(mdb_list_push(list, BYTES("one")));
    CHECK_OK(mdb_list_push(list, NULL, 0));
    CHECK(length(list) == 3);
    CHECK(check_at(list, 0, "zero") == 0);
    CHECK(check_at(list, 1, "one") == 0);
    CHECK(check_at(list, 2, "") == 0);
    CHECK(check_at(list, 3, NULL) == 0);
    CHECK(check_at(list, UINT64_MAX, NULL) == 0);
    mdb_list_free(list);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

static int test_list_last_and_pop_work_from_the_end(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_list *list = NULL;
    mdb_bytes value;
    bool found = true;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_list, "l", list);
    value.data = UNTOUCHED;
    value.len = 5;
    value.capacity = 5;
    CHECK_OK(mdb_list_last(list, &value, &found));
    CHECK(!found && value.data == UNTOUCHED);
    found = true;
    CHECK_OK(mdb_list_pop(list, &value, &found));
    CHECK(!found && value.data == UNTOUCHED);
    CHECK_OK(mdb_list_push(list, BYTES("a")));
    CHECK_OK(mdb_list_push(list, BYTES("b")));
    CHECK_OK(mdb_list_last(list, &value, &found));
    CHECK(found && BYTES_EQ(value, "b"));
    mdb_bytes_free(&value);
    CHECK_OK(mdb_list_pop(list, &value, &found));
    CHECK(found && BYTES_EQ(value, "b"));
    mdb_bytes_free(&value);
    CHECK(length(list) == 1);
    CHECK_OK(mdb_list_pop(list, &value, &found));
    CHECK(found && BYTES_EQ(value, "a"));
    mdb_bytes_free(&value);
    CHECK(length(list) == 0);
    mdb_list_free(list);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

static int test_list_set_replaces_and_is_out_of_range_past_the_end(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_list *list = NULL;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_list, "l", list);
    CHECK_STATUS(mdb_list_set(list, 0, BYTES("x")), MDB_ERR_OUT_OF_RANGE);
    CHECK(strlen(mdb_last_error_message()) > 0);
    CHECK_OK(mdb_list_push(list, BYTES("a")));
    CHECK_OK(mdb_list_push(list, BYTES("b")));
    CHECK_OK(mdb_list_set(list, 1, BYTES("B")));
    CHECK(check_at(list, 1, "B") == 0);
    CHECK_STATUS(mdb_list_set(list, 2, BYTES("c")), MDB_ERR_OUT_OF_RANGE);
    CHECK_STATUS(mdb_list_set(list, UINT64_MAX, BYTES("c")), MDB_ERR_OUT_OF_RANGE);
    /* Nothing changed. */
    CHECK(length(list) == 2);
    CHECK(check_at(list, 2, NULL) == 0);
    mdb_list_free(list);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

static int test_list_truncate_and_clear_shorten_it(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_list *list = NULL;
    uint32_t type = 0;
    bool found = false;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_list, "l", list);
    CHECK_OK(mdb_list_push(list, BYTES("a")));
    CHECK_OK(mdb_list_push(list, BYTES("b")));
    CHECK_OK(mdb_list_push(list, BYTES("c")));
    CHECK_OK(mdb_list_truncate(list, 5));
    CHECK(length(list) == 3);
    CHECK_OK(mdb_list_truncate(list, 1));
    CHECK(length(list) == 1);
    CHECK(check_at(list, 0, "a") == 0);
    CHECK(check_at(list, 1, NULL) == 0);
    CHECK_OK(mdb_list_push(list, BYTES("new")));
    CHECK(check_at(list, 1, "new") == 0);
    CHECK_OK(mdb_list_clear(list));
    CHECK(length(list) == 0);
    CHECK(check_at(list, 0, NULL) == 0);
    mdb_list_free(list);
    CHECK_OK(mdb_access_index_type(mdb_fork_as_access(fork), NAME("l"), NO_KEY, &type, &found));
    CHECK(found && type == MDB_INDEX_LIST);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

static int test_list_merged_values_read_from_a_snapshot_read_only(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_list *list = NULL;
    mdb_snapshot *snapshot = NULL;
    mdb_bytes value = harness_empty_bytes();
    bool found = false;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_list, "l", list);
    CHECK_OK(mdb_list_push(list, BYTES("a")));
    CHECK_OK(mdb_list_push(list, BYTES("b")));
    mdb_list_free(list);
    COMMIT(db, fork);
    CHECK_OK(mdb_snapshot_new(db, &snapshot));
    CHECK_OK(mdb_access_list(mdb_snapshot_as_access(snapshot), NAME("l"), NO_KEY, &list));
    CHECK(length(list) == 2);
    CHECK(check_at(list, 1, "b") == 0);
    CHECK_STATUS(mdb_list_push(list, BYTES("c")), MDB_ERR_READONLY);
    CHECK_STATUS(mdb_list_pop(list, &value, &found), MDB_ERR_READONLY);
    CHECK_STATUS(mdb_list_set(list, 0, BYTES("c")), MDB_ERR_READONLY);
    CHECK_STATUS(mdb_list_truncate(list, 0), MDB_ERR_READONLY);
    CHECK_STATUS(mdb_list_clear(list), MDB_ERR_READONLY);
    CHECK(length(list) == 2);
    mdb_list_free(list);
    mdb_snapshot_free(snapshot);
    mdb_db_free(db);
    return 0;
}

static int test_list_of_a_group_is_addressed_by_its_key(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_list *first = NULL, *second = NULL;
    const uint8_t one[] = {1}, two[] = {2};
    OPEN_FORK(db, fork);
    CHECK_OK(mdb_access_list(mdb_fork_as_access(fork), NAME("lists"), one, 1, &first));
    CHECK_OK(mdb_access_list(mdb_fork_as_access(fork), NAME("lists"), two, 1, &second));
    CHECK_OK(mdb_list_push(first, BYTES("x")));
    CHECK(length(first) == 1);
    CHECK(length(second) == 0);
    mdb_list_free(first);
    mdb_list_free(second);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

static int test_list_wrong_type_and_second_writer_are_refused(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_list *list = NULL, *again = UNTOUCHED;
    mdb_map *map = NULL;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_list, "l", list);
    CHECK_STATUS(mdb_access_list(mdb_fork_as_access(fork), NAME("l"), NO_KEY, &again),
                 MDB_ERR_BORROWED);
    CHECK_OK(mdb_access_map(mdb_fork_as_access(fork), NAME("m"), NO_KEY, &map));
    CHECK_OK(mdb_map_put(map, BYTES("k"), BYTES("v")));
    CHECK_STATUS(mdb_access_list(mdb_fork_as_access(fork), NAME("m"), NO_KEY, &again),
                 MDB_ERR_WRONG_TYPE);
    CHECK(again == UNTOUCHED);
    mdb_map_free(map);
    mdb_list_free(list);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

int main(void) {
    RUN_TEST(test_list_push_appends_and_get_reads_by_position);
    RUN_TEST(test_list_last_and_pop_work_from_the_end);
    RUN_TEST(test_list_set_replaces_and_is_out_of_range_past_the_end);
    RUN_TEST(test_list_truncate_and_clear_shorten_it);
    RUN_TEST(test_list_merged_values_read_from_a_snapshot_read_only);
    RUN_TEST(test_list_of_a_group_is_addressed_by_its_key);
    RUN_TEST(test_list_wrong_type_and_second_writer_are_refused);
    return HARNESS_SUMMARY();
}
