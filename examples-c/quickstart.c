/*
 * metaldb quick start: open a database, write a map and a list in a fork, merge it, then read
 * from a snapshot and iterate. Every call's status is checked.
 *
 * Build (after `cargo build`): see the README, or `make quickstart`.
 * Run: ./quickstart [database-directory]
 */
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

#define NAME(literal) literal, strlen(literal)
#define BYTES(literal) (const uint8_t *)(literal), strlen(literal)

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "quickstart.db";
    printf("metaldb %s (header %s)\n", mdb_version_str(), METALDB_VERSION_STRING);

    mdb_db *db = NULL;
    CHECK(mdb_db_open(path, NULL, &db));

    /* Write: a fork buffers changes until it is merged. */
    mdb_fork *fork = NULL;
    CHECK(mdb_fork_new(db, &fork));
    const mdb_access *writer = mdb_fork_as_access(fork);

    mdb_map *balances = NULL;
    CHECK(mdb_access_map(writer, NAME("balances"), NULL, 0, &balances));
    CHECK(mdb_map_put(balances, BYTES("alice"), BYTES("100")));
    CHECK(mdb_map_put(balances, BYTES("bob"), BYTES("75")));
    CHECK(mdb_map_put(balances, BYTES("carol"), BYTES("11")));

    mdb_list *events = NULL;
    CHECK(mdb_access_list(writer, NAME("events"), NULL, 0, &events));
    CHECK(mdb_list_push(events, BYTES("opened alice")));
    CHECK(mdb_list_push(events, BYTES("opened bob")));

    /* Errors are values: a second writable handle on the same map is refused. */
    mdb_map *again = NULL;
    mdb_status status = mdb_access_map(writer, NAME("balances"), NULL, 0, &again);
    printf("opening 'balances' twice: %s (%s)\n", mdb_status_str(status),
           mdb_last_error_message());

    /* Index handles must go before the fork is consumed; they would be stale after. */
    mdb_map_free(balances);
    mdb_list_free(events);

    mdb_patch *patch = NULL;
    CHECK(mdb_fork_into_patch(fork, &patch));
    CHECK(mdb_db_merge_sync(db, patch));
    mdb_patch_free(patch);
    mdb_fork_free(fork);

    /* Read: a snapshot is an isolated view of the database. */
    mdb_snapshot *snapshot = NULL;
    CHECK(mdb_snapshot_new(db, &snapshot));
    const mdb_access *reader = mdb_snapshot_as_access(snapshot);

    CHECK(mdb_access_map(reader, NAME("balances"), NULL, 0, &balances));
    mdb_bytes value = {0};
    bool found = false;
    CHECK(mdb_map_get(balances, BYTES("bob"), &value, &found));
    if (found) {
        printf("bob: %.*s\n", (int)value.len, (const char *)value.data);
        mdb_bytes_free(&value);
    }

    mdb_iter *iter = NULL;
    CHECK(mdb_map_iter(balances, NULL, 0, &iter));
    const uint8_t *key, *val;
    size_t key_len, val_len;
    for (;;) {
        CHECK(mdb_iter_next(iter, &key, &key_len, &val, &val_len, &found));
        if (!found) {
            break;
        }
        printf("  %.*s = %.*s\n", (int)key_len, (const char *)key, (int)val_len,
               (const char *)val);
    }
    mdb_iter_free(iter);
    mdb_map_free(balances);

    CHECK(mdb_access_list(reader, NAME("events"), NULL, 0, &events));
    uint64_t len = 0;
    CHECK(mdb_list_len(events, &len));
    printf("events: %llu\n", (unsigned long long)len);
    mdb_list_free(events);

    mdb_snapshot_free(snapshot);
    mdb_db_free(db);
    printf("done\n");
    return 0;
}
