/*
 * The thread-local error message: set on failure, cleared by the next successful call, left
 * alone by its accessors, copied (truncated to the caller's buffer) by mdb_last_error_copy, and
 * kept per thread.
 */
#include "harness.h"

#include <pthread.h>

static int test_error_messages_are_cleared_by_the_next_successful_call(void) {
    mdb_db *db = NULL;
    char copy[16];
    CHECK_STATUS(mdb_db_open_temporary(NULL), MDB_ERR_INVALID_ARGUMENT);
    CHECK(strlen(mdb_last_error_message()) > 0);
    CHECK_OK(mdb_db_open_temporary(&db));
    CHECK(strcmp(mdb_last_error_message(), "") == 0);
    memset(copy, 'x', sizeof copy);
    CHECK(mdb_last_error_copy(copy, sizeof copy) == 0);
    CHECK(copy[0] == '\0');
    mdb_db_free(db);
    return 0;
}

static int test_error_messages_are_not_cleared_by_their_accessors(void) {
    char copy[256];
    const char *first;
    CHECK_STATUS(mdb_snapshot_new(NULL, NULL), MDB_ERR_INVALID_ARGUMENT);
    first = mdb_last_error_message();
    CHECK(strlen(first) > 0);
    CHECK(mdb_last_error_copy(copy, sizeof copy) == strlen(first));
    CHECK(mdb_last_error_copy(NULL, 0) == strlen(first));
    /* The same message, still lent at the same address. */
    CHECK(mdb_last_error_message() == first);
    CHECK(strcmp(mdb_last_error_message(), copy) == 0);
    return 0;
}

static int test_error_messages_are_copied_truncated_to_the_buffer(void) {
    char buf[512];
    char message[512];
    size_t len;
    CHECK_STATUS(mdb_db_open(NULL, NULL, NULL), MDB_ERR_INVALID_ARGUMENT);
    len = strlen(mdb_last_error_message());
    CHECK(len > 6 && len < sizeof message);
    strcpy(message, mdb_last_error_message());

    /* No buffer: only the length. */
    CHECK(mdb_last_error_copy(NULL, 0) == len);
    memset(buf, 'x', sizeof buf);
    CHECK(mdb_last_error_copy(buf, 0) == len);
    CHECK(buf[0] == 'x');
    /* One byte: just the NUL. */
    CHECK(mdb_last_error_copy(buf, 1) == len);
    CHECK(buf[0] == '\0' && buf[1] == 'x');
    /* Five bytes: four characters and the NUL, nothing past it. */
    memset(buf, 'x', sizeof buf);
    CHECK(mdb_last_error_copy(buf, 5) == len);
    CHECK(memcmp(buf, message, 4) == 0 && buf[4] == '\0' && buf[5] == 'x');
    /* One byte short of the NUL. */
    memset(buf, 'x', sizeof buf);
    CHECK(mdb_last_error_copy(buf, len) == len);
    CHECK(strlen(buf) == len - 1 && memcmp(buf, message, len - 1) == 0);
    /* Exactly enough, and more than enough. */
    memset(buf, 'x', sizeof buf);
    CHECK(mdb_last_error_copy(buf, len + 1) == len);
    CHECK(strcmp(buf, message) == 0);
    memset(buf, 'x', sizeof buf);
    CHECK(mdb_last_error_copy(buf, sizeof buf) == len);
    CHECK(strcmp(buf, message) == 0 && buf[len + 1] == 'x');
    /* Copying changed nothing. */
    CHECK(strcmp(mdb_last_error_message(), message) == 0);
    return 0;
}

typedef struct {
    char seen_at_start[256];
    char own_message[256];
} thread_messages;

static void *fail_on_another_thread(void *arg) {
    thread_messages *messages = arg;
    strcpy(messages->seen_at_start, mdb_last_error_message());
    if (mdb_fork_new(NULL, NULL) == MDB_ERR_INVALID_ARGUMENT) {
        mdb_last_error_copy(messages->own_message, sizeof messages->own_message);
    }
    return NULL;
}

static int test_error_messages_belong_to_their_thread(void) {
    pthread_t thread;
    thread_messages messages;
    char mine[256];
    memset(&messages, 0, sizeof messages);
    CHECK_STATUS(mdb_db_open(NULL, NULL, NULL), MDB_ERR_INVALID_ARGUMENT);
    strcpy(mine, mdb_last_error_message());
    CHECK(pthread_create(&thread, NULL, fail_on_another_thread, &messages) == 0);
    CHECK(pthread_join(thread, NULL) == 0);
    CHECK(strcmp(messages.seen_at_start, "") == 0);
    CHECK(strlen(messages.own_message) > 0);
    CHECK(strcmp(messages.own_message, mine) != 0);
    /* This thread's message is as it was. */
    CHECK(strcmp(mdb_last_error_message(), mine) == 0);
    return 0;
}

int main(void) {
    RUN_TEST(test_error_messages_are_cleared_by_the_next_successful_call);
    RUN_TEST(test_error_messages_are_not_cleared_by_their_accessors);
    RUN_TEST(test_error_messages_are_copied_truncated_to_the_buffer);
    RUN_TEST(test_error_messages_belong_to_their_thread);
    return HARNESS_SUMMARY();
}
