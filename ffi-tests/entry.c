/*
 * mdb_entry: one optional value; set, get, exists, remove, take and swap.
 */
#include "harness.h"

static int test_entry_starts_unset_and_holds_one_value(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_entry *entry = NULL;
    mdb_bytes value;
    bool found = true;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_entry, "e", entry);
    value.data = UNTOUCHED;
    value.len = 3;
    value.capacity = 3;
    CHECK_OK(mdb_entry_exists(entry, &found));
    CHECK(!found);
    found = true;
    CHECK_OK(mdb_entry_get(entry, &value, &found));
    CHECK(!found && value.data == UNTOUCHED);
    CHECK_OK(mdb_entry_set(entry, BYTES("one")));
    CHECK_OK(mdb_entry_set(entry, BYTES("two")));
    value = harness_empty_bytes();
    CHECK_OK(mdb_entry_get(entry, &value, &found));
    CHECK(found && BYTES_EQ(value, "two"));
    mdb_bytes_free(&value);
    CHECK_OK(mdb_entry_exists(entry, &found));
    CHECK(found);
    mdb_entry_free(entry);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

static int test_entry_empty_value_counts_as_set(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_entry *entry = NULL;
    mdb_bytes value = harness_empty_bytes();
    bool found = false;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_entry, "e", entry);
    CHECK_OK(mdb_entry_set(entry, NULL, 0));
    CHECK_OK(mdb_entry_exists(entry, &found));
    CHECK(found);
    CHECK_OK(mdb_entry_get(entry, &value, &found));
    CHECK(found && value.len == 0);
    mdb_bytes_free(&value);
    mdb_entry_free(entry);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

static int test_entry_remove_take_and_swap(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_entry *entry = NULL;
    mdb_bytes value = harness_empty_bytes();
    bool found = true;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_entry, "e", entry);
    CHECK_OK(mdb_entry_remove(entry));
    CHECK_OK(mdb_entry_swap(entry, BYTES("first"), &value, &found));
    CHECK(!found && value.data == NULL);
    CHECK_OK(mdb_entry_swap(entry, BYTES("second"), &value, &found));
    CHECK(found && BYTES_EQ(value, "first"));
    mdb_bytes_free(&value);
    CHECK_OK(mdb_entry_take(entry, &value, &found));
    CHECK(found && BYTES_EQ(value, "second"));
    mdb_bytes_free(&value);
    CHECK_OK(mdb_entry_take(entry, &value, &found));
    CHECK(!found);
    CHECK_OK(mdb_entry_set(entry, BYTES("x")));
    CHECK_OK(mdb_entry_remove(entry));
    CHECK_OK(mdb_entry_exists(entry, &found));
    CHECK(!found);
    mdb_entry_free(entry);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

static int test_entry_value_survives_a_merge_and_is_read_only_in_a_snapshot(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_entry *entry = NULL;
    mdb_snapshot *snapshot = NULL;
    mdb_bytes value = harness_empty_bytes();
    bool found = false;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_entry, "e", entry);
    CHECK_OK(mdb_entry_set(entry, BYTES("kept")));
    mdb_entry_free(entry);
    COMMIT(db, fork);
    CHECK_OK(mdb_snapshot_new(db, &snapshot));
    CHECK_OK(mdb_access_entry(mdb_snapshot_as_access(snapshot), NAME("e"), NO_KEY, &entry));
    CHECK_OK(mdb_entry_get(entry, &value, &found));
    CHECK(found && BYTES_EQ(value, "kept"));
    mdb_bytes_free(&value);
    CHECK_STATUS(mdb_entry_set(entry, BYTES("x")), MDB_ERR_READONLY);
    CHECK_STATUS(mdb_entry_remove(entry), MDB_ERR_READONLY);
    CHECK_STATUS(mdb_entry_take(entry, &value, &found), MDB_ERR_READONLY);
    CHECK_STATUS(mdb_entry_swap(entry, BYTES("x"), &value, &found), MDB_ERR_READONLY);
    CHECK(value.data == NULL);
    mdb_entry_free(entry);
    /* A missing entry read through a snapshot is unset, and is not created. */
    CHECK_OK(mdb_access_entry(mdb_snapshot_as_access(snapshot), NAME("missing"), NO_KEY, &entry));
    CHECK_OK(mdb_entry_exists(entry, &found));
    CHECK(!found);
    mdb_entry_free(entry);
    mdb_snapshot_free(snapshot);
    mdb_db_free(db);
    return 0;
}

static int test_entry_wrong_type_and_second_writer_are_refused(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_entry *entry = NULL, *again = UNTOUCHED;
    mdb_list *list = UNTOUCHED;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_entry, "e", entry);
    CHECK_STATUS(mdb_access_entry(mdb_fork_as_access(fork), NAME("e"), NO_KEY, &again),
                 MDB_ERR_BORROWED);
    CHECK_STATUS(mdb_access_list(mdb_fork_as_access(fork), NAME("e"), NO_KEY, &list),
                 MDB_ERR_WRONG_TYPE);
    CHECK(again == UNTOUCHED && list == UNTOUCHED);
    mdb_entry_free(entry);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

int main(void) {
    RUN_TEST(test_entry_starts_unset_and_holds_one_value);
    RUN_TEST(test_entry_empty_value_counts_as_set);
    RUN_TEST(test_entry_remove_take_and_swap);
    RUN_TEST(test_entry_value_survives_a_merge_and_is_read_only_in_a_snapshot);
    RUN_TEST(test_entry_wrong_type_and_second_writer_are_refused);
    return HARNESS_SUMMARY();
}
