/*
 * An LD_PRELOAD shim for tests/durability.rs: records, in order, every call that changes the
 * files of one directory (the database's) or makes them durable, so that the test can rebuild
 * the directory as a power cut at any point would have left it.
 *
 * Recorded, for files directly in $METALDB_POWER_CUT_DIR: creating or truncating opens
 * (open, open64, openat, openat64, creat), writes with their offset and bytes (write, pwrite,
 * pwrite64, writev, pwritev), ftruncate, fsync and fdatasync of a file or of the directory,
 * rename and unlink (and their *at forms), and markers that the test process adds through
 * `metaldb_test_power_cut_mark`. Calls that change nothing are recorded as such: fallocate
 * with FALLOC_FL_KEEP_SIZE (RocksDB's preallocation) and sync_file_range with no flags (the
 * probe by which RocksDB checks that the call works). Any other fallocate or sync_file_range
 * (which syncs no metadata and is no durability guarantee) is recorded as a call the test's
 * model does not cover, which fails the test. Files are identified by inode number: the log
 * says when a name gets a new inode.
 *
 * The log goes to $METALDB_POWER_CUT_LOG as records of
 *   kind (1 byte), inode (8), a (8), b (8), name length (4), name, data (b bytes for writes)
 * little-endian, each written with one write(2) under one lock, so the log's order is the
 * order in which the calls returned.
 */
#define _GNU_SOURCE

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int log_fd = -1;
static char dir[PATH_MAX];
static size_t dir_len;

#define REAL(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

/* Reads the environment once; returns 0 when nothing is to be recorded. */
static int ready(void) {
    static int initialised;
    if (!initialised) {
        const char *d = getenv("METALDB_POWER_CUT_DIR");
        const char *l = getenv("METALDB_POWER_CUT_LOG");
        initialised = 1;
        if (d != NULL && l != NULL && strlen(d) < sizeof dir) {
            strcpy(dir, d);
            dir_len = strlen(dir);
            log_fd = REAL(open)(l, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        }
    }
    return log_fd >= 0;
}

/* The name of `path` in the directory, or NULL if it is not directly in it. */
static const char *name_in_dir(const char *path) {
    if (path == NULL || strncmp(path, dir, dir_len) != 0 || path[dir_len] != '/') {
        return NULL;
    }
    path += dir_len + 1;
    return strchr(path, '/') == NULL && *path != '\0' ? path : NULL;
}

/* 1 if `fd` is open on a file of the directory, 2 on the directory itself, 0 otherwise. */
static int fd_kind(int fd, ino_t *inode) {
    char link[64], path[PATH_MAX];
    struct stat st;
    ssize_t len;
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    len = readlink(link, path, sizeof path - 1);
    if (len <= 0) {
        return 0;
    }
    path[len] = '\0';
    if (fstat(fd, &st) != 0) {
        return 0;
    }
    *inode = st.st_ino;
    if (strcmp(path, dir) == 0) {
        return 2;
    }
    return name_in_dir(path) != NULL && S_ISREG(st.st_mode) ? 1 : 0;
}

static void put64(unsigned char *at, uint64_t value) {
    for (int i = 0; i < 8; i++) {
        at[i] = (unsigned char)(value >> (8 * i));
    }
}

/* Appends one record; called with the lock held. */
static void record(char kind, uint64_t inode, uint64_t a, const char *name, size_t name_len,
                   const struct iovec *data, int count) {
    size_t data_len = 0, header = 1 + 8 + 8 + 8 + 4, at;
    unsigned char *buffer;
    for (int i = 0; i < count; i++) {
        data_len += data[i].iov_len;
    }
    buffer = malloc(header + name_len + data_len);
    if (buffer == NULL) {
        abort();
    }
    buffer[0] = (unsigned char)kind;
    put64(buffer + 1, inode);
    put64(buffer + 9, a);
    put64(buffer + 17, data_len);
    for (int i = 0; i < 4; i++) {
        buffer[25 + i] = (unsigned char)(name_len >> (8 * i));
    }
    memcpy(buffer + header, name, name_len);
    at = header + name_len;
    for (int i = 0; i < count; i++) {
        memcpy(buffer + at, data[i].iov_base, data[i].iov_len);
        at += data[i].iov_len;
    }
    if (REAL(write)(log_fd, buffer, at) != (ssize_t)at) {
        abort();
    }
    free(buffer);
}

void metaldb_test_power_cut_mark(const char *text) {
    pthread_mutex_lock(&lock);
    if (ready()) {
        record('M', 0, 0, text, strlen(text), NULL, 0);
    }
    pthread_mutex_unlock(&lock);
}

/* Records an open of `path` (relative to `dirfd`) that returned `fd`, if it created or
 * truncated a file of the directory; `existed` says whether the name existed before. */
static void opened(int fd, const char *path, int flags, int existed) {
    const char *name = name_in_dir(path);
    struct stat st;
    if (fd < 0 || name == NULL || !(flags & (O_CREAT | O_TRUNC)) || fstat(fd, &st) != 0) {
        return;
    }
    record('O', st.st_ino, (existed ? 0 : 1) | ((flags & O_TRUNC) ? 2 : 0), name, strlen(name),
           NULL, 0);
}

#define OPEN_BODY(call)                                                                      \
    mode_t mode = 0;                                                                         \
    int fd, existed;                                                                         \
    if (flags & (O_CREAT | O_TMPFILE)) {                                                     \
        va_list args;                                                                        \
        va_start(args, flags);                                                               \
        mode = va_arg(args, mode_t);                                                         \
        va_end(args);                                                                        \
    }                                                                                        \
    pthread_mutex_lock(&lock);                                                               \
    existed = ready() && access(path, F_OK) == 0;                                            \
    fd = call;                                                                               \
    if (log_fd >= 0) {                                                                       \
        opened(fd, path, flags, existed);                                                    \
    }                                                                                        \
    pthread_mutex_unlock(&lock);                                                             \
    return fd;

int open(const char *path, int flags, ...) { OPEN_BODY(REAL(open)(path, flags, mode)) }
int open64(const char *path, int flags, ...) { OPEN_BODY(REAL(open64)(path, flags, mode)) }
int openat(int dirfd, const char *path, int flags, ...) {
    OPEN_BODY(REAL(openat)(dirfd, path, flags, mode))
}
int openat64(int dirfd, const char *path, int flags, ...) {
    OPEN_BODY(REAL(openat64)(dirfd, path, flags, mode))
}
int creat(const char *path, mode_t mode) {
    int flags = O_CREAT | O_WRONLY | O_TRUNC;
    return open(path, flags, mode);
}

/* Runs `call`, which writes the `count` buffers of `data` at `offset` (-1: the file
 * position), and records what it wrote. */
#define WRITE_BODY(call, offset_arg)                                                         \
    ino_t inode;                                                                             \
    ssize_t written;                                                                         \
    off_t offset = (offset_arg);                                                             \
    pthread_mutex_lock(&lock);                                                               \
    if (!ready() || fd_kind(fd, &inode) != 1) {                                              \
        pthread_mutex_unlock(&lock);                                                         \
        return call;                                                                         \
    }                                                                                        \
    if (offset < 0) {                                                                        \
        struct stat st;                                                                      \
        offset = (fcntl(fd, F_GETFL) & O_APPEND) && fstat(fd, &st) == 0                      \
                     ? st.st_size                                                            \
                     : lseek(fd, 0, SEEK_CUR);                                               \
    }                                                                                        \
    written = call;                                                                          \
    if (written > 0) {                                                                       \
        struct iovec kept[64];                                                               \
        int kept_count = 0;                                                                  \
        size_t left = (size_t)written;                                                       \
        for (int i = 0; i < count && left > 0 && kept_count < 64; i++) {                     \
            kept[kept_count].iov_base = data[i].iov_base;                                    \
            kept[kept_count].iov_len = data[i].iov_len < left ? data[i].iov_len : left;      \
            left -= kept[kept_count++].iov_len;                                              \
        }                                                                                    \
        if (left > 0) {                                                                      \
            abort();                                                                         \
        }                                                                                    \
        record('W', inode, (uint64_t)offset, "", 0, kept, kept_count);                       \
    }                                                                                        \
    pthread_mutex_unlock(&lock);                                                             \
    return written;

ssize_t write(int fd, const void *buffer, size_t len) {
    struct iovec data[1] = {{(void *)buffer, len}};
    int count = 1;
    WRITE_BODY(REAL(write)(fd, buffer, len), -1)
}
ssize_t pwrite(int fd, const void *buffer, size_t len, off_t at) {
    struct iovec data[1] = {{(void *)buffer, len}};
    int count = 1;
    WRITE_BODY(REAL(pwrite)(fd, buffer, len, at), at)
}
ssize_t pwrite64(int fd, const void *buffer, size_t len, off_t at) {
    struct iovec data[1] = {{(void *)buffer, len}};
    int count = 1;
    WRITE_BODY(REAL(pwrite64)(fd, buffer, len, at), at)
}
ssize_t writev(int fd, const struct iovec *data, int count) {
    WRITE_BODY(REAL(writev)(fd, data, count), -1)
}
ssize_t pwritev(int fd, const struct iovec *data, int count, off_t at) {
    WRITE_BODY(REAL(pwritev)(fd, data, count, at), at)
}

/* Runs `call` on `fd` and, if it succeeded on the directory or one of its files, records
 * `kind` with the inode and `a`. */
#define FD_BODY(call, kind, a, what)                                                         \
    ino_t inode = 0;                                                                         \
    int result, which;                                                                       \
    pthread_mutex_lock(&lock);                                                               \
    which = ready() ? fd_kind(fd, &inode) : 0;                                               \
    result = call;                                                                           \
    if (result == 0 && which != 0) {                                                         \
        record(which == 2 ? 'D' : (kind), inode, (uint64_t)(a), what, strlen(what), NULL, 0); \
    }                                                                                        \
    pthread_mutex_unlock(&lock);                                                             \
    return result;

int fsync(int fd) { FD_BODY(REAL(fsync)(fd), 'S', 0, "fsync") }
int fdatasync(int fd) { FD_BODY(REAL(fdatasync)(fd), 'S', 0, "fdatasync") }
int ftruncate(int fd, off_t len) { FD_BODY(REAL(ftruncate)(fd, len), 'T', len, "ftruncate") }
int ftruncate64(int fd, off_t len) {
    FD_BODY(REAL(ftruncate64)(fd, len), 'T', len, "ftruncate64")
}
int sync_file_range(int fd, off_t at, off_t len, unsigned int flags) {
    FD_BODY(REAL(sync_file_range)(fd, at, len, flags), flags == 0 ? 'A' : 'X', flags,
            "sync_file_range")
}
int fallocate(int fd, int mode, off_t at, off_t len) {
    FD_BODY(REAL(fallocate)(fd, mode, at, len), (mode & FALLOC_FL_KEEP_SIZE) ? 'A' : 'X', mode,
            "fallocate")
}
int fallocate64(int fd, int mode, off_t at, off_t len) {
    FD_BODY(REAL(fallocate64)(fd, mode, at, len), (mode & FALLOC_FL_KEEP_SIZE) ? 'A' : 'X', mode,
            "fallocate64")
}

/* Runs `call`, which renames or unlinks, and records it if it succeeded on names of the
 * directory. `to` is NULL for an unlink. */
static int changed_names(int result, const char *from, const char *to) {
    const char *old_name = name_in_dir(from), *new_name = to ? name_in_dir(to) : NULL;
    if (result != 0 || old_name == NULL || (to != NULL && new_name == NULL)) {
        return result;
    }
    if (to == NULL) {
        record('U', 0, 0, old_name, strlen(old_name), NULL, 0);
    } else {
        size_t old_len = strlen(old_name), new_len = strlen(new_name);
        char names[2 * PATH_MAX];
        memcpy(names, old_name, old_len);
        names[old_len] = '/';
        memcpy(names + old_len + 1, new_name, new_len);
        record('R', 0, 0, names, old_len + 1 + new_len, NULL, 0);
    }
    return result;
}

#define NAMES_BODY(call, from, to)                                                           \
    int result;                                                                              \
    pthread_mutex_lock(&lock);                                                               \
    result = call;                                                                           \
    if (ready()) {                                                                           \
        changed_names(result, from, to);                                                     \
    }                                                                                        \
    pthread_mutex_unlock(&lock);                                                             \
    return result;

int rename(const char *from, const char *to) { NAMES_BODY(REAL(rename)(from, to), from, to) }
int renameat(int from_dir, const char *from, int to_dir, const char *to) {
    NAMES_BODY(REAL(renameat)(from_dir, from, to_dir, to), from, to)
}
int renameat2(int from_dir, const char *from, int to_dir, const char *to, unsigned int flags) {
    NAMES_BODY(REAL(renameat2)(from_dir, from, to_dir, to, flags), from, to)
}
int unlink(const char *path) { NAMES_BODY(REAL(unlink)(path), path, NULL) }
int unlinkat(int dirfd, const char *path, int flags) {
    NAMES_BODY(REAL(unlinkat)(dirfd, path, flags), path, NULL)
}
