/*
 * The engine benchmark's workloads (benches/engine.rs) through the C ABI, timed one run each.
 * benches/c_abi.rs runs this program and the same workloads through the Rust API in turn,
 * and prints both timings and their ratio; `make bench-c` builds and runs both.
 *
 * Usage: c_abi DIRECTORY ITEMS
 *
 * DIRECTORY must exist; each workload works in a database of its own, DIRECTORY/<workload>,
 * which must not exist yet. For each workload, one line on stdout:
 *
 *     <workload> <items> <seconds> <cpu-seconds> ok
 *
 * where <seconds> is the wall-clock time of the workload's operations only (not the setup),
 * <cpu-seconds> the CPU time the calling thread spent on them (RocksDB's background threads
 * and the waits for fsync are not in it), and `ok` says that what was written, read or
 * iterated was checked and correct. A failed check prints
 * `FAILED: <why>` instead of `ok` and makes the exit status 1; a failed call exits with 2.
 */
#define _POSIX_C_SOURCE 200112L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metaldb.h"

#define MAP_VALUE_LEN 64
#define LIST_VALUE_LEN 512

/* Exits with the failed call, its status and the library's message. */
#define CHECK(call)                                                                    \
    do {                                                                               \
        mdb_status status_ = (call);                                                   \
        if (status_ != MDB_OK) {                                                       \
            fprintf(stderr, "%s:%d: %s failed: %s: %s\n", __FILE__, __LINE__, #call,   \
                    mdb_status_str(status_), mdb_last_error_message());                \
            exit(2);                                                                   \
        }                                                                              \
    } while (0)

#define NAME(literal) literal, strlen(literal)

static const char *directory;
static int failures;

/* A point in time, on the wall clock and on the calling thread's CPU clock. */
struct instant {
    double wall, cpu;
};

static double seconds_of(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct instant now(void) {
    struct instant instant;
    instant.wall = seconds_of(CLOCK_MONOTONIC);
    instant.cpu = seconds_of(CLOCK_THREAD_CPUTIME_ID);
    return instant;
}

/* The time from `start` to now. */
static struct instant elapsed(struct instant start) {
    struct instant end = now();
    end.wall -= start.wall;
    end.cpu -= start.cpu;
    return end;
}

/* The values, as benches/engine.rs makes them: byte i of the value for `seed` is `i ^ seed`,
 * which depends on the low byte of `seed` only. They are made once, before anything is timed,
 * so that neither side times making them: this side passes a pointer into the table (the
 * library copies the bytes), the Rust side copies from its own table into the `Vec` its API
 * takes. */
static uint8_t values[256][LIST_VALUE_LEN];

static void make_values(void) {
    size_t seed, i;
    for (seed = 0; seed < 256; seed++) {
        for (i = 0; i < LIST_VALUE_LEN; i++) {
            values[seed][i] = (uint8_t)(i ^ seed);
        }
    }
}

/* The value for `seed` (its first `len` bytes). */
static const uint8_t *value_for(uint32_t seed) {
    return values[seed & 0xFF];
}

/* Whether `value` is the one `value_for` gives for `seed`, judged by its length and its
 * first and last bytes: cheap enough to check every value read inside the timed loops. */
static int value_matches(const uint8_t *value, size_t len, size_t expected_len,
                         uint32_t seed) {
    return len == expected_len && value[0] == (uint8_t)seed &&
           value[len - 1] == (uint8_t)((uint32_t)(len - 1) ^ seed);
}

static void encode_key(uint8_t key[4], uint32_t value) {
    key[0] = (uint8_t)(value >> 24);
    key[1] = (uint8_t)(value >> 16);
    key[2] = (uint8_t)(value >> 8);
    key[3] = (uint8_t)value;
}

static uint32_t decode_key(const uint8_t *key) {
    return (uint32_t)key[0] << 24 | (uint32_t)key[1] << 16 | (uint32_t)key[2] << 8 |
           (uint32_t)key[3];
}

/* splitmix64: the generator of the read order, the same on the Rust side. */
static uint64_t next_random(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* The keys 0..n in a random order, seeded with n (Fisher-Yates). */
static uint32_t *shuffled_keys(uint32_t n) {
    uint32_t *keys = malloc(sizeof *keys * (n ? n : 1));
    uint64_t state = n;
    uint32_t i;
    if (!keys) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    for (i = 0; i < n; i++) {
        keys[i] = i;
    }
    for (i = n; i > 1; i--) {
        uint32_t j = (uint32_t)(next_random(&state) % i);
        uint32_t swap = keys[i - 1];
        keys[i - 1] = keys[j];
        keys[j] = swap;
    }
    return keys;
}

static mdb_db *open_db(const char *workload) {
    char path[4096];
    mdb_db *db = NULL;
    if (snprintf(path, sizeof path, "%s/%s", directory, workload) >= (int)sizeof path) {
        fprintf(stderr, "directory path too long\n");
        exit(2);
    }
    CHECK(mdb_db_open(path, NULL, &db));
    return db;
}

/* Closes and reopens a database: RocksDB flushes what it recovers from its log on opening, so
 * the data is then read from SST files, not from a memtable whose random shape would make
 * one side's reads cheaper than the other's (see benches/engine.rs). */
static mdb_db *reopen_db(mdb_db *db, const char *workload) {
    mdb_db_free(db);
    return open_db(workload);
}

static void report(const char *workload, uint32_t n, struct instant time,
                   const char *failure) {
    printf("%s %u %.9f %.9f ", workload, n, time.wall, time.cpu);
    if (failure) {
        failures++;
        printf("FAILED: %s\n", failure);
    } else {
        printf("ok\n");
    }
    fflush(stdout);
}

/* Puts keys 0..n with 64-byte values in a fork and merges it, synchronously or not. */
static void fill_map(mdb_db *db, uint32_t n, bool sync) {
    uint8_t key[4];
    mdb_fork *fork = NULL;
    mdb_map *map = NULL;
    mdb_patch *patch = NULL;
    uint32_t i;
    CHECK(mdb_fork_new(db, &fork));
    CHECK(mdb_access_map(mdb_fork_as_access(fork), NAME("map"), NULL, 0, &map));
    for (i = 0; i < n; i++) {
        encode_key(key, i);
        CHECK(mdb_map_put(map, key, sizeof key, value_for(i), MAP_VALUE_LEN));
    }
    mdb_map_free(map);
    CHECK(mdb_fork_into_patch(fork, &patch));
    CHECK(sync ? mdb_db_merge_sync(db, patch) : mdb_db_merge(db, patch));
    mdb_patch_free(patch);
    mdb_fork_free(fork);
}

/* Opens the map of a snapshot of `db`. */
static mdb_map *snapshot_map(mdb_db *db, mdb_snapshot **out_snapshot) {
    mdb_map *map = NULL;
    CHECK(mdb_snapshot_new(db, out_snapshot));
    CHECK(mdb_access_map(mdb_snapshot_as_access(*out_snapshot), NAME("map"), NULL, 0, &map));
    return map;
}

/* Whether the map of `db` holds `key` with the value `fill_map` gives it. */
static bool map_holds(mdb_db *db, uint32_t key) {
    mdb_snapshot *snapshot = NULL;
    mdb_map *map = snapshot_map(db, &snapshot);
    mdb_bytes value = {0};
    bool found = false;
    uint8_t encoded[4];
    encode_key(encoded, key);
    CHECK(mdb_map_get(map, encoded, sizeof encoded, &value, &found));
    found = found && value_matches(value.data, value.len, MAP_VALUE_LEN, key);
    mdb_bytes_free(&value);
    mdb_map_free(map);
    mdb_snapshot_free(snapshot);
    return found;
}

/* The timed sections are functions of their own, never inlined, so that callgrind can count
 * their instructions alone (`--toggle-collect=measured_*`, benches/callgrind.py). */
#define MEASURED static __attribute__((noinline))

MEASURED void measured_map_put_merge_sync(mdb_db *db, uint32_t n) { fill_map(db, n, true); }

/* Reads each key of `keys` and copies its value out; returns how many were wrong. */
MEASURED uint32_t measured_map_random_reads(const mdb_map *map, const uint32_t *keys, uint32_t n) {
    uint32_t i, wrong = 0;
    for (i = 0; i < n; i++) {
        uint8_t key[4];
        mdb_bytes value = {0};
        bool found = false;
        encode_key(key, keys[i]);
        CHECK(mdb_map_get(map, key, sizeof key, &value, &found));
        if (!found || !value_matches(value.data, value.len, MAP_VALUE_LEN, keys[i])) {
            wrong++;
        }
        mdb_bytes_free(&value);
    }
    return wrong;
}

/* Iterates over the whole map, decoding each key and copying each value out; returns the
 * number of entries and adds the wrong ones to `*wrong`. */
MEASURED uint32_t measured_map_iteration(const mdb_map *map, uint32_t *wrong) {
    mdb_iter *iter = NULL;
    uint8_t copy[MAP_VALUE_LEN];
    uint32_t count = 0;
    CHECK(mdb_map_iter(map, NULL, 0, &iter));
    for (;;) {
        const uint8_t *key, *value;
        size_t key_len, value_len;
        bool found = false;
        CHECK(mdb_iter_next(iter, &key, &key_len, &value, &value_len, &found));
        if (!found) {
            break;
        }
        /* Decoded and copied out, as the Rust side's iterator decodes into a `Vec<u8>`. */
        if (key_len != 4 || value_len > sizeof copy || decode_key(key) != count) {
            (*wrong)++;
        } else {
            memcpy(copy, value, value_len);
            if (!value_matches(copy, value_len, MAP_VALUE_LEN, count)) {
                (*wrong)++;
            }
        }
        count++;
    }
    mdb_iter_free(iter);
    return count;
}

/* The same iteration in batches (mdb_iter_next_batch): each call copies up to 256 entries into
 * a 64 KiB buffer, and each entry is decoded and checked there, as above. */
#define BATCH_ENTRIES 256
MEASURED uint32_t measured_map_batch_iteration(const mdb_map *map, uint32_t *wrong) {
    static uint8_t buf[1 << 16];
    mdb_iter_entry entries[BATCH_ENTRIES];
    mdb_iter *iter = NULL;
    uint8_t copy[MAP_VALUE_LEN];
    uint32_t count = 0;
    CHECK(mdb_map_iter(map, NULL, 0, &iter));
    for (;;) {
        size_t batch = 0, needed = 0, i;
        CHECK(mdb_iter_next_batch(iter, buf, sizeof buf, entries, BATCH_ENTRIES, &batch,
                                  &needed));
        if (batch == 0) {
            /* Every entry fits in the buffer: no batch stops for a large one. */
            if (needed != 0) {
                (*wrong)++;
            }
            break;
        }
        for (i = 0; i < batch; i++) {
            const mdb_iter_entry *entry = &entries[i];
            if (entry->key_len != 4 || entry->value_len > sizeof copy ||
                decode_key(entry->key) != count) {
                (*wrong)++;
            } else {
                memcpy(copy, entry->value, entry->value_len);
                if (!value_matches(copy, entry->value_len, MAP_VALUE_LEN, count)) {
                    (*wrong)++;
                }
            }
            count++;
        }
    }
    mdb_iter_free(iter);
    return count;
}

static void map_insert_merge_sync(uint32_t n) {
    mdb_db *db = open_db("map_insert_merge_sync");
    struct instant start, time;
    /* The first fill creates the index; the timed one overwrites it, as every iteration
     * after the first does in benches/engine.rs. */
    fill_map(db, n, true);
    start = now();
    measured_map_put_merge_sync(db, n);
    time = elapsed(start);
    report("map_insert_merge_sync", n, time,
           n == 0 || (map_holds(db, 0) && map_holds(db, n - 1)) ? NULL
                                                              : "a written key is missing");
    mdb_db_free(db);
}

static void map_random_reads(uint32_t n) {
    mdb_db *db = open_db("map_random_reads");
    uint32_t *keys = shuffled_keys(n);
    mdb_snapshot *snapshot = NULL;
    mdb_map *map = NULL;
    uint32_t wrong = 0;
    struct instant start, time;
    fill_map(db, n, false);
    db = reopen_db(db, "map_random_reads");
    map = snapshot_map(db, &snapshot);
    start = now();
    wrong = measured_map_random_reads(map, keys, n);
    time = elapsed(start);
    report("map_random_reads", n, time, wrong ? "a value read is missing or wrong" : NULL);
    mdb_map_free(map);
    mdb_snapshot_free(snapshot);
    free(keys);
    mdb_db_free(db);
}

/* Iterates over a map of n items, read from SST files, with `iterate` (single steps or
 * batches), reported as `workload`. */
static void map_iteration_with(const char *workload, uint32_t n,
                               uint32_t (*iterate)(const mdb_map *, uint32_t *)) {
    mdb_db *db = open_db(workload);
    mdb_snapshot *snapshot = NULL;
    mdb_map *map = NULL;
    uint32_t count = 0, wrong = 0;
    struct instant start, time;
    fill_map(db, n, false);
    db = reopen_db(db, workload);
    map = snapshot_map(db, &snapshot);
    start = now();
    count = iterate(map, &wrong);
    time = elapsed(start);
    report(workload, n, time,
           count != n ? "the iteration did not visit every key"
                      : (wrong ? "an entry iterated is wrong" : NULL));
    mdb_map_free(map);
    mdb_snapshot_free(snapshot);
    mdb_db_free(db);
}

/* Replaces the list with n 512-byte values in a fork and merges it. */
static void push_list(mdb_db *db, uint32_t n) {
    mdb_fork *fork = NULL;
    mdb_list *list = NULL;
    mdb_patch *patch = NULL;
    uint32_t i;
    CHECK(mdb_fork_new(db, &fork));
    CHECK(mdb_access_list(mdb_fork_as_access(fork), NAME("list"), NULL, 0, &list));
    CHECK(mdb_list_clear(list));
    for (i = 0; i < n; i++) {
        CHECK(mdb_list_push(list, value_for(i), LIST_VALUE_LEN));
    }
    mdb_list_free(list);
    CHECK(mdb_fork_into_patch(fork, &patch));
    CHECK(mdb_db_merge(db, patch));
    mdb_patch_free(patch);
    mdb_fork_free(fork);
}

MEASURED void measured_list_push_merge(mdb_db *db, uint32_t n) { push_list(db, n); }

static void list_push_merge(uint32_t n) {
    mdb_db *db = open_db("list_push_merge");
    mdb_snapshot *snapshot = NULL;
    mdb_list *list = NULL;
    mdb_bytes last = {0};
    uint64_t len = 0;
    bool found = false;
    struct instant start, time;
    push_list(db, n);
    start = now();
    measured_list_push_merge(db, n);
    time = elapsed(start);
    CHECK(mdb_snapshot_new(db, &snapshot));
    CHECK(mdb_access_list(mdb_snapshot_as_access(snapshot), NAME("list"), NULL, 0, &list));
    CHECK(mdb_list_len(list, &len));
    CHECK(mdb_list_last(list, &last, &found));
    report("list_push_merge", n, time,
           len == n && found == (n > 0) &&
                   (n == 0 || value_matches(last.data, last.len, LIST_VALUE_LEN, n - 1))
               ? NULL
               : "the merged list has the wrong length or last value");
    mdb_bytes_free(&last);
    mdb_list_free(list);
    mdb_snapshot_free(snapshot);
    mdb_db_free(db);
}

static void map_clear_merge(uint32_t n) {
    mdb_db *db = open_db("map_clear_merge");
    mdb_fork *fork = NULL;
    mdb_map *map = NULL;
    mdb_patch *patch = NULL;
    struct instant start, time;
    fill_map(db, n, true);
    start = now();
    CHECK(mdb_fork_new(db, &fork));
    CHECK(mdb_access_map(mdb_fork_as_access(fork), NAME("map"), NULL, 0, &map));
    CHECK(mdb_map_clear(map));
    mdb_map_free(map);
    CHECK(mdb_fork_into_patch(fork, &patch));
    CHECK(mdb_db_merge(db, patch));
    mdb_patch_free(patch);
    mdb_fork_free(fork);
    time = elapsed(start);
    report("map_clear_merge", n, time,
           n == 0 || (!map_holds(db, 0) && !map_holds(db, n - 1)) ? NULL
                                                                : "a key survived the clear");
    mdb_db_free(db);
}

int main(int argc, char **argv) {
    char *end = NULL;
    unsigned long items;
    if (argc != 3) {
        fprintf(stderr, "usage: %s DIRECTORY ITEMS\n", argv[0]);
        return 2;
    }
    directory = argv[1];
    items = strtoul(argv[2], &end, 10);
    if (*argv[2] == '\0' || *end != '\0' || items > 0xFFFFFFFFUL) {
        fprintf(stderr, "ITEMS must be a number of items below 2^32, got %s\n", argv[2]);
        return 2;
    }
    make_values();
    map_insert_merge_sync((uint32_t)items);
    map_random_reads((uint32_t)items);
    map_iteration_with("map_iteration", (uint32_t)items, measured_map_iteration);
    map_iteration_with("map_batch_iteration", (uint32_t)items, measured_map_batch_iteration);
    list_push_merge((uint32_t)items);
    map_clear_merge((uint32_t)items);
    return failures ? 1 : 0;
}
