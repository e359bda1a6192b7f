/*
 * Versions and features: the header's macros agree with each other and with the library the
 * program runs against.
 */
#include "harness.h"

static int test_version_string_of_the_library_matches_the_header(void) {
    const char *version = mdb_version_str();
    CHECK(version != NULL);
    CHECK(strcmp(version, METALDB_VERSION_STRING) == 0);
    /* Static: the same pointer every time. */
    CHECK(mdb_version_str() == version);
    return 0;
}

static int test_version_number_of_the_library_matches_the_header(void) {
    CHECK(mdb_version_number() == METALDB_VERSION_NUMBER);
    return 0;
}

static int test_version_macros_agree_with_each_other(void) {
    char built[64];
    CHECK(METALDB_VERSION_NUMBER ==
          METALDB_VERSION_MAJOR * 1000000L + METALDB_VERSION_MINOR * 1000L + METALDB_VERSION_PATCH);
    CHECK(METALDB_VERSION_MINOR < 1000 && METALDB_VERSION_PATCH < 1000);
    snprintf(built, sizeof built, "%d.%d.%d", METALDB_VERSION_MAJOR, METALDB_VERSION_MINOR,
             METALDB_VERSION_PATCH);
    CHECK(strcmp(built, METALDB_VERSION_STRING) == 0);
    return 0;
}

static int test_version_features_are_known_bits_with_snappy_built_in(void) {
    const uint32_t known = MDB_FEATURE_SNAPPY | MDB_FEATURE_LZ4 | MDB_FEATURE_ZLIB |
                           MDB_FEATURE_ZSTD | MDB_FEATURE_BZIP2;
    uint32_t features = mdb_features();
    CHECK((features & ~known) == 0);
    /* Snappy is a default cargo feature, and the tests build with the defaults. */
    CHECK((features & MDB_FEATURE_SNAPPY) != 0);
    CHECK(mdb_features() == features);
    return 0;
}

static int test_version_queries_work_from_any_state(void) {
    /* They clear a pending message like any call, and never set one. */
    CHECK_STATUS(mdb_db_open_temporary(NULL), MDB_ERR_INVALID_ARGUMENT);
    CHECK(mdb_version_number() == METALDB_VERSION_NUMBER);
    CHECK(strcmp(mdb_last_error_message(), "") == 0);
    return 0;
}

int main(void) {
    printf("library %s (%lu), header %s\n", mdb_version_str(), (unsigned long)mdb_version_number(),
           METALDB_VERSION_STRING);
    RUN_TEST(test_version_string_of_the_library_matches_the_header);
    RUN_TEST(test_version_number_of_the_library_matches_the_header);
    RUN_TEST(test_version_macros_agree_with_each_other);
    RUN_TEST(test_version_features_are_known_bits_with_snappy_built_in);
    RUN_TEST(test_version_queries_work_from_any_state);
    return HARNESS_SUMMARY();
}
