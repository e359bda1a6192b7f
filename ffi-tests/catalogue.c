/*
 * The catalogue (mdb_catalogue_*) and read-only opens (mdb_db_options.read_only).
 */
#include "harness.h"

static int test_catalogue_lists_each_index_once_with_its_name_and_type(void) {
    char dir[256], path[300];
    mdb_db *db = NULL;
    mdb_catalogue *catalogue = NULL;
    mdb_catalogue_record record = {.struct_size = sizeof(mdb_catalogue_record)};
    bool found = false;
    int seen_a = 0, seen_b = 0;
    CHECK(harness_make_temp_dir(dir) == 0);
    snprintf(path, sizeof path, "%s/db", dir);
    CHECK_OK(mdb_db_open(path, NULL, &db));
    CHECK(harness_put(db, "a", "k", "v") == 0);
    CHECK(harness_put(db, "b.c", "k", "v") == 0);
    CHECK_OK(mdb_catalogue_new(db, &catalogue));
    for (;;) {
        CHECK_OK(mdb_catalogue_next(catalogue, &record, &found));
        if (!found) {
            break;
        }
        CHECK(record.index_type == MDB_INDEX_MAP);
        CHECK(!record.in_migration && !record.has_group_key && !record.has_len);
        CHECK(record.identifier > 0);
        if (record.name_len == 1 && memcmp(record.name, "a", 1) == 0) {
            seen_a++;
        } else if (record.name_len == 3 && memcmp(record.name, "b.c", 3) == 0) {
            seen_b++;
        }
    }
    CHECK(seen_a == 1 && seen_b == 1);
    /* At the end it stays at the end. */
    CHECK_OK(mdb_catalogue_next(catalogue, &record, &found));
    CHECK(!found);
    mdb_catalogue_free(catalogue);
    mdb_db_free(db);
    harness_remove_tree(dir);
    return 0;
}

static int test_read_only_open_works_beside_a_writer_and_refuses_merges_and_checkpoints(void) {
    char dir[256], path[300], copy[300];
    mdb_db *writer = NULL, *reader = NULL;
    mdb_db_options options;
    mdb_fork *fork = NULL;
    mdb_patch *patch = NULL;
    char value[16];
    bool found = false;
    struct stat info;
    CHECK(harness_make_temp_dir(dir) == 0);
    snprintf(path, sizeof path, "%s/db", dir);
    snprintf(copy, sizeof copy, "%s/copy", dir);
    CHECK_OK(mdb_db_open(path, NULL, &writer));
    CHECK(harness_put(writer, "m", "k", "v") == 0);
    CHECK_OK(mdb_db_options_init(&options, sizeof options));
    CHECK(!options.read_only);
    options.read_only = true;
    CHECK_OK(mdb_db_open(path, &options, &reader));
    CHECK(harness_get(reader, NULL, "m", "k", value, sizeof value, &found) == 0);
    CHECK(found && strcmp(value, "v") == 0);
    CHECK_OK(mdb_fork_new(reader, &fork));
    CHECK_OK(mdb_fork_into_patch(fork, &patch));
    CHECK_STATUS(mdb_db_merge(reader, patch), MDB_ERR_STORAGE);
    CHECK(strstr(mdb_last_error_message(), "read-only") != NULL);
    CHECK_STATUS(mdb_db_checkpoint(reader, copy), MDB_ERR_STORAGE);
    CHECK(strstr(mdb_last_error_message(), "read-only") != NULL);
    CHECK(stat(copy, &info) != 0);
    mdb_patch_free(patch);
    mdb_fork_free(fork);
    mdb_db_free(reader);
    mdb_db_free(writer);
    harness_remove_tree(dir);
    return 0;
}

static int test_read_only_open_of_a_missing_database_fails_and_creates_nothing(void) {
    char dir[256], path[300];
    mdb_db *db = UNTOUCHED;
    mdb_db_options options;
    struct stat info;
    CHECK(harness_make_temp_dir(dir) == 0);
    snprintf(path, sizeof path, "%s/db", dir);
    CHECK_OK(mdb_db_options_init(&options, sizeof options));
    options.read_only = true;
    CHECK_STATUS(mdb_db_open(path, &options, &db), MDB_ERR_STORAGE);
    CHECK(db == UNTOUCHED);
    CHECK(stat(path, &info) != 0);
    harness_remove_tree(dir);
    return 0;
}

int main(void) {
    RUN_TEST(test_catalogue_lists_each_index_once_with_its_name_and_type);
    RUN_TEST(test_read_only_open_works_beside_a_writer_and_refuses_merges_and_checkpoints);
    RUN_TEST(test_read_only_open_of_a_missing_database_fails_and_creates_nothing);
    return HARNESS_SUMMARY();
}
