/*
 * mdb_db: opening (temporary and RocksDB), options, snapshots, merges and checkpoints.
 */
#include "harness.h"

#include <sys/stat.h>

static int test_db_open_temporary_gives_an_empty_database(void) {
    mdb_db *db = NULL;
    mdb_snapshot *snapshot = NULL;
    uint32_t type = 12345;
    bool found = true;
    OPEN_TEMPORARY(db);
    CHECK(db != NULL);
    CHECK_OK(mdb_snapshot_new(db, &snapshot));
    CHECK_OK(mdb_access_index_type(mdb_snapshot_as_access(snapshot), NAME("anything"), NO_KEY,
                                   &type, &found));
    CHECK(!found);
    CHECK(type == 12345);
    mdb_snapshot_free(snapshot);
    mdb_db_free(db);
    return 0;
}

static int test_db_options_init_fills_the_defaults(void) {
    mdb_db_options options;
    memset(&options, 0xAB, sizeof options);
    CHECK_OK(mdb_db_options_init(&options, sizeof options));
    CHECK(options.struct_size == sizeof options);
    CHECK(options.max_open_files == 0);
    CHECK(options.create_if_missing);
    CHECK(options.compression == MDB_COMPRESSION_NONE);
    CHECK(options.max_total_wal_size == 0);
    CHECK(options.max_cache_size == 0);
    CHECK(!options.read_only);
    return 0;
}

static int test_db_options_init_refuses_null_and_a_size_out_of_range_and_writes_nothing(void) {
    mdb_db_options options;
    CHECK_STATUS(mdb_db_options_init(NULL, sizeof options), MDB_ERR_INVALID_ARGUMENT);
    CHECK(strstr(mdb_last_error_message(), "options") != NULL);
    memset(&options, 0xAB, sizeof options);
    /* One byte short of the 1.0 struct, which ended with max_cache_size. */
    CHECK_STATUS(mdb_db_options_init(&options,
                                     offsetof(mdb_db_options, max_cache_size) + sizeof(size_t) - 1),
                 MDB_ERR_INVALID_ARGUMENT);
    CHECK(strstr(mdb_last_error_message(), "struct_size") != NULL);
    CHECK(options.max_open_files == (int32_t)0xABABABAB);
    CHECK_STATUS(mdb_db_options_init(&options, 4097), MDB_ERR_INVALID_ARGUMENT);
    CHECK(strstr(mdb_last_error_message(), "4097") != NULL);
    CHECK(options.max_open_files == (int32_t)0xABABABAB);
    return 0;
}

/* A path that the refused calls below must never reach. */
#define NEVER_OPENED "/nonexistent/metaldb-never-created"

/* The 1.0 struct followed by a field that a newer header would append. */
typedef struct {
    mdb_db_options v1_0;
    uint64_t field_of_a_newer_header;
} options_of_a_newer_header;

static int test_db_open_accepts_a_newer_header_s_options_whose_new_fields_are_zero(void) {
    char dir[256], path[300];
    options_of_a_newer_header newer;
    mdb_db *db = NULL;
    CHECK(harness_make_temp_dir(dir) == 0);
    snprintf(path, sizeof path, "%s/db", dir);
    memset(&newer, 0xAB, sizeof newer);
    CHECK_OK(mdb_db_options_init(&newer.v1_0, sizeof newer));
    CHECK(newer.v1_0.struct_size == sizeof newer);
    CHECK(newer.v1_0.create_if_missing);
    /* The library zeroes what it does not know: zero is every new field's default. */
    CHECK(newer.field_of_a_newer_header == 0);
    newer.v1_0.max_open_files = 64;
    CHECK_OK(mdb_db_open(path, &newer.v1_0, &db));
    CHECK(harness_put(db, "m", "k", "v") == 0);
    mdb_db_free(db);
    harness_remove_tree(dir);
    return 0;
}

static int test_db_open_refuses_a_newer_header_s_field_it_does_not_know(void) {
    char dir[256], path[300];
    options_of_a_newer_header newer;
    mdb_db *db = UNTOUCHED;
    struct stat info;
    CHECK(harness_make_temp_dir(dir) == 0);
    snprintf(path, sizeof path, "%s/db", dir);
    CHECK_OK(mdb_db_options_init(&newer.v1_0, sizeof newer));
    newer.field_of_a_newer_header = 1;
    CHECK_STATUS(mdb_db_open(path, &newer.v1_0, &db), MDB_ERR_INVALID_ARGUMENT);
    CHECK(strstr(mdb_last_error_message(), "struct_size") != NULL);
    CHECK(strstr(mdb_last_error_message(), "not zero") != NULL);
    CHECK(db == UNTOUCHED);
    CHECK(stat(path, &info) != 0); /* nothing was created */
    harness_remove_tree(dir);
    return 0;
}

static int test_db_open_refuses_options_not_filled_by_init(void) {
    mdb_db_options options;
    mdb_db *db = UNTOUCHED;
    memset(&options, 0, sizeof options); /* struct_size 0 */
    options.create_if_missing = true;
    CHECK_STATUS(mdb_db_open(NEVER_OPENED, &options, &db),
                 MDB_ERR_INVALID_ARGUMENT);
    CHECK(strstr(mdb_last_error_message(), "struct_size is 0") != NULL);
    CHECK(strstr(mdb_last_error_message(), "mdb_db_options_init") != NULL);
    /* Uninitialised memory: the library must not scan megabytes of "unknown fields". */
    options.struct_size = (size_t)1 << 40;
    CHECK_STATUS(mdb_db_open(NEVER_OPENED, &options, &db),
                 MDB_ERR_INVALID_ARGUMENT);
    CHECK(strstr(mdb_last_error_message(), "above 4096") != NULL);
    CHECK(db == UNTOUCHED);
    return 0;
}

static int test_db_open_refuses_a_bool_option_that_is_neither_0_nor_1(void) {
    mdb_db_options options;
    mdb_db *db = UNTOUCHED;
    CHECK_OK(mdb_db_options_init(&options, sizeof options));
    /* A binding may write any byte into a C bool. */
    memset(&options.create_if_missing, 2, 1);
    CHECK_STATUS(mdb_db_open(NEVER_OPENED, &options, &db),
                 MDB_ERR_INVALID_ARGUMENT);
    CHECK(strstr(mdb_last_error_message(), "create_if_missing is 2") != NULL);
    CHECK(db == UNTOUCHED);
    return 0;
}

static int test_db_open_creates_writes_and_reopens_on_disk(void) {
    char dir[256], path[300];
    mdb_db *db = NULL;
    CHECK(harness_make_temp_dir(dir) == 0);
    snprintf(path, sizeof path, "%s/db", dir);

    CHECK_OK(mdb_db_open(path, NULL, &db));
    CHECK(harness_put(db, "balances", "alice", "100") == 0);
    CHECK_DB_VALUE(db, "balances", "alice", "100");
    mdb_db_free(db);

    db = NULL;
    CHECK_OK(mdb_db_open(path, NULL, &db));
    CHECK_DB_VALUE(db, "balances", "alice", "100");
    CHECK_DB_VALUE(db, "balances", "bob", NULL);
    mdb_db_free(db);
    harness_remove_tree(dir);
    return 0;
}

static int test_db_open_with_options_and_every_built_in_compression(void) {
    static const struct {
        uint32_t compression;
        uint32_t feature;
    } codecs[] = {
        {MDB_COMPRESSION_NONE, 0},
        {MDB_COMPRESSION_SNAPPY, MDB_FEATURE_SNAPPY},
        {MDB_COMPRESSION_LZ4, MDB_FEATURE_LZ4},
        {MDB_COMPRESSION_LZ4HC, MDB_FEATURE_LZ4},
        {MDB_COMPRESSION_ZLIB, MDB_FEATURE_ZLIB},
        {MDB_COMPRESSION_ZSTD, MDB_FEATURE_ZSTD},
        {MDB_COMPRESSION_BZIP2, MDB_FEATURE_BZIP2},
    };
    size_t i;
    uint32_t features = mdb_features();
    CHECK((features & MDB_FEATURE_SNAPPY) != 0); /* a default feature */
    for (i = 0; i < sizeof codecs / sizeof codecs[0]; i++) {
        char dir[256], path[300];
        mdb_db_options options;
        mdb_db *db = NULL;
        if (codecs[i].feature != 0 && (features & codecs[i].feature) == 0) {
            continue;
        }
        CHECK(harness_make_temp_dir(dir) == 0);
        snprintf(path, sizeof path, "%s/db", dir);
        CHECK_OK(mdb_db_options_init(&options, sizeof options));
        options.compression = codecs[i].compression;
        options.max_open_files = 64;
        options.max_total_wal_size = 1 << 20;
        options.max_cache_size = 1 << 20;
        CHECK_OK(mdb_db_open(path, &options, &db));
        CHECK(harness_put(db, "compressed", "key", "value value value value") == 0);
        CHECK_DB_VALUE(db, "compressed", "key", "value value value value");
        mdb_db_free(db);
        harness_remove_tree(dir);
    }
    return 0;
}

static int test_db_open_missing_directory_without_create_is_a_storage_error(void) {
    char dir[256], path[300];
    mdb_db_options options;
    mdb_db *db = UNTOUCHED;
    CHECK(harness_make_temp_dir(dir) == 0);
    snprintf(path, sizeof path, "%s/missing", dir);
    CHECK_OK(mdb_db_options_init(&options, sizeof options));
    options.create_if_missing = false;
    CHECK_STATUS(mdb_db_open(path, &options, &db), MDB_ERR_STORAGE);
    CHECK(db == UNTOUCHED);
    CHECK(strlen(mdb_last_error_message()) > 0);
    harness_remove_tree(dir);
    return 0;
}

/* Writes `contents` to the file `name` in `dir`; `path` gets its path. Returns 0 on success,
 * like a test. */
static int write_file(const char *dir, const char *name, const char *contents, char path[300]) {
    FILE *file;
    snprintf(path, 300, "%s/%s", dir, name);
    file = fopen(path, "w");
    CHECK(file != NULL);
    fputs(contents, file);
    fclose(file);
    return 0;
}

static int test_db_open_regular_file_is_a_storage_error(void) {
    char dir[256], path[300];
    mdb_db *db = UNTOUCHED;
    CHECK(harness_make_temp_dir(dir) == 0);
    CHECK(write_file(dir, "file", "not a database\n", path) == 0);
    CHECK_STATUS(mdb_db_open(path, NULL, &db), MDB_ERR_STORAGE);
    CHECK(db == UNTOUCHED);
    harness_remove_tree(dir);
    return 0;
}

/* A directory of garbage with a CURRENT file looks like a database until RocksDB reads it:
 * the open fails with a storage error and, under valgrind, leaks nothing. */
static int test_db_open_garbage_directory_is_a_storage_error(void) {
    char dir[256], path[300];
    mdb_db *db = UNTOUCHED;
    CHECK(harness_make_temp_dir(dir) == 0);
    CHECK(write_file(dir, "CURRENT", "MANIFEST-garbage\n", path) == 0);
    CHECK_STATUS(mdb_db_open(dir, NULL, &db), MDB_ERR_STORAGE);
    CHECK(db == UNTOUCHED);
    CHECK(strlen(mdb_last_error_message()) > 0);
    harness_remove_tree(dir);
    return 0;
}

/* "default" is a valid index name that RocksDB keeps a column family under: it works on the
 * first merge of a new database. The database's own column families have reserved names. */
static int test_db_every_valid_name_works_and_kept_names_are_refused(void) {
    static const char *const reserved[] = {"__DB_METADATA__", "__INDEXES_POOL__",
                                           "__scratchpad__"};
    char dir[256];
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_map *map = UNTOUCHED;
    size_t i;
    CHECK(harness_make_temp_dir(dir) == 0);
    CHECK_OK(mdb_db_open(dir, NULL, &db));
    CHECK(harness_put(db, "default", "k", "v") == 0);
    CHECK_DB_VALUE(db, "default", "k", "v");
    CHECK_OK(mdb_fork_new(db, &fork));
    for (i = 0; i < sizeof reserved / sizeof reserved[0]; i++) {
        CHECK_STATUS(mdb_access_map(mdb_fork_as_access(fork), reserved[i], strlen(reserved[i]),
                                    NO_KEY, &map),
                     MDB_ERR_INVALID_ARGUMENT);
        CHECK(strstr(mdb_last_error_message(), "reserved") != NULL);
        CHECK(map == UNTOUCHED);
    }
    mdb_fork_free(fork);
    mdb_db_free(db);
    CHECK_OK(mdb_db_open(dir, NULL, &db));
    CHECK_DB_VALUE(db, "default", "k", "v");
    mdb_db_free(db);
    harness_remove_tree(dir);
    return 0;
}

static int test_db_open_same_directory_twice_is_a_storage_error(void) {
    char dir[256], path[300];
    mdb_db *db = NULL, *again = UNTOUCHED;
    CHECK(harness_make_temp_dir(dir) == 0);
    snprintf(path, sizeof path, "%s/db", dir);
    CHECK_OK(mdb_db_open(path, NULL, &db));
    /* RocksDB's lock file: one process opens a database once. */
    CHECK_STATUS(mdb_db_open(path, NULL, &again), MDB_ERR_STORAGE);
    CHECK(again == UNTOUCHED);
    mdb_db_free(db);
    /* Closed: it opens again. */
    CHECK_OK(mdb_db_open(path, NULL, &again));
    mdb_db_free(again);
    harness_remove_tree(dir);
    return 0;
}

static int test_db_open_rejects_invalid_arguments_and_writes_nothing(void) {
    char dir[256], path[300];
    mdb_db_options options;
    mdb_db *db = UNTOUCHED;
    const char not_utf8[] = {'/', 't', 'm', 'p', '/', (char)0xFF, (char)0xFE, '\0'};
    CHECK(harness_make_temp_dir(dir) == 0);
    snprintf(path, sizeof path, "%s/db", dir);

    CHECK_STATUS(mdb_db_open(NULL, NULL, &db), MDB_ERR_INVALID_ARGUMENT);
    CHECK(strstr(mdb_last_error_message(), "path") != NULL);
    CHECK_STATUS(mdb_db_open(path, NULL, NULL), MDB_ERR_INVALID_ARGUMENT);
    CHECK(strstr(mdb_last_error_message(), "out_db") != NULL);
    CHECK_STATUS(mdb_db_open(not_utf8, NULL, &db), MDB_ERR_INVALID_ARGUMENT);
    CHECK_OK(mdb_db_options_init(&options, sizeof options));
    options.compression = 99;
    CHECK_STATUS(mdb_db_open(path, &options, &db), MDB_ERR_INVALID_ARGUMENT);
    CHECK(strstr(mdb_last_error_message(), "compression") != NULL);
    CHECK_STATUS(mdb_db_open_temporary(NULL), MDB_ERR_INVALID_ARGUMENT);
    CHECK(db == UNTOUCHED);
    /* Nothing was created by the refused calls. */
    {
        struct stat info;
        CHECK(stat(path, &info) != 0);
    }
    harness_remove_tree(dir);
    return 0;
}

static int test_db_snapshot_does_not_see_later_merges(void) {
    mdb_db *db = NULL;
    mdb_snapshot *before = NULL;
    mdb_map *map = NULL;
    bool found = true;
    OPEN_TEMPORARY(db);
    CHECK(harness_put(db, "m", "k", "old") == 0);
    CHECK_OK(mdb_snapshot_new(db, &before));
    CHECK(harness_put(db, "m", "k", "new") == 0);
    CHECK(harness_put(db, "m", "k2", "v2") == 0);

    CHECK_OK(mdb_access_map(mdb_snapshot_as_access(before), NAME("m"), NO_KEY, &map));
    {
        mdb_bytes value = harness_empty_bytes();
        CHECK_OK(mdb_map_get(map, BYTES("k"), &value, &found));
        CHECK(found);
        CHECK(BYTES_EQ(value, "old"));
        mdb_bytes_free(&value);
    }
    CHECK_OK(mdb_map_contains(map, BYTES("k2"), &found));
    CHECK(!found);
    CHECK_DB_VALUE(db, "m", "k", "new");
    mdb_map_free(map);
    mdb_snapshot_free(before);
    CHECK_STATUS(mdb_snapshot_new(db, NULL), MDB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mdb_snapshot_new(NULL, &before), MDB_ERR_INVALID_ARGUMENT);
    mdb_db_free(db);
    return 0;
}

static int test_db_merge_consumes_the_patch(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_patch *patch = NULL;
    mdb_map *map = NULL;
    mdb_map *from_patch = NULL;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_map, "m", map);
    CHECK_OK(mdb_map_put(map, BYTES("k"), BYTES("v")));
    mdb_map_free(map);
    CHECK_OK(mdb_fork_into_patch(fork, &patch));
    CHECK_OK(mdb_access_map(mdb_patch_as_access(patch), NAME("m"), NO_KEY, &from_patch));

    CHECK_OK(mdb_db_merge(db, patch));
    CHECK_DB_VALUE(db, "m", "k", "v");
    /* Merged: the patch and its children are stale, and can still be freed. */
    CHECK_STATUS(mdb_db_merge(db, patch), MDB_ERR_STALE_HANDLE);
    CHECK_STATUS(mdb_db_merge_sync(db, patch), MDB_ERR_STALE_HANDLE);
    {
        bool found = false;
        CHECK_STATUS(mdb_map_contains(from_patch, BYTES("k"), &found), MDB_ERR_STALE_HANDLE);
        CHECK_STATUS(mdb_access_map(mdb_patch_as_access(patch), NAME("m"), NO_KEY, &map),
                     MDB_ERR_STALE_HANDLE);
    }
    mdb_map_free(from_patch);
    mdb_patch_free(patch);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

static int test_db_merge_with_a_null_argument_keeps_the_patch(void) {
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_patch *patch = NULL;
    mdb_map *map = NULL;
    OPEN_FORK_WITH_INDEX(db, fork, mdb_access_map, "m", map);
    CHECK_OK(mdb_map_put(map, BYTES("k"), BYTES("v")));
    mdb_map_free(map);
    CHECK_OK(mdb_fork_into_patch(fork, &patch));
    CHECK_STATUS(mdb_db_merge(NULL, patch), MDB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mdb_db_merge_sync(NULL, patch), MDB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mdb_db_merge(db, NULL), MDB_ERR_INVALID_ARGUMENT);
    CHECK_DB_VALUE(db, "m", "k", NULL);
    /* The patch was not consumed. */
    CHECK_OK(mdb_db_merge_sync(db, patch));
    CHECK_DB_VALUE(db, "m", "k", "v");
    mdb_patch_free(patch);
    mdb_fork_free(fork);
    mdb_db_free(db);
    return 0;
}

static int test_db_merge_sync_survives_a_reopen(void) {
    char dir[256], path[300];
    mdb_db *db = NULL;
    mdb_fork *fork = NULL;
    mdb_list *list = NULL;
    mdb_patch *patch = NULL;
    uint64_t len = 0;
    CHECK(harness_make_temp_dir(dir) == 0);
    snprintf(path, sizeof path, "%s/db", dir);
    CHECK_OK(mdb_db_open(path, NULL, &db));
    CHECK_OK(mdb_fork_new(db, &fork));
    CHECK_OK(mdb_access_list(mdb_fork_as_access(fork), NAME("events"), NO_KEY, &list));
    CHECK_OK(mdb_list_push(list, BYTES("one")));
    CHECK_OK(mdb_list_push(list, BYTES("two")));
    mdb_list_free(list);
    CHECK_OK(mdb_fork_into_patch(fork, &patch));
    CHECK_OK(mdb_db_merge_sync(db, patch));
    mdb_patch_free(patch);
    mdb_fork_free(fork);
    mdb_db_free(db);

    CHECK_OK(mdb_db_open(path, NULL, &db));
    {
        mdb_snapshot *snapshot = NULL;
        CHECK_OK(mdb_snapshot_new(db, &snapshot));
        CHECK_OK(mdb_access_list(mdb_snapshot_as_access(snapshot), NAME("events"), NO_KEY, &list));
        CHECK_OK(mdb_list_len(list, &len));
        CHECK(len == 2);
        mdb_list_free(list);
        mdb_snapshot_free(snapshot);
    }
    mdb_db_free(db);
    harness_remove_tree(dir);
    return 0;
}

static int test_db_forks_of_one_state_merge_one_after_the_other(void) {
    mdb_db *db = NULL;
    mdb_fork *first = NULL, *second = NULL;
    mdb_map *map = NULL;
    OPEN_TEMPORARY(db);
    CHECK_OK(mdb_fork_new(db, &first));
    CHECK_OK(mdb_fork_new(db, &second));
    CHECK_OK(mdb_access_map(mdb_fork_as_access(first), NAME("m"), NO_KEY, &map));
    CHECK_OK(mdb_map_put(map, BYTES("a"), BYTES("first")));
    CHECK_OK(mdb_map_put(map, BYTES("same"), BYTES("first")));
    mdb_map_free(map);
    CHECK_OK(mdb_access_map(mdb_fork_as_access(second), NAME("m"), NO_KEY, &map));
    CHECK_OK(mdb_map_put(map, BYTES("b"), BYTES("second")));
    CHECK_OK(mdb_map_put(map, BYTES("same"), BYTES("second")));
    mdb_map_free(map);
    COMMIT(db, first);
    COMMIT(db, second);
    CHECK_DB_VALUE(db, "m", "a", "first");
    CHECK_DB_VALUE(db, "m", "b", "second");
    CHECK_DB_VALUE(db, "m", "same", "second");
    mdb_db_free(db);
    return 0;
}

static int test_db_checkpoint_writes_an_independent_copy(void) {
    char dir[256], path[300], copy[300];
    mdb_db *db = NULL, *copied = NULL;
    CHECK(harness_make_temp_dir(dir) == 0);
    snprintf(path, sizeof path, "%s/db", dir);
    snprintf(copy, sizeof copy, "%s/copy", dir);
    CHECK_OK(mdb_db_open(path, NULL, &db));
    CHECK(harness_put(db, "m", "k", "before") == 0);
    CHECK_OK(mdb_db_checkpoint(db, copy));
    CHECK(harness_put(db, "m", "k", "after") == 0);
    /* The path exists now. */
    CHECK_STATUS(mdb_db_checkpoint(db, copy), MDB_ERR_STORAGE);
    CHECK_STATUS(mdb_db_checkpoint(db, NULL), MDB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mdb_db_checkpoint(NULL, copy), MDB_ERR_INVALID_ARGUMENT);
    CHECK_OK(mdb_db_open(copy, NULL, &copied));
    CHECK_DB_VALUE(copied, "m", "k", "before");
    CHECK_DB_VALUE(db, "m", "k", "after");
    mdb_db_free(copied);
    mdb_db_free(db);
    harness_remove_tree(dir);
    return 0;
}

static int test_db_checkpoint_of_a_temporary_database_is_refused(void) {
    char dir[256], copy[300];
    mdb_db *db = NULL;
    struct stat info;
    CHECK(harness_make_temp_dir(dir) == 0);
    snprintf(copy, sizeof copy, "%s/copy", dir);
    OPEN_TEMPORARY(db);
    CHECK_STATUS(mdb_db_checkpoint(db, copy), MDB_ERR_INVALID_ARGUMENT);
    CHECK(stat(copy, &info) != 0);
    mdb_db_free(db);
    harness_remove_tree(dir);
    return 0;
}

static int test_db_close_of_null_is_a_no_op(void) {
    mdb_db_free(NULL);
    CHECK(strcmp(mdb_last_error_message(), "") == 0);
    return 0;
}

int main(void) {
    RUN_TEST(test_db_open_temporary_gives_an_empty_database);
    RUN_TEST(test_db_options_init_fills_the_defaults);
    RUN_TEST(test_db_options_init_refuses_null_and_a_size_out_of_range_and_writes_nothing);
    RUN_TEST(test_db_open_accepts_a_newer_header_s_options_whose_new_fields_are_zero);
    RUN_TEST(test_db_open_refuses_a_newer_header_s_field_it_does_not_know);
    RUN_TEST(test_db_open_refuses_options_not_filled_by_init);
    RUN_TEST(test_db_open_refuses_a_bool_option_that_is_neither_0_nor_1);
    RUN_TEST(test_db_open_creates_writes_and_reopens_on_disk);
    RUN_TEST(test_db_open_with_options_and_every_built_in_compression);
    RUN_TEST(test_db_open_missing_directory_without_create_is_a_storage_error);
    RUN_TEST(test_db_open_regular_file_is_a_storage_error);
    RUN_TEST(test_db_open_garbage_directory_is_a_storage_error);
    RUN_TEST(test_db_every_valid_name_works_and_kept_names_are_refused);
    RUN_TEST(test_db_open_same_directory_twice_is_a_storage_error);
    RUN_TEST(test_db_open_rejects_invalid_arguments_and_writes_nothing);
    RUN_TEST(test_db_snapshot_does_not_see_later_merges);
    RUN_TEST(test_db_merge_consumes_the_patch);
    RUN_TEST(test_db_merge_with_a_null_argument_keeps_the_patch);
    RUN_TEST(test_db_merge_sync_survives_a_reopen);
    RUN_TEST(test_db_forks_of_one_state_merge_one_after_the_other);
    RUN_TEST(test_db_checkpoint_writes_an_independent_copy);
    RUN_TEST(test_db_checkpoint_of_a_temporary_database_is_refused);
    RUN_TEST(test_db_close_of_null_is_a_no_op);
    return HARNESS_SUMMARY();
}
