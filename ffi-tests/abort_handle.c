/*
 * mdb_abort_handle: an explicit abort, free (which aborts) versus forget (which does not),
 * aborting from another thread, is_finished, and any order of frees with the helper.
 */
#include "harness.h"

#include <pthread.h>

/* A helper over a fresh temporary database, with its abort handle, that wrote
 * wallets.k = v into its new data (not merged yet). */
static int start(mdb_db **db, mdb_migration_helper **helper, mdb_abort_handle **abort_handle) {
    mdb_access *new_data = NULL;
    mdb_map *map = NULL;
    CHECK_OK(mdb_db_open_temporary(db));
    CHECK_OK(mdb_migration_helper_new_with_abort(*db, NAME("ns"), helper, abort_handle));
    CHECK_OK(mdb_migration_helper_new_data(*helper, &new_data));
    CHECK_OK(mdb_access_map(new_data, NAME("wallets"), NO_KEY, &map));
    CHECK_OK(mdb_map_put(map, BYTES("k"), BYTES("v")));
    mdb_map_free(map);
    mdb_access_free(new_data);
    return 0;
}

static bool is_finished(const mdb_abort_handle *handle) {
    bool finished = false;
    if (mdb_abort_handle_is_finished(handle, &finished) != MDB_OK) {
        printf("  mdb_abort_handle_is_finished failed: %s\n", mdb_last_error_message());
    }
    return finished;
}

static int test_abort_handle_abort_makes_the_next_merge_write_nothing(void) {
    mdb_db *db = NULL;
    mdb_migration_helper *helper = NULL;
    mdb_abort_handle *abort_handle = NULL;
    mdb_access *access = UNTOUCHED;
    CHECK(start(&db, &helper, &abort_handle) == 0);
    CHECK_OK(mdb_abort_handle_abort(abort_handle));
    CHECK_OK(mdb_abort_handle_abort(abort_handle));
    CHECK_STATUS(mdb_migration_helper_merge(helper), MDB_ERR_ABORTED);
    CHECK(strlen(mdb_last_error_message()) > 0);
    CHECK_MIGRATED_VALUE(db, "ns", "wallets", "k", NULL);
    /* The helper is unusable now. */
    CHECK_STATUS(mdb_migration_helper_merge(helper), MDB_ERR_STALE_HANDLE);
    CHECK_STATUS(mdb_migration_helper_new_data(helper, &access), MDB_ERR_STALE_HANDLE);
    CHECK(access == UNTOUCHED);
    /* Aborting after that does nothing more. */
    CHECK_OK(mdb_abort_handle_abort(abort_handle));
    mdb_migration_helper_free(helper);
    mdb_abort_handle_free(abort_handle);
    mdb_db_free(db);
    return 0;
}

static int test_abort_handle_abort_makes_finish_write_nothing(void) {
    mdb_db *db = NULL;
    mdb_migration_helper *helper = NULL;
    mdb_abort_handle *abort_handle = NULL;
    CHECK(start(&db, &helper, &abort_handle) == 0);
    CHECK_OK(mdb_abort_handle_abort(abort_handle));
    CHECK_STATUS(mdb_migration_helper_finish(helper), MDB_ERR_ABORTED);
    CHECK_MIGRATED_VALUE(db, "ns", "wallets", "k", NULL);
    /* Finishing ends the helper even when it fails, before its handle is freed. */
    CHECK(is_finished(abort_handle));
    mdb_abort_handle_free(abort_handle);
    mdb_migration_helper_free(helper);
    mdb_db_free(db);
    return 0;
}

static int test_abort_handle_free_aborts_the_migration(void) {
    mdb_db *db = NULL;
    mdb_migration_helper *helper = NULL;
    mdb_abort_handle *abort_handle = NULL;
    CHECK(start(&db, &helper, &abort_handle) == 0);
    mdb_abort_handle_free(abort_handle);
    CHECK_STATUS(mdb_migration_helper_finish(helper), MDB_ERR_ABORTED);
    CHECK_MIGRATED_VALUE(db, "ns", "wallets", "k", NULL);
    mdb_migration_helper_free(helper);
    mdb_db_free(db);
    return 0;
}

static int test_abort_handle_forget_lets_the_migration_go_on(void) {
    mdb_db *db = NULL;
    mdb_migration_helper *helper = NULL;
    mdb_abort_handle *abort_handle = NULL;
    CHECK(start(&db, &helper, &abort_handle) == 0);
    mdb_abort_handle_forget(abort_handle);
    CHECK_OK(mdb_migration_helper_merge(helper));
    CHECK_OK(mdb_migration_helper_finish(helper));
    CHECK_MIGRATED_VALUE(db, "ns", "wallets", "k", "v");
    mdb_migration_helper_free(helper);
    mdb_db_free(db);
    return 0;
}

static int test_abort_handle_is_finished_once_the_helper_is_freed(void) {
    mdb_db *db = NULL;
    mdb_migration_helper *helper = NULL;
    mdb_abort_handle *abort_handle = NULL;
    mdb_access *view = NULL;
    CHECK(start(&db, &helper, &abort_handle) == 0);
    CHECK(!is_finished(abort_handle));
    CHECK_OK(mdb_migration_helper_old_data(helper, &view));
    /* Freed first, but its view keeps it alive. */
    mdb_migration_helper_free(helper);
    CHECK(!is_finished(abort_handle));
    mdb_access_free(view);
    CHECK(is_finished(abort_handle));
    /* A gone helper: aborting does nothing, and is harmless. */
    CHECK_OK(mdb_abort_handle_abort(abort_handle));
    mdb_abort_handle_free(abort_handle);
    mdb_db_free(db);
    return 0;
}

/* As in Rust, where a helper whose merge failed lives on until it is dropped: unusable (even
 * to finish it), but not gone until its handles are freed. */
static int test_abort_handle_is_not_finished_by_an_aborted_merge(void) {
    mdb_db *db = NULL;
    mdb_migration_helper *helper = NULL;
    mdb_abort_handle *abort_handle = NULL;
    mdb_access *view = NULL;
    CHECK(start(&db, &helper, &abort_handle) == 0);
    CHECK_OK(mdb_migration_helper_new_data(helper, &view));
    CHECK_OK(mdb_abort_handle_abort(abort_handle));
    CHECK_STATUS(mdb_migration_helper_merge(helper), MDB_ERR_ABORTED);
    CHECK(!is_finished(abort_handle));
    CHECK_STATUS(mdb_migration_helper_finish(helper), MDB_ERR_STALE_HANDLE);
    CHECK(!is_finished(abort_handle));
    mdb_migration_helper_free(helper);
    /* Its (stale) view is a handle of it too. */
    CHECK(!is_finished(abort_handle));
    mdb_access_free(view);
    CHECK(is_finished(abort_handle));
    mdb_abort_handle_free(abort_handle);
    mdb_db_free(db);
    return 0;
}

/* As in Rust, where `MigrationHelper::finish` consumes the helper: finished at once, even
 * while its (now stale) handles are not freed yet. */
static int test_abort_handle_is_finished_as_soon_as_finish_consumes_the_helper(void) {
    mdb_db *db = NULL;
    mdb_migration_helper *helper = NULL;
    mdb_abort_handle *abort_handle = NULL;
    mdb_access *view = NULL;
    CHECK(start(&db, &helper, &abort_handle) == 0);
    CHECK_OK(mdb_migration_helper_new_data(helper, &view));
    CHECK(!is_finished(abort_handle));
    CHECK_OK(mdb_migration_helper_merge(helper));
    /* Merged, not finished: the helper goes on. */
    CHECK(!is_finished(abort_handle));
    CHECK_OK(mdb_migration_helper_finish(helper));
    CHECK(is_finished(abort_handle));
    mdb_access_free(view);
    mdb_migration_helper_free(helper);
    CHECK(is_finished(abort_handle));
    mdb_abort_handle_forget(abort_handle);
    mdb_db_free(db);
    return 0;
}

typedef struct {
    mdb_abort_handle *handle;
    mdb_status status;
} abort_request;

static void *abort_from_another_thread(void *arg) {
    abort_request *request = arg;
    request->status = mdb_abort_handle_abort(request->handle);
    return NULL;
}

static int test_abort_handle_aborts_from_another_thread(void) {
    mdb_db *db = NULL;
    mdb_migration_helper *helper = NULL;
    mdb_abort_handle *abort_handle = NULL;
    pthread_t thread;
    abort_request request;
    CHECK(start(&db, &helper, &abort_handle) == 0);
    request.handle = abort_handle;
    request.status = MDB_ERR_PANIC;
    CHECK(pthread_create(&thread, NULL, abort_from_another_thread, &request) == 0);
    CHECK(pthread_join(thread, NULL) == 0);
    CHECK_OK(request.status);
    CHECK_STATUS(mdb_migration_helper_merge(helper), MDB_ERR_ABORTED);
    CHECK_MIGRATED_VALUE(db, "ns", "wallets", "k", NULL);
    mdb_migration_helper_free(helper);
    mdb_abort_handle_free(abort_handle);
    mdb_db_free(db);
    return 0;
}

static void *free_abort_handle(void *arg) {
    mdb_abort_handle_free(arg);
    return NULL;
}

static int test_abort_handle_freed_on_another_thread_while_the_helper_works(void) {
    mdb_db *db = NULL;
    mdb_migration_helper *helper = NULL;
    mdb_abort_handle *abort_handle = NULL;
    pthread_t thread;
    CHECK(start(&db, &helper, &abort_handle) == 0);
    CHECK(pthread_create(&thread, NULL, free_abort_handle, abort_handle) == 0);
    CHECK(pthread_join(thread, NULL) == 0);
    CHECK_STATUS(mdb_migration_helper_merge(helper), MDB_ERR_ABORTED);
    mdb_migration_helper_free(helper);
    mdb_db_free(db);
    return 0;
}

/* The loop aborts itself in its second round: that round writes nothing, the first stays. */
static mdb_status abort_in_round_two(mdb_migration_helper *helper, mdb_persistent_iters *iters,
                                     void *user_data) {
    mdb_abort_handle *abort_handle = *(mdb_abort_handle **)user_data;
    static int round = 0;
    mdb_access *new_data = NULL, *old_data = NULL;
    mdb_map *map = NULL, *old_map = NULL;
    mdb_iter *iter = NULL;
    mdb_status status;
    harness_step step;
    char key[16];
    round++;
    if (round == 2) {
        status = mdb_abort_handle_abort(abort_handle);
        if (status != MDB_OK) {
            return status;
        }
    }
    if ((status = mdb_migration_helper_new_data(helper, &new_data)) != MDB_OK ||
        (status = mdb_migration_helper_old_data(helper, &old_data)) != MDB_OK ||
        (status = mdb_access_map(new_data, NAME("wallets"), NO_KEY, &map)) != MDB_OK ||
        (status = mdb_access_map(old_data, NAME("wallets"), NO_KEY, &old_map)) != MDB_OK ||
        (status = mdb_persistent_iters_new_map(iters, NAME("pos"), old_map, &iter)) != MDB_OK ||
        (status = harness_next(iter, &step)) != MDB_OK) {
        return status;
    }
    snprintf(key, sizeof key, "round%d", round);
    status = mdb_map_put(map, (const uint8_t *)key, strlen(key), BYTES("x"));
    mdb_iter_free(iter);
    mdb_map_free(map);
    mdb_map_free(old_map);
    mdb_access_free(new_data);
    mdb_access_free(old_data);
    return status;
}

static int test_abort_handle_abort_inside_the_loop_stops_it_at_the_next_merge(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_map *map = NULL;
    mdb_migration_helper *helper = NULL;
    mdb_abort_handle *abort_handle = NULL;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_map, "ns.wallets", map);
    CHECK_OK(mdb_map_put(map, BYTES("a"), BYTES("1")));
    CHECK_OK(mdb_map_put(map, BYTES("b"), BYTES("2")));
    CHECK_OK(mdb_map_put(map, BYTES("c"), BYTES("3")));
    mdb_map_free(map);
    COMMIT(db, fork);
    CHECK_OK(mdb_migration_helper_new_with_abort(db, NAME("ns"), &helper, &abort_handle));
    CHECK_STATUS(mdb_migration_helper_iter_loop(helper, abort_in_round_two, &abort_handle),
                 MDB_ERR_ABORTED);
    CHECK_STATUS(mdb_migration_helper_merge(helper), MDB_ERR_STALE_HANDLE);
    CHECK_MIGRATED_VALUE(db, "ns", "wallets", "round1", "x");
    CHECK_MIGRATED_VALUE(db, "ns", "wallets", "round2", NULL);
    /* Unusable after the aborted round, but not gone until it is freed. */
    CHECK(!is_finished(abort_handle));
    mdb_migration_helper_free(helper);
    CHECK(is_finished(abort_handle));
    mdb_abort_handle_free(abort_handle);
    mdb_db_free(db);
    return 0;
}

static int test_abort_handle_outlives_its_helper_and_database(void) {
    mdb_db *db = NULL;
    mdb_migration_helper *helper = NULL;
    mdb_abort_handle *abort_handle = NULL;
    CHECK(start(&db, &helper, &abort_handle) == 0);
    mdb_db_free(db);
    mdb_migration_helper_free(helper);
    CHECK(is_finished(abort_handle));
    CHECK_OK(mdb_abort_handle_abort(abort_handle));
    mdb_abort_handle_free(abort_handle);
    return 0;
}

int main(void) {
    RUN_TEST(test_abort_handle_abort_makes_the_next_merge_write_nothing);
    RUN_TEST(test_abort_handle_abort_makes_finish_write_nothing);
    RUN_TEST(test_abort_handle_free_aborts_the_migration);
    RUN_TEST(test_abort_handle_forget_lets_the_migration_go_on);
    RUN_TEST(test_abort_handle_is_finished_once_the_helper_is_freed);
    RUN_TEST(test_abort_handle_is_not_finished_by_an_aborted_merge);
    RUN_TEST(test_abort_handle_is_finished_as_soon_as_finish_consumes_the_helper);
    RUN_TEST(test_abort_handle_aborts_from_another_thread);
    RUN_TEST(test_abort_handle_freed_on_another_thread_while_the_helper_works);
    RUN_TEST(test_abort_handle_abort_inside_the_loop_stops_it_at_the_next_merge);
    RUN_TEST(test_abort_handle_outlives_its_helper_and_database);
    return HARNESS_SUMMARY();
}
