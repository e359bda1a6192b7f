/*
 * mdb_map: lookups, writes, names, index types and borrows.
 */
#include "harness.h"

static int test_map_put_get_contains_remove(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_map *map = NULL;
    mdb_bytes value = harness_empty_bytes();
    bool found = false;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_map, "m", map);
    CHECK_OK(mdb_map_put(map, BYTES("alice"), BYTES("100")));
    CHECK_OK(mdb_map_get(map, BYTES("alice"), &value, &found));
    CHECK(found);
    CHECK(BYTES_EQ(value, "100"));
    mdb_bytes_free(&value);
    CHECK_OK(mdb_map_put(map, BYTES("alice"), BYTES("replaced")));
    CHECK_OK(mdb_map_get(map, BYTES("alice"), &value, &found));
    CHECK(found && BYTES_EQ(value, "replaced"));
    mdb_bytes_free(&value);
    CHECK_OK(mdb_map_contains(map, BYTES("alice"), &found));
    CHECK(found);
    CHECK_OK(mdb_map_remove(map, BYTES("alice")));
    CHECK_OK(mdb_map_contains(map, BYTES("alice"), &found));
    CHECK(!found);
    /* Removing a missing key is fine. */
    CHECK_OK(mdb_map_remove(map, BYTES("alice")));
    mdb_map_free(map);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

static int test_map_get_of_a_missing_key_leaves_the_value_untouched(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_map *map = NULL;
    mdb_bytes value;
    bool found = true;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_map, "m", map);
    value.data = UNTOUCHED;
    value.len = 42;
    value.capacity = 43;
    CHECK_OK(mdb_map_get(map, BYTES("nobody"), &value, &found));
    CHECK(!found);
    CHECK(value.data == UNTOUCHED && value.len == 42 && value.capacity == 43);
    mdb_map_free(map);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

static int test_map_empty_keys_and_values_may_be_null(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_map *map = NULL;
    mdb_bytes value = harness_empty_bytes();
    bool found = false;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_map, "m", map);
    CHECK_OK(mdb_map_put(map, NULL, 0, NULL, 0));
    CHECK_OK(mdb_map_get(map, NULL, 0, &value, &found));
    CHECK(found);
    CHECK(value.len == 0 && value.data == NULL);
    mdb_bytes_free(&value);
    CHECK_OK(mdb_map_contains(map, (const uint8_t *)"", 0, &found));
    CHECK(found);
    CHECK_OK(mdb_map_remove(map, NULL, 0));
    CHECK_OK(mdb_map_contains(map, NULL, 0, &found));
    CHECK(!found);
    mdb_map_free(map);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

static int test_map_keeps_binary_keys_and_large_values(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_map *map = NULL;
    mdb_bytes value = harness_empty_bytes();
    bool found = false;
    const uint8_t key[] = {0, 255, 0, 1};
    const uint8_t prefix_of_key[] = {0, 255, 0};
    size_t i, big_len = 256 * 1024;
    uint8_t *big = malloc(big_len);
    CHECK(big != NULL);
    for (i = 0; i < big_len; i++) {
        big[i] = (uint8_t)(i * 7);
    }
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_map, "m", map);
    CHECK_OK(mdb_map_put(map, key, sizeof key, big, big_len));
    CHECK_OK(mdb_map_contains(map, prefix_of_key, sizeof prefix_of_key, &found));
    CHECK(!found);
    COMMIT(db, fork);
    mdb_map_free(map);

    {
        mdb_snapshot *snapshot = NULL;
        CHECK_OK(mdb_snapshot_new(db, &snapshot));
        CHECK_OK(mdb_access_map(mdb_snapshot_as_access(snapshot), NAME("m"), NO_KEY, &map));
        CHECK_OK(mdb_map_get(map, key, sizeof key, &value, &found));
        CHECK(found);
        CHECK_BYTES(value.data, value.len, big, big_len);
        mdb_bytes_free(&value);
        mdb_map_free(map);
        mdb_snapshot_free(snapshot);
    }
    free(big);
    mdb_db_free(db);
    return 0;
}

static int test_map_clear_removes_every_key_and_keeps_the_type(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_map *map = NULL;
    bool found = true;
    uint32_t type = 0;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_map, "m", map);
    CHECK_OK(mdb_map_put(map, BYTES("a"), BYTES("1")));
    CHECK_OK(mdb_map_put(map, BYTES("b"), BYTES("2")));
    CHECK_OK(mdb_map_clear(map));
    CHECK_OK(mdb_map_contains(map, BYTES("a"), &found));
    CHECK(!found);
    CHECK_OK(mdb_map_contains(map, BYTES("b"), &found));
    CHECK(!found);
    mdb_map_free(map);
    CHECK_OK(mdb_access_index_type(mdb_fork_as_access(fork), NAME("m"), NO_KEY, &type, &found));
    CHECK(found && type == MDB_INDEX_MAP);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

static int test_map_invalid_names_are_refused(void) {
    static const char *const names[] = {"", "has space", "sl/ash", "__system", "\xc3\xa9"};
    const char not_utf8[] = {'m', (char)0xC3};
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_map *map = UNTOUCHED;
    size_t i;
    OPEN_FORK(db, fork);
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        CHECK_STATUS(mdb_access_map(mdb_fork_as_access(fork), names[i], strlen(names[i]), NO_KEY,
                                    &map),
                     MDB_ERR_INVALID_ARGUMENT);
    }
    CHECK_STATUS(mdb_access_map(mdb_fork_as_access(fork), not_utf8, sizeof not_utf8, NO_KEY, &map),
                 MDB_ERR_INVALID_ARGUMENT);
    CHECK(strstr(mdb_last_error_message(), "UTF-8") != NULL);
    CHECK(map == UNTOUCHED);
    /* Dots, dashes, underscores and digits are fine; `__` is allowed with a dot. */
    CHECK_OK(mdb_access_map(mdb_fork_as_access(fork), NAME("a.b-c_9"), NO_KEY, &map));
    mdb_map_free(map);
    CHECK_OK(mdb_access_map(mdb_fork_as_access(fork), NAME("__ns.m"), NO_KEY, &map));
    mdb_map_free(map);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

static int test_map_opening_another_index_type_is_wrong_type(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_list *list = NULL;
    mdb_map *map = UNTOUCHED;
    mdb_snapshot *snapshot = NULL;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_list, "l", list);
    CHECK_OK(mdb_list_push(list, BYTES("x")));
    mdb_list_free(list);
    CHECK_STATUS(mdb_access_map(mdb_fork_as_access(fork), NAME("l"), NO_KEY, &map),
                 MDB_ERR_WRONG_TYPE);
    CHECK(map == UNTOUCHED);
    CHECK(strlen(mdb_last_error_message()) > 0);
    COMMIT(db, fork);
    CHECK_OK(mdb_snapshot_new(db, &snapshot));
    CHECK_STATUS(mdb_access_map(mdb_snapshot_as_access(snapshot), NAME("l"), NO_KEY, &map),
                 MDB_ERR_WRONG_TYPE);
    mdb_snapshot_free(snapshot);
    mdb_db_free(db);
    return 0;
}

static int test_map_second_writable_handle_is_borrowed(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_map *map = NULL, *second = UNTOUCHED;
    mdb_access *prefixed = NULL;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_map, "m", map);
    CHECK_STATUS(mdb_access_map(mdb_fork_as_access(fork), NAME("m"), NO_KEY, &second),
                 MDB_ERR_BORROWED);
    CHECK(second == UNTOUCHED);
    /* The same address through a prefixed access is the same index. */
    CHECK_OK(mdb_access_prefixed(mdb_fork_as_access(fork), NAME("p"), &prefixed));
    {
        mdb_map *inner = NULL, *outer = UNTOUCHED;
        CHECK_OK(mdb_access_map(prefixed, NAME("x"), NO_KEY, &inner));
        CHECK_STATUS(mdb_access_map(mdb_fork_as_access(fork), NAME("p.x"), NO_KEY, &outer),
                     MDB_ERR_BORROWED);
        mdb_map_free(inner);
    }
    mdb_access_free(prefixed);
    /* Freed: it opens again. */
    mdb_map_free(map);
    CHECK_OK(mdb_access_map(mdb_fork_as_access(fork), NAME("m"), NO_KEY, &second));
    mdb_map_free(second);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

static int test_map_handles_of_separate_forks_do_not_conflict(void) {
    mdb_db *db = NULL;
    mdb_fork *first = NULL, *second = NULL;
    mdb_map *a = NULL, *b = NULL;
    OPEN_TEMPORARY(db);
    CHECK_OK(mdb_fork_new(db, &first));
    CHECK_OK(mdb_fork_new(db, &second));
    CHECK_OK(mdb_access_map(mdb_fork_as_access(first), NAME("m"), NO_KEY, &a));
    CHECK_OK(mdb_access_map(mdb_fork_as_access(second), NAME("m"), NO_KEY, &b));
    CHECK_OK(mdb_map_put(a, BYTES("k"), BYTES("a")));
    CHECK_OK(mdb_map_put(b, BYTES("k"), BYTES("b")));
    mdb_map_free(a);
    mdb_map_free(b);
    mdb_fork_free(first);
    mdb_fork_free(second);
    mdb_db_free(db);
    return 0;
}

static int test_map_rejects_null_arguments_and_writes_nothing(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_map *map = NULL;
    mdb_bytes value;
    bool found = false;
    mdb_iter *iter = UNTOUCHED;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_map, "m", map);
    value.data = UNTOUCHED;
    value.len = 1;
    value.capacity = 1;
    CHECK_OK(mdb_map_put(map, BYTES("k"), BYTES("v")));
    CHECK_STATUS(mdb_map_get(map, NULL, 1, &value, &found), MDB_ERR_INVALID_ARGUMENT);
    CHECK(strstr(mdb_last_error_message(), "key") != NULL);
    CHECK_STATUS(mdb_map_get(map, BYTES("k"), NULL, &found), MDB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mdb_map_get(map, BYTES("k"), &value, NULL), MDB_ERR_INVALID_ARGUMENT);
    CHECK(value.data == UNTOUCHED && !found);
    CHECK_STATUS(mdb_map_put(map, NULL, 3, BYTES("v")), MDB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mdb_map_put(map, BYTES("k"), NULL, 5), MDB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mdb_map_remove(map, NULL, 1), MDB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mdb_map_contains(map, BYTES("k"), NULL), MDB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mdb_map_iter(map, NULL, 2, &iter), MDB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mdb_map_iter(map, NULL, 0, NULL), MDB_ERR_INVALID_ARGUMENT);
    CHECK(iter == UNTOUCHED);
    /* The refused remove removed nothing. */
    CHECK_OK(mdb_map_contains(map, BYTES("k"), &found));
    CHECK(found);
    mdb_map_free(map);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

int main(void) {
    RUN_TEST(test_map_put_get_contains_remove);
    RUN_TEST(test_map_get_of_a_missing_key_leaves_the_value_untouched);
    RUN_TEST(test_map_empty_keys_and_values_may_be_null);
    RUN_TEST(test_map_keeps_binary_keys_and_large_values);
    RUN_TEST(test_map_clear_removes_every_key_and_keeps_the_type);
    RUN_TEST(test_map_invalid_names_are_refused);
    RUN_TEST(test_map_opening_another_index_type_is_wrong_type);
    RUN_TEST(test_map_second_writable_handle_is_borrowed);
    RUN_TEST(test_map_handles_of_separate_forks_do_not_conflict);
    RUN_TEST(test_map_rejects_null_arguments_and_writes_nothing);
    return HARNESS_SUMMARY();
}
