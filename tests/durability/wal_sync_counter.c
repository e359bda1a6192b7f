/*
 * An LD_PRELOAD shim for tests/durability.rs: counts the fsync and fdatasync calls made on
 * RocksDB's write-ahead log files (`*.log`), then lets each call through to the C library.
 * The test process reads the count through `metaldb_test_wal_syncs`, found with dlsym.
 */
#define _GNU_SOURCE

#include <dlfcn.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static atomic_long wal_syncs;

/* Whether `fd` is open on a file whose name ends in ".log". */
static int is_wal(int fd) {
    char link[64], path[PATH_MAX];
    ssize_t len;
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    len = readlink(link, path, sizeof path - 1);
    if (len < 4) {
        return 0;
    }
    path[len] = '\0';
    return strcmp(path + len - 4, ".log") == 0;
}

long metaldb_test_wal_syncs(void) {
    return atomic_load(&wal_syncs);
}

int fdatasync(int fd) {
    int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    if (is_wal(fd)) {
        atomic_fetch_add(&wal_syncs, 1);
    }
    return real(fd);
}

int fsync(int fd) {
    int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    if (is_wal(fd)) {
        atomic_fetch_add(&wal_syncs, 1);
    }
    return real(fd);
}
