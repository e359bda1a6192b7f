/*
 * What follows a panic inside the library, made with mdb_fault_injection_arm_panic (built
 * against a library with the cargo feature `fault-injection`, METALDB_FAULT_INJECTION
 * defined): the call returns MDB_ERR_PANIC with a message, later calls on its family return
 * MDB_ERR_POISONED, other families and the database keep working, and every handle can
 * still be freed without a leak.
 */
#include "harness.h"

/* Checks that `call` panics: MDB_ERR_PANIC, with a message that says so. */
#define CHECK_PANICS(call)                                                              \
    do {                                                                                \
        CHECK_STATUS((call), MDB_ERR_PANIC);                                            \
        CHECK(strstr(mdb_last_error_message(), "panic injected") != NULL);              \
    } while (0)

/* Checks that `call` finds its family poisoned, and says so. */
#define CHECK_POISONED(call)                                                            \
    do {                                                                                \
        CHECK_STATUS((call), MDB_ERR_POISONED);                                         \
        CHECK(strlen(mdb_last_error_message()) > 0);                                    \
    } while (0)

static int test_fault_injection_panic_poisons_every_handle_of_its_fork_family(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL, *other = NULL;
    mdb_map *map = NULL, *other_map = NULL, *again = UNTOUCHED;
    mdb_list *list = NULL;
    mdb_access *readonly = NULL, *prefixed = UNTOUCHED;
    mdb_iter *iter = NULL;
    mdb_patch *patch = UNTOUCHED;
    mdb_bytes value = harness_empty_bytes();
    harness_step step;
    uint64_t len = 0;
    bool found = false;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_map, "m", map);
    CHECK_OK(mdb_access_list(mdb_fork_as_access(fork), NAME("l"), NO_KEY, &list));
    CHECK_OK(mdb_fork_readonly(fork, &readonly));
    CHECK_OK(mdb_map_put(map, BYTES("a"), BYTES("1")));
    CHECK_OK(mdb_list_iter(list, 0, &iter));
    CHECK_OK(mdb_fork_new(db, &other));
    CHECK_OK(mdb_access_map(mdb_fork_as_access(other), NAME("m"), NO_KEY, &other_map));

    mdb_fault_injection_arm_panic();
    CHECK_PANICS(mdb_map_put(map, BYTES("b"), BYTES("2")));

    /* Every handle of the family, and the fork itself, is poisoned. */
    CHECK_POISONED(mdb_map_get(map, BYTES("a"), &value, &found));
    CHECK_POISONED(mdb_map_put(map, BYTES("c"), BYTES("3")));
    CHECK_POISONED(mdb_list_len(list, &len));
    CHECK_POISONED(harness_next(iter, &step));
    CHECK_POISONED(mdb_access_map(readonly, NAME("m"), NO_KEY, &again));
    CHECK_POISONED(mdb_access_map(mdb_fork_as_access(fork), NAME("x"), NO_KEY, &again));
    CHECK_POISONED(mdb_access_prefixed(mdb_fork_as_access(fork), NAME("p"), &prefixed));
    CHECK_POISONED(mdb_fork_flush(fork));
    CHECK_POISONED(mdb_fork_into_patch(fork, &patch));
    CHECK(again == UNTOUCHED && prefixed == UNTOUCHED && patch == UNTOUCHED);
    CHECK(value.data == NULL);

    /* Another fork of the same database is another family: it works, and merges. */
    CHECK_OK(mdb_map_put(other_map, BYTES("b"), BYTES("2")));
    mdb_map_free(other_map);
    COMMIT(db, other);
    CHECK_DB_VALUE(db, "m", "b", "2");
    CHECK_DB_VALUE(db, "m", "a", NULL);

    mdb_iter_free(iter);
    mdb_list_free(list);
    mdb_map_free(map);
    mdb_access_free(readonly);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

static int test_fault_injection_panic_poisons_a_snapshot_family(void) {
    mdb_db *db = NULL;
    mdb_snapshot *snapshot = NULL;
    mdb_map *map = NULL, *again = UNTOUCHED;
    bool found = false;
    OPEN_TEMPORARY(db);
    CHECK(harness_put(db, "m", "k", "v") == 0);
    CHECK_OK(mdb_snapshot_new(db, &snapshot));
    CHECK_OK(mdb_access_map(mdb_snapshot_as_access(snapshot), NAME("m"), NO_KEY, &map));
    mdb_fault_injection_arm_panic();
    CHECK_PANICS(mdb_map_contains(map, BYTES("k"), &found));
    CHECK_POISONED(mdb_map_contains(map, BYTES("k"), &found));
    CHECK_POISONED(mdb_access_map(mdb_snapshot_as_access(snapshot), NAME("m"), NO_KEY, &again));
    CHECK(again == UNTOUCHED);
    /* Other snapshots, and writes, go on. */
    CHECK_DB_VALUE(db, "m", "k", "v");
    CHECK(harness_put(db, "m", "k", "w") == 0);
    CHECK_DB_VALUE(db, "m", "k", "w");
    mdb_map_free(map);
    mdb_snapshot_free(snapshot);
    mdb_db_free(db);
    return 0;
}

static int test_fault_injection_poisoned_patch_cannot_be_merged_and_writes_nothing(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_map *map = NULL, *read = UNTOUCHED;
    mdb_patch *patch = NULL;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_map, "m", map);
    CHECK_OK(mdb_map_put(map, BYTES("k"), BYTES("from the patch")));
    mdb_map_free(map);
    CHECK_OK(mdb_fork_into_patch(fork, &patch));
    mdb_fork_free(fork);
    mdb_fault_injection_arm_panic();
    CHECK_PANICS(mdb_access_map(mdb_patch_as_access(patch), NAME("m"), NO_KEY, &read));
    CHECK(read == UNTOUCHED);
    CHECK_POISONED(mdb_db_merge(db, patch));
    CHECK_DB_VALUE(db, "m", "k", NULL);
    mdb_patch_free(patch);
    CHECK(harness_put(db, "m", "k", "v") == 0);
    CHECK_DB_VALUE(db, "m", "k", "v");
    mdb_db_free(db);
    return 0;
}

static int test_fault_injection_poisoned_helper_is_gone_once_freed(void) {
    mdb_db *db = NULL;
    mdb_migration_helper *helper = NULL;
    mdb_abort_handle *abort_handle = NULL;
    mdb_access *new_data = NULL, *scratchpad = UNTOUCHED;
    mdb_map *map = NULL;
    bool finished = true;
    OPEN_TEMPORARY(db);
    CHECK_OK(mdb_migration_helper_new_with_abort(db, NAME("ns"), &helper, &abort_handle));
    CHECK_OK(mdb_migration_helper_new_data(helper, &new_data));
    CHECK_OK(mdb_access_map(new_data, NAME("m"), NO_KEY, &map));
    mdb_fault_injection_arm_panic();
    CHECK_PANICS(mdb_map_put(map, BYTES("k"), BYTES("v")));
    CHECK_POISONED(mdb_migration_helper_scratchpad(helper, &scratchpad));
    CHECK_POISONED(mdb_migration_helper_merge(helper));
    CHECK_POISONED(mdb_migration_helper_finish(helper));
    CHECK(scratchpad == UNTOUCHED);
    /* Nothing was merged; the abort handle, outside the family, works. */
    CHECK_MIGRATED_VALUE(db, "ns", "m", "k", NULL);
    CHECK_OK(mdb_abort_handle_is_finished(abort_handle, &finished));
    CHECK(!finished);
    mdb_map_free(map);
    mdb_access_free(new_data);
    mdb_migration_helper_free(helper);
    CHECK_OK(mdb_abort_handle_is_finished(abort_handle, &finished));
    CHECK(finished);
    mdb_abort_handle_free(abort_handle);
    mdb_db_free(db);
    return 0;
}

/* The armed panic fires at the first call that locks a family, not before. */
static int test_fault_injection_panic_waits_for_a_call_that_locks_a_family(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_snapshot *snapshot = NULL;
    mdb_map *map = UNTOUCHED;
    mdb_fault_injection_arm_panic();
    OPEN_FORK(db, fork);
    CHECK_OK(mdb_snapshot_new(db, &snapshot));
    mdb_snapshot_free(snapshot);
    CHECK_PANICS(mdb_access_map(mdb_fork_as_access(fork), NAME("m"), NO_KEY, &map));
    CHECK(map == UNTOUCHED);
    /* One panic per arming. */
    CHECK_DB_VALUE(db, "m", "k", NULL);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

int main(void) {
    RUN_TEST(test_fault_injection_panic_poisons_every_handle_of_its_fork_family);
    RUN_TEST(test_fault_injection_panic_poisons_a_snapshot_family);
    RUN_TEST(test_fault_injection_poisoned_patch_cannot_be_merged_and_writes_nothing);
    RUN_TEST(test_fault_injection_poisoned_helper_is_gone_once_freed);
    RUN_TEST(test_fault_injection_panic_waits_for_a_call_that_locks_a_family);
    return HARNESS_SUMMARY();
}
