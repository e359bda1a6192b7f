/*
 * metaldb migration example: move the map "bank.balances" to a new layout in chunks, abort
 * the migration from another thread, resume it with a new helper, and swap the new data in.
 *
 * The old layout stores each balance as decimal text ("100"); the new one as a 64-bit
 * big-endian integer, which readers use without parsing. A migration writes the new data
 * beside the old one, in the migration's namespace, in rounds that are each merged into the
 * database; a flush then swaps it in at once, so readers see the old map or the new one, never
 * a mix. Every call's status is checked.
 *
 * Build (after `make lib`): see the README, or `make migration-example`.
 * Run: ./migration [database-directory]
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metaldb.h"

/* Prints the failed call with its status and the library's message, then exits. */
#define CHECK(call)                                                                  \
    do {                                                                             \
        mdb_status status_ = (call);                                                 \
        if (status_ != MDB_OK) {                                                     \
            fprintf(stderr, "%s failed: %s: %s\n", #call, mdb_status_str(status_),   \
                    mdb_last_error_message());                                       \
            exit(1);                                                                 \
        }                                                                            \
    } while (0)

/* Prints what went wrong and exits, unless `condition` holds. */
#define EXPECT(condition)                                                            \
    do {                                                                             \
        if (!(condition)) {                                                          \
            fprintf(stderr, "unexpected: %s\n", #condition);                         \
            exit(1);                                                                 \
        }                                                                            \
    } while (0)

#define NAME(literal) literal, strlen(literal)
#define BYTES(literal) (const uint8_t *)(literal), strlen(literal)

/* The migration's namespace: it migrates the indexes named "bank.*". */
#define NAMESPACE "bank"

/* The accounts, with their balances in the old layout. */
static const char *const ACCOUNTS[][2] = {
    {"alice", "100"}, {"bob", "75"},    {"carol", "11"}, {"dave", "99"}, {"erin", "42"},
    {"frank", "7"},   {"grace", "1000"}, {"heidi", "0"}, {"ivan", "23"}, {"judy", "58"},
};
#define ACCOUNT_COUNT (sizeof ACCOUNTS / sizeof ACCOUNTS[0])

/* Entries moved per round: few, to show several rounds; real migrations take thousands. */
#define CHUNK 3

/* Merges a fork into the database, and frees it. */
static void commit(mdb_db *db, mdb_fork *fork) {
    mdb_patch *patch = NULL;
    CHECK(mdb_fork_into_patch(fork, &patch));
    CHECK(mdb_db_merge(db, patch));
    mdb_patch_free(patch);
    mdb_fork_free(fork);
}

/* Writes the old layout, replacing whatever an earlier run of this example left. */
static void write_old_layout(mdb_db *db) {
    mdb_fork *fork = NULL;
    mdb_map *balances = NULL;
    size_t i;
    CHECK(mdb_fork_new(db, &fork));
    /* Drops any migration of the namespace that an interrupted earlier run left behind. */
    CHECK(mdb_migration_rollback(fork, NAME(NAMESPACE)));
    CHECK(mdb_access_map(mdb_fork_as_access(fork), NAME(NAMESPACE ".balances"), NULL, 0,
                         &balances));
    CHECK(mdb_map_clear(balances));
    for (i = 0; i < ACCOUNT_COUNT; i++) {
        CHECK(mdb_map_put(balances, BYTES(ACCOUNTS[i][0]), BYTES(ACCOUNTS[i][1])));
    }
    mdb_map_free(balances);
    commit(db, fork);
}

/* The new layout of a balance: its decimal text as a 64-bit big-endian integer. */
static void encode_balance(const uint8_t *text, size_t text_len, uint8_t out[8]) {
    uint64_t amount = 0;
    size_t i;
    for (i = 0; i < text_len; i++) {
        amount = amount * 10 + (uint64_t)(text[i] - '0');
    }
    for (i = 8; i > 0; i--) {
        out[i - 1] = (uint8_t)(amount & 0xFF);
        amount >>= 8;
    }
}

static void *abort_migration(void *abort_handle) {
    CHECK(mdb_abort_handle_abort(abort_handle));
    return NULL;
}

/* Aborts the migration from another thread, as an operator's "cancel" would. A real program
 * aborts whenever it is asked to; this example waits for the aborting thread to end, so that
 * it aborts the same round every time. */
static void abort_from_another_thread(mdb_abort_handle *abort_handle) {
    pthread_t thread;
    EXPECT(pthread_create(&thread, NULL, abort_migration, abort_handle) == 0);
    EXPECT(pthread_join(thread, NULL) == 0);
}

/* What a run of the migration loop shares with its step, through `user_data`. */
typedef struct {
    /* Aborts the migration during the round `abort_in_round` (0: never). */
    mdb_abort_handle *abort_handle;
    int abort_in_round;
    /* Rounds run, and entries written by them (merged or not). */
    int rounds;
    int moved;
} migration_run;

/* Ends the step with the status of `call` if it failed. */
#define TRY(call)                                                                    \
    do {                                                                             \
        status = (call);                                                             \
        if (status != MDB_OK) {                                                      \
            goto done;                                                               \
        }                                                                            \
    } while (0)

/* One round of the loop: moves up to CHUNK balances to the new layout. The loop merges the
 * round's writes after it returns, and runs rounds until the iterator has ended. */
static mdb_status migrate_chunk(mdb_migration_helper *helper, mdb_persistent_iters *iters,
                                void *user_data) {
    migration_run *run = user_data;
    mdb_status status = MDB_OK;
    mdb_access *old_data = NULL, *new_data = NULL;
    mdb_map *old_balances = NULL, *new_balances = NULL;
    mdb_iter *iter = NULL;
    int i;
    run->rounds++;

    /* The old data is read-only ("bank.balances" as it is); the new data is where the
     * migrated "bank.balances" is written, invisible to readers until the flush. */
    TRY(mdb_migration_helper_old_data(helper, &old_data));
    TRY(mdb_migration_helper_new_data(helper, &new_data));
    TRY(mdb_access_map(old_data, NAME("balances"), NULL, 0, &old_balances));
    TRY(mdb_access_map(new_data, NAME("balances"), NULL, 0, &new_balances));

    /* A persistent iterator saves its position in the migration's scratchpad, which is merged
     * with the round: the next round, or a new helper after an abort or a crash, resumes
     * after the last merged entry. */
    TRY(mdb_persistent_iters_new_map(iters, NAME("balances"), old_balances, &iter));
    for (i = 0; i < CHUNK; i++) {
        const uint8_t *name, *text;
        size_t name_len, text_len;
        bool found = false;
        uint8_t amount[8];
        TRY(mdb_iter_next(iter, &name, &name_len, &text, &text_len, &found));
        if (!found) {
            break;
        }
        encode_balance(text, text_len, amount);
        TRY(mdb_map_put(new_balances, name, name_len, amount, sizeof amount));
        run->moved++;
    }

    if (run->rounds == run->abort_in_round) {
        abort_from_another_thread(run->abort_handle);
    }

done:
    /* Every handle opened from the helper is stale once the round is merged: free them. */
    mdb_iter_free(iter);
    mdb_map_free(old_balances);
    mdb_map_free(new_balances);
    mdb_access_free(old_data);
    mdb_access_free(new_data);
    return status;
}

/* The number of entries of the migrated "bank.balances": merged, not flushed yet. */
static size_t count_migrated(mdb_db *db) {
    mdb_snapshot *snapshot = NULL;
    mdb_access *migration = NULL;
    mdb_map *balances = NULL;
    mdb_iter *iter = NULL;
    const uint8_t *key, *value;
    size_t key_len, value_len, count = 0;
    bool found = false;
    CHECK(mdb_snapshot_new(db, &snapshot));
    CHECK(mdb_access_migration(mdb_snapshot_as_access(snapshot), NAME(NAMESPACE), &migration));
    CHECK(mdb_access_map(migration, NAME("balances"), NULL, 0, &balances));
    CHECK(mdb_map_iter(balances, NULL, 0, &iter));
    for (;;) {
        CHECK(mdb_iter_next(iter, &key, &key_len, &value, &value_len, &found));
        if (!found) {
            break;
        }
        count++;
    }
    mdb_iter_free(iter);
    mdb_map_free(balances);
    mdb_access_free(migration);
    mdb_snapshot_free(snapshot);
    return count;
}

/* Checks that "bank.balances" holds every account once, in the new layout. */
static void check_new_layout(mdb_db *db) {
    mdb_snapshot *snapshot = NULL;
    mdb_map *balances = NULL;
    size_t i;
    CHECK(mdb_snapshot_new(db, &snapshot));
    CHECK(mdb_access_map(mdb_snapshot_as_access(snapshot), NAME(NAMESPACE ".balances"), NULL, 0,
                         &balances));
    for (i = 0; i < ACCOUNT_COUNT; i++) {
        mdb_bytes value = {0};
        bool found = false;
        uint8_t expected[8];
        CHECK(mdb_map_get(balances, BYTES(ACCOUNTS[i][0]), &value, &found));
        EXPECT(found);
        encode_balance((const uint8_t *)ACCOUNTS[i][1], strlen(ACCOUNTS[i][1]), expected);
        EXPECT(value.len == sizeof expected && memcmp(value.data, expected, value.len) == 0);
        mdb_bytes_free(&value);
    }
    mdb_map_free(balances);
    mdb_snapshot_free(snapshot);
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "migration.db";
    mdb_db *db = NULL;
    CHECK(mdb_db_open(path, NULL, &db));
    write_old_layout(db);
    printf("%u balances in the old layout\n", (unsigned)ACCOUNT_COUNT);

    /* First run: aborted from another thread during round 3. Rounds 1 and 2 are merged; the
     * merge of round 3 fails with MDB_ERR_ABORTED and writes nothing. */
    mdb_migration_helper *helper = NULL;
    mdb_abort_handle *abort_handle = NULL;
    CHECK(mdb_migration_helper_new_with_abort(db, NAME(NAMESPACE), &helper, &abort_handle));
    migration_run first = {abort_handle, 3, 0, 0};
    mdb_status status = mdb_migration_helper_iter_loop(helper, migrate_chunk, &first);
    EXPECT(status == MDB_ERR_ABORTED);
    printf("first run: %s in round %d\n", mdb_status_str(status), first.rounds);
    /* The aborted helper is unusable: free it. Freeing an abort handle aborts its migration,
     * which is harmless now; mdb_abort_handle_forget would release it without aborting. */
    mdb_migration_helper_free(helper);
    mdb_abort_handle_free(abort_handle);

    size_t merged = count_migrated(db);
    printf("merged before the abort: %u balances\n", (unsigned)merged);
    EXPECT(merged == 2 * CHUNK);

    /* Second run, with a new helper: the persistent iterator resumes after the last merged
     * entry, so no balance is moved twice. */
    migration_run second = {NULL, 0, 0, 0};
    CHECK(mdb_migration_helper_new(db, NAME(NAMESPACE), &helper));
    CHECK(mdb_migration_helper_iter_loop(helper, migrate_chunk, &second));
    /* Merges what is left (nothing here: the loop merged every round) and ends the helper. */
    CHECK(mdb_migration_helper_finish(helper));
    mdb_migration_helper_free(helper);
    printf("second run: %d rounds, %d balances moved\n", second.rounds, second.moved);
    EXPECT(merged + (size_t)second.moved == ACCOUNT_COUNT);
    EXPECT(count_migrated(db) == ACCOUNT_COUNT);

    /* Swap the new data in: flush the migration in a fork made after its last merge, and
     * merge that fork. */
    mdb_fork *fork = NULL;
    CHECK(mdb_fork_new(db, &fork));
    CHECK(mdb_migration_flush(fork, NAME(NAMESPACE)));
    commit(db, fork);

    check_new_layout(db);
    printf("%u balances in the new layout\n", (unsigned)ACCOUNT_COUNT);
    mdb_db_free(db);
    printf("done\n");
    return 0;
}
