/*
 * mdb_key_set: insert, contains, remove and clear, through writable and read-only accesses.
 */
#include "harness.h"

static int test_key_set_insert_contains_remove(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_key_set *set = NULL;
    bool found = true;
    const uint8_t binary[] = {0, 0, 255};
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_key_set, "ks", set);
    CHECK_OK(mdb_key_set_contains(set, BYTES("a"), &found));
    CHECK(!found);
    CHECK_OK(mdb_key_set_insert(set, BYTES("a")));
    CHECK_OK(mdb_key_set_insert(set, BYTES("a")));
    CHECK_OK(mdb_key_set_insert(set, binary, sizeof binary));
    CHECK_OK(mdb_key_set_insert(set, NULL, 0));
    CHECK_OK(mdb_key_set_contains(set, BYTES("a"), &found));
    CHECK(found);
    CHECK_OK(mdb_key_set_contains(set, binary, sizeof binary, &found));
    CHECK(found);
    CHECK_OK(mdb_key_set_contains(set, binary, 2, &found));
    CHECK(!found);
    CHECK_OK(mdb_key_set_contains(set, NULL, 0, &found));
    CHECK(found);
    CHECK_OK(mdb_key_set_remove(set, BYTES("a")));
    CHECK_OK(mdb_key_set_remove(set, BYTES("a")));
    CHECK_OK(mdb_key_set_contains(set, BYTES("a"), &found));
    CHECK(!found);
    mdb_key_set_free(set);
    COMMIT(db, fork);
    mdb_db_free(db);
    return 0;
}

static int test_key_set_clear_empties_it(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_key_set *set = NULL;
    bool found = true;
    uint32_t type = 0;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_key_set, "ks", set);
    CHECK_OK(mdb_key_set_insert(set, BYTES("a")));
    CHECK_OK(mdb_key_set_insert(set, BYTES("b")));
    CHECK_OK(mdb_key_set_clear(set));
    CHECK_OK(mdb_key_set_contains(set, BYTES("a"), &found));
    CHECK(!found);
    mdb_key_set_free(set);
    CHECK_OK(mdb_access_index_type(mdb_fork_as_access(fork), NAME("ks"), NO_KEY, &type, &found));
    CHECK(found && type == MDB_INDEX_KEY_SET);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

static int test_key_set_from_a_snapshot_is_read_only(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_key_set *set = NULL;
    mdb_snapshot *snapshot = NULL;
    bool found = false;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_key_set, "ks", set);
    CHECK_OK(mdb_key_set_insert(set, BYTES("a")));
    mdb_key_set_free(set);
    COMMIT(db, fork);
    CHECK_OK(mdb_snapshot_new(db, &snapshot));
    CHECK_OK(mdb_access_key_set(mdb_snapshot_as_access(snapshot), NAME("ks"), NO_KEY, &set));
    CHECK_OK(mdb_key_set_contains(set, BYTES("a"), &found));
    CHECK(found);
    CHECK_STATUS(mdb_key_set_insert(set, BYTES("b")), MDB_ERR_READONLY);
    CHECK_STATUS(mdb_key_set_remove(set, BYTES("a")), MDB_ERR_READONLY);
    CHECK_STATUS(mdb_key_set_clear(set), MDB_ERR_READONLY);
    CHECK_OK(mdb_key_set_contains(set, BYTES("a"), &found));
    CHECK(found);
    mdb_key_set_free(set);
    mdb_snapshot_free(snapshot);
    mdb_db_free(db);
    return 0;
}

static int test_key_set_wrong_type_and_second_writer_are_refused(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_key_set *set = NULL, *again = UNTOUCHED;
    mdb_map *map = UNTOUCHED;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_key_set, "ks", set);
    CHECK_STATUS(mdb_access_key_set(mdb_fork_as_access(fork), NAME("ks"), NO_KEY, &again),
                 MDB_ERR_BORROWED);
    CHECK_STATUS(mdb_access_map(mdb_fork_as_access(fork), NAME("ks"), NO_KEY, &map),
                 MDB_ERR_WRONG_TYPE);
    CHECK(again == UNTOUCHED && map == UNTOUCHED);
    mdb_key_set_free(set);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

int main(void) {
    RUN_TEST(test_key_set_insert_contains_remove);
    RUN_TEST(test_key_set_clear_empties_it);
    RUN_TEST(test_key_set_from_a_snapshot_is_read_only);
    RUN_TEST(test_key_set_wrong_type_and_second_writer_are_refused);
    return HARNESS_SUMMARY();
}
