/**
 * @file metaldb.h
 * @brief metaldb: a persistent storage engine on RocksDB with typed indexes, forks and
 * migrations.
 *
 * Anything not declared in this file is private and may change.
 *
 * @section conventions API conventions
 *
 * - Functions are named `mdb_<object>_<verb>`. Arguments come in the order: receiver, inputs,
 *   outputs. Output parameters are named `out_*` and are written only when the call returns
 *   `MDB_OK`; on failure they are left untouched. A call that makes a new object is
 *   `mdb_<type>_new` (`mdb_fork_new(db, ...)`, `mdb_snapshot_new(db, ...)`,
 *   `mdb_persistent_iters_new_map(iters, ...)`); an index is opened from an access with
 *   `mdb_access_<index type>`; a yes/no question about a handle's state is `_is_<adjective>`
 *   with an `out_<adjective>` flag, and lookups report presence through `out_found`.
 * - `const` on a handle parameter means the call does not change the object the handle
 *   designates (an index's contents, an iterator's position, a database's contents, a fork's
 *   changes, an abort handle's state). Writing, advancing, consuming and freeing calls take a
 *   non-const pointer. `const` is shallow, as in C: a call on a `const` handle may make a new
 *   handle (opening an index, forking, starting an iteration), and writing through that new
 *   handle is allowed. `const` says nothing about threads (see "Threads"). Handles returned
 *   as `const` pointers (`mdb_fork_as_access` and the like) are borrowed: never freed.
 * - Every fallible call returns an `mdb_status`: `MDB_OK` (0) or a positive `MDB_ERR_*` code.
 *   "Not found" is not an error: lookups report it through an `out_found` flag.
 * - Memory the caller provides for the library to fill is a pointer followed by its size,
 *   like a byte input: `mdb_last_error_copy(buf, buf_len)`,
 *   `mdb_db_options_init(options, struct_size)`.
 * - Byte inputs are a pointer and a length; the pointer may be NULL when the length is 0.
 *   Names are UTF-8 with an explicit length (no NUL needed). The library never keeps an input
 *   pointer after a call returns.
 * - An index is addressed by a name and an optional group key (`key`, `key_len`). There, and
 *   only there, NULL and empty differ: NULL with `key_len` 0 is the index outside any group,
 *   and a non-NULL `key` with `key_len` 0 is the group member whose key is empty, another
 *   index.
 * - Owned byte outputs come back as an `mdb_bytes`, freed with `mdb_bytes_free` (twice is
 *   harmless). Borrowed outputs (iterator keys and values, messages) say until when they are
 *   valid.
 * - Every handle is freed exactly once by its `_free`, in any order relative to other
 *   handles, from any thread; freeing NULL is a no-op. A child keeps its parent alive:
 *   an index keeps its fork, a fork or snapshot keeps its database, so closing a database with
 *   live children is safe (it closes when the last one is freed).
 * - A live handle passed where another kind is expected (an `mdb_list *` cast to an
 *   `mdb_map *`) is refused with `MDB_ERR_INVALID_ARGUMENT`, the message naming both kinds;
 *   nothing is done, and a `_free` given a handle of another kind leaves it alone.
 * - Consuming calls (`mdb_fork_into_patch`, `mdb_db_merge`, `mdb_fork_rollback`, migration
 *   flush, rollback and helper merges) make the children of what they consume stale: those
 *   calls then fail with `MDB_ERR_STALE_HANDLE`, and the handles can still be freed.
 *
 * @section abi ABI stability
 *
 * The shared library is `libmetaldb.so.1` (SONAME) for all of 1.x: within 1.x, functions,
 * types and constants are only added (every export carries the symbol version `METALDB_1.0`,
 * or a later node for later additions), never removed or changed; removing or changing
 * anything means `libmetaldb.so.2`. Caller-allocated structs:
 *
 * - `mdb_db_options` grows by the `struct_size` convention: fill it with
 *   `mdb_db_options_init(&options, sizeof options)`. The library reads only the fields that
 *   fit in `struct_size` (later ones keep their defaults), refuses a `struct_size` below the
 *   1.0 size or above 4096, and accepts a larger one than it knows (a newer header) only if
 *   every byte it does not know is zero. New fields are appended at or after the previous release's size, and their zero
 *   value keeps the earlier behaviour.
 * - `mdb_catalogue_record`, which the library fills, grows by the same convention: set
 *   `record.struct_size = sizeof record` before `mdb_catalogue_next`. The library writes the
 *   fields that fit in `struct_size`, zeroes the bytes past the fields it knows, and refuses
 *   a `struct_size` below the 1.1 size or above 4096. New fields are appended at or after
 *   the previous release's size, and their zero value means "not reported".
 * - `mdb_bytes` is frozen: its layout never changes in 1.x.
 *
 * Values may grow too: a newer 1.x library may return status codes, index types
 * (`MDB_INDEX_*`) and feature bits this header does not define; treat unknown ones as "other".
 *
 * @section status Status codes
 *
 * | Codes | Use |
 * |---|---|
 * | 0 | `MDB_OK` |
 * | 1-99 | general engine and ABI errors, assigned in order |
 * | 100-199 | reserved: errors specific to one storage backend |
 * | 200-299 | reserved: migration and schema errors |
 * | 300-999 | reserved for kinds not yet foreseen, assigned in blocks of 100 |
 * | 1000 and up | never returned by metaldb: free for a binding's own codes |
 *
 * A code keeps its meaning for ever; a retired code is never reused.
 *
 * Calls that read (lookups, lengths, iteration steps, opening an index) report damaged stored
 * data that RocksDB detects (a checksum mismatch) as `MDB_ERR_CORRUPTION`, and another failed
 * read as `MDB_ERR_STORAGE`, with a message naming the index; the family stays usable.
 *
 * @section threads Threads
 *
 * | Handle | Thread class |
 * |---|---|
 * | `mdb_db`, `mdb_abort_handle` | thread-safe: any thread, concurrently |
 * | `mdb_snapshot`, `mdb_patch`, `mdb_fork`, `mdb_migration_helper` and their children (accesses, indexes, iterators) | a family: any thread; calls on one family are serialised by its lock |
 * | `mdb_catalogue` | not thread-safe: any thread, one call at a time (the caller serialises) |
 *
 * @section errors Error messages
 *
 * Every call clears the calling thread's error message on entry (except the two message
 * accessors) and sets it on failure. `mdb_last_error_message` lends it until the next call on
 * that thread; `mdb_last_error_copy` copies it. `mdb_status_str` gives a static text per code.
 * Go: goroutines move between OS threads, so wrap the call and the message read in
 * `runtime.LockOSThread()` / `runtime.UnlockOSThread()`. The status code alone is always right.
 *
 * A Rust panic never crosses this API: it is caught and returned as `MDB_ERR_PANIC`, and the
 * family where it happened is poisoned (`MDB_ERR_POISONED` from then on).
 *
 * @section abort Migrations and abort handles
 *
 * Freeing an abort handle (`mdb_abort_handle_free`) aborts its migration, as dropping it does
 * in Rust; a garbage-collected host's finalizer therefore aborts the migration. Use
 * `mdb_abort_handle_forget` to release the handle without aborting.
 */


#ifndef METALDB_H
#define METALDB_H

/* Generated by cbindgen from metaldb's src/ffi; do not edit. Regenerated by `cargo build`. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Major version of this header. */
#define METALDB_VERSION_MAJOR 1
/** Minor version of this header. */
#define METALDB_VERSION_MINOR 0
/** Patch version of this header. */
#define METALDB_VERSION_PATCH 0
/** The version of this header as `MAJOR * 1000000 + MINOR * 1000 + PATCH`. */
#define METALDB_VERSION_NUMBER 1000000
/** The version of this header as a string. */
#define METALDB_VERSION_STRING "1.0.0"


/**
 * A map (`mdb_map`).
 */
#define MDB_INDEX_MAP 1

/**
 * A list (`mdb_list`).
 */
#define MDB_INDEX_LIST 2

/**
 * An entry (`mdb_entry`).
 */
#define MDB_INDEX_ENTRY 3

/**
 * A key set (`mdb_key_set`).
 */
#define MDB_INDEX_KEY_SET 5

/**
 * A sparse list (`mdb_sparse_list`).
 */
#define MDB_INDEX_SPARSE_LIST 6

/**
 * A tombstone: an index removed by a migration.
 */
#define MDB_INDEX_TOMBSTONE 254

/**
 * No compression.
 */
#define MDB_COMPRESSION_NONE 0

/**
 * Snappy compression (built in by default).
 */
#define MDB_COMPRESSION_SNAPPY 1

/**
 * LZ4 compression (needs the `rocksdb_lz4` build feature).
 */
#define MDB_COMPRESSION_LZ4 2

/**
 * LZ4HC compression (needs the `rocksdb_lz4` build feature).
 */
#define MDB_COMPRESSION_LZ4HC 3

/**
 * Zlib compression (needs the `rocksdb_zlib` build feature).
 */
#define MDB_COMPRESSION_ZLIB 4

/**
 * Zstandard compression (needs the `rocksdb_zstd` build feature).
 */
#define MDB_COMPRESSION_ZSTD 5

/**
 * Bzip2 compression (needs the `rocksdb_bzip2` build feature).
 */
#define MDB_COMPRESSION_BZIP2 6

/**
 * Snappy compression is built in.
 */
#define MDB_FEATURE_SNAPPY 1

/**
 * LZ4 and LZ4HC compression are built in.
 */
#define MDB_FEATURE_LZ4 (1 << 1)

/**
 * Zlib compression is built in.
 */
#define MDB_FEATURE_ZLIB (1 << 2)

/**
 * Zstandard compression is built in.
 */
#define MDB_FEATURE_ZSTD (1 << 3)

/**
 * Bzip2 compression is built in.
 */
#define MDB_FEATURE_BZIP2 (1 << 4)

/**
 * The abort handle of a migration helper, from `mdb_migration_helper_new_with_abort`.
 *
 * Freeing it with `mdb_abort_handle_free` ABORTS the migration, as dropping it does in Rust:
 * a host whose garbage collector frees the handle in a finalizer aborts the migration then.
 * To let go of the handle without aborting, call `mdb_abort_handle_forget` instead.
 *
 * Thread-safe: any thread may use it, concurrently (the helper usually runs on another one),
 * except that `mdb_abort_handle_forget` and `mdb_abort_handle_free` end its life and must be
 * the last call on it.
 */
typedef struct mdb_abort_handle mdb_abort_handle;

/**
 * An access: opens indexes. Obtained from `mdb_fork_as_access`, `mdb_snapshot_as_access`,
 * `mdb_patch_as_access` (borrowed from their handle), or from `mdb_fork_readonly` and the
 * `mdb_access_prefixed` family of functions (owned; free with `mdb_access_free`).
 *
 * Belongs to its parent's family: any thread may use it, one call at a time per family
 * (calls on one family are serialised by a lock).
 */
typedef struct mdb_access mdb_access;

/**
 * The catalogue of a database, read once when made: every index with its name, group key,
 * type, identifier and sizes, in the order of their fully qualified names. Not thread-safe:
 * any thread may use it, one call at a time.
 */
typedef struct mdb_catalogue mdb_catalogue;

/**
 * An open database. Thread-safe: any thread may use it, concurrently.
 */
typedef struct mdb_db mdb_db;

/**
 * An entry index: one byte value, or none. Entries cannot be iterated.
 *
 * Belongs to the family of the access it was opened from: any thread may use it, and calls
 * on one family are serialised by a lock.
 */
typedef struct mdb_entry mdb_entry;

/**
 * A fork of a database: indexes opened from it read the database as of the fork's creation
 * plus the fork's own changes, and write into the fork. Changes reach the database when the
 * fork becomes a patch (`mdb_fork_into_patch`) and is merged (`mdb_db_merge`).
 *
 * A fork, its indexes, iterators and accesses form one family: any thread may use them, and
 * calls on one family are serialised by a lock.
 */
typedef struct mdb_fork mdb_fork;

/**
 * An iterator over the entries of an index, in key order. Keys of lists and sparse lists are
 * positions as 8-byte big-endian integers; values of key sets are empty.
 *
 * While it lives, its index refuses writes (`MDB_ERR_BORROWED`). Belongs to its index's family:
 * any thread may use it, one call at a time.
 */
typedef struct mdb_iter mdb_iter;

/**
 * A key set index: a set of byte keys, iterated in the byte order of the keys.
 *
 * Belongs to the family of the access it was opened from: any thread may use it, and calls
 * on one family are serialised by a lock.
 */
typedef struct mdb_key_set mdb_key_set;

/**
 * A list index: byte values at positions `0` to `len - 1`, appended at the end.
 *
 * Belongs to the family of the access it was opened from: any thread may use it, and calls
 * on one family are serialised by a lock.
 */
typedef struct mdb_list mdb_list;

/**
 * A map index: byte keys to byte values, iterated in the byte order of the keys.
 *
 * Belongs to the family of the access it was opened from: any thread may use it, and calls
 * on one family are serialised by a lock.
 */
typedef struct mdb_map mdb_map;

/**
 * A migration helper: runs the migration of one namespace in steps, each merged into the
 * database, through its own fork. Its views (`mdb_migration_helper_new_data`, `_old_data`,
 * `_scratchpad`) open the migrated indexes, the old ones and temporary ones.
 *
 * The helper never flushes its migration: once it is finished, call `mdb_migration_flush`
 * on a fresh fork (or `mdb_migration_rollback` to drop it) and merge that fork.
 *
 * A helper, its views and the indexes and iterators opened from them form one family: any
 * thread may use them, and calls on one family are serialised by a lock.
 */
typedef struct mdb_migration_helper mdb_migration_helper;

/**
 * The changes of a fork, from `mdb_fork_into_patch`. As an access it reads the fork's base
 * state with the changes applied, read-only. Any thread may use it; calls on one patch and its
 * children are serialised by a lock.
 */
typedef struct mdb_patch mdb_patch;

/**
 * The persistent iterators of one round of `mdb_migration_helper_iter_loop`, lent to the step
 * callback: valid until the callback returns, never freed by the caller. The loop ends once
 * every iterator created through it in a round has reached its end.
 *
 * Belongs to its helper's family (any thread, one call at a time per family).
 */
typedef struct mdb_persistent_iters mdb_persistent_iters;

/**
 * A snapshot of a database, from `mdb_snapshot_new`. Indexes opened from it are read-only and
 * never see later merges. Any thread may use it; calls on one snapshot and its children are
 * serialised by a lock.
 */
typedef struct mdb_snapshot mdb_snapshot;

/**
 * A sparse list index: byte values at positions that may have gaps. Its capacity is one past
 * the highest position ever used (where `mdb_sparse_list_push` stores); its length is the
 * number of values present.
 *
 * Belongs to the family of the access it was opened from: any thread may use it, and calls
 * on one family are serialised by a lock.
 */
typedef struct mdb_sparse_list mdb_sparse_list;

/**
 * The result of every fallible metaldb call: `MDB_OK` (0) on success, a positive
 * `MDB_ERR_*` code on failure. Codes are stable: a code keeps its meaning, and a retired code
 * is never reused. A newer 1.x library may return codes this header does not define: treat
 * an unknown code as a failure (`mdb_status_str` gives `"unknown status code"`). The ranges
 * are in the header's conventions ("Status codes").
 */
typedef uint32_t mdb_status;

/**
 * Bytes owned by the caller, returned by lookups and iterators that copy their output.
 *
 * Free with `mdb_bytes_free`. `data` is NULL when `len` is 0. Do not change the fields.
 *
 * The caller allocates it (usually on the stack) and the library fills it, with no size
 * field: its layout (`data`, `len`, `capacity`, in that order) is frozen for all of 1.x. A
 * different layout would be a new major version and SONAME.
 */
typedef struct {
  /**
   * The bytes, or NULL for an empty value.
   */
  uint8_t *data;
  /**
   * Number of bytes at `data`.
   */
  size_t len;
  /**
   * Private: the size of the allocation.
   */
  size_t capacity;
} mdb_bytes;

/**
 * One index of a catalogue, filled by `mdb_catalogue_next`. The byte fields are borrowed from
 * the catalogue: they stay valid until the next `mdb_catalogue_next` or `mdb_catalogue_free`
 * on it.
 *
 * The caller allocates the record and sets `struct_size` to `sizeof(mdb_catalogue_record)`
 * before the first `mdb_catalogue_next`, which reads it and leaves it unchanged. The struct
 * grows in 1.x by the `struct_size` convention: a release only appends fields, at or after
 * the previous release's size, and gives each a zero value meaning "not reported" (as
 * `has_len` false does). The library writes the fields that fit in `struct_size` and zeroes
 * the bytes past the fields it knows, so a program built against an older header gets the
 * fields it declares, and one built against a newer header, run with an older library, reads
 * zero (not reported) in the fields that library does not know.
 */
typedef struct {
  /**
   * The size of the struct as the caller's header declares it: set it to
   * `sizeof(mdb_catalogue_record)`. `mdb_catalogue_next` does not change it.
   */
  size_t struct_size;
  /**
   * The fully qualified name, `['^'] name [0x00 group-key]`: the key of the index's
   * metadata (docs/format.md, "Addresses").
   */
  const uint8_t *full_name;
  /**
   * Length of `full_name` in bytes.
   */
  size_t full_name_len;
  /**
   * The index name, UTF-8, not NUL-terminated, without the migration marker and group key.
   * Its namespace is the part before the first `.`.
   */
  const char *name;
  /**
   * Length of `name` in bytes.
   */
  size_t name_len;
  /**
   * The group key bytes of a group member; NULL when `has_group_key` is false (and possibly
   * when the key is empty).
   */
  const uint8_t *group_key;
  /**
   * Length of `group_key` in bytes.
   */
  size_t group_key_len;
  /**
   * Whether the index is a member of a group (its key may be empty).
   */
  bool has_group_key;
  /**
   * Whether the index belongs to a pending migration (its full name starts with `^`).
   */
  bool in_migration;
  /**
   * Whether `len` holds the length of a list or sparse list.
   */
  bool has_len;
  /**
   * The index type, one of `MDB_INDEX_*`; `MDB_INDEX_TOMBSTONE` for an index a pending
   * migration removes.
   */
  uint32_t index_type;
  /**
   * The identifier that prefixes every stored key of the index.
   */
  uint64_t identifier;
  /**
   * The length of a list or sparse list, when `has_len`; 0 otherwise.
   */
  uint64_t len;
  /**
   * Estimated bytes on disk of the index's data (flushed data only); 0 for a temporary
   * database.
   */
  uint64_t size_on_disk;
} mdb_catalogue_record;

/**
 * Options for `mdb_db_open`. Fill with `mdb_db_options_init(&options, sizeof options)`, then
 * change fields.
 *
 * The struct grows in 1.x by the `struct_size` convention: a release only appends fields, at
 * or after the previous release's size, whose zero value keeps the earlier behaviour. The
 * library reads only the fields that fit in `struct_size`, so a program built against an
 * older header keeps working (later fields take their defaults), and a program built against
 * a newer header works with an older library as long as it leaves the fields that library
 * does not know at zero.
 */
typedef struct {
  /**
   * The size of the struct as the caller's header declares it, set by
   * `mdb_db_options_init`. Do not change it.
   */
  size_t struct_size;
  /**
   * Most files RocksDB keeps open; 0 or negative means no limit. Default: no limit.
   */
  int32_t max_open_files;
  /**
   * Create the database if it does not exist. Default: true.
   */
  bool create_if_missing;
  /**
   * One of `MDB_COMPRESSION_*`, for column families created by this process. Default:
   * `MDB_COMPRESSION_NONE`.
   */
  uint32_t compression;
  /**
   * Largest total size of the write-ahead logs in bytes; 0 lets RocksDB choose. Default: 0.
   */
  uint64_t max_total_wal_size;
  /**
   * Size in bytes of a row cache; 0 means no cache. Default: 0.
   */
  size_t max_cache_size;
  /**
   * Since 1.1. Open in RocksDB's read-only mode: no lock is taken, so the database may be
   * open for writing in another process; the handle sees the database as it was when
   * opened. Merges fail with `MDB_ERR_STORAGE` naming the read-only mode; writes to indexes
   * of a fork succeed in memory, since only the merge reaches the database. A missing
   * database is an error whatever `create_if_missing` says. Default: false.
   */
  bool read_only;
} mdb_db_options;

/**
 * An entry as `mdb_iter_next_batch` copies it into the caller's buffer: where its key and its
 * value are in that buffer.
 *
 * The caller allocates an array of them for the library to fill. Its layout (`key`,
 * `key_len`, `value`, `value_len`, in that order) is frozen for all of 1.x, as `mdb_bytes`
 * is: a different layout would be a new major version and SONAME.
 */
typedef struct {
  /**
   * The key bytes, in the caller's buffer (may be NULL for an empty key).
   */
  const uint8_t *key;
  /**
   * Length of the key.
   */
  size_t key_len;
  /**
   * The value bytes, in the caller's buffer right after the key (may be NULL for an empty
   * value).
   */
  const uint8_t *value;
  /**
   * Length of the value.
   */
  size_t value_len;
} mdb_iter_entry;

/**
 * The step of `mdb_migration_helper_iter_loop`, called once per round with the helper, the
 * round's persistent iterators and the loop's `user_data`. It may call any function on the
 * helper's family except `mdb_migration_helper_merge`, `_finish` and `_free` on `helper`.
 * Returning anything but `MDB_OK` stops the loop, which returns that status.
 */
typedef mdb_status (*mdb_migration_step)(mdb_migration_helper *helper,
                                         mdb_persistent_iters *iters,
                                         void *user_data);

/**
 * Success.
 */
#define MDB_OK 0

/**
 * An argument is invalid: NULL where a value is required, a name that is not UTF-8 or not a
 * valid index name, an unknown option. Nothing was done.
 */
#define MDB_ERR_INVALID_ARGUMENT 1

/**
 * RocksDB reported an error: I/O, a locked or damaged database, a full disk (the message
 * holds RocksDB's text); or the database path is not a directory.
 */
#define MDB_ERR_STORAGE 2

/**
 * An index of another type exists at the address.
 */
#define MDB_ERR_WRONG_TYPE 3

/**
 * The index is already in use in this fork: held by another writable handle, shared with
 * read-only handles, or being iterated.
 */
#define MDB_ERR_BORROWED 4

/**
 * The handle's parent was consumed (a fork turned into a patch, rolled back or flushed by a
 * migration, a patch merged, a migration helper merged or finished) or closed. The handle
 * can only be freed.
 */
#define MDB_ERR_STALE_HANDLE 5

/**
 * The migration was aborted through its abort handle; nothing of the step was written.
 */
#define MDB_ERR_ABORTED 6

/**
 * An internal error (a Rust panic) was caught at the boundary. The handle's family is
 * poisoned.
 */
#define MDB_ERR_PANIC 7

/**
 * An earlier call panicked while using this fork, patch or snapshot family; the family can
 * only be freed.
 */
#define MDB_ERR_POISONED 8

/**
 * A write through a read-only access (a snapshot, a patch or a read-only fork).
 */
#define MDB_ERR_READONLY 9

/**
 * A list position is out of range.
 */
#define MDB_ERR_OUT_OF_RANGE 10

/**
 * The database was written by an incompatible version of the on-disk format.
 */
#define MDB_ERR_INCOMPATIBLE_VERSION 11

/**
 * A record that metaldb wrote does not decode: the metadata of an index, the identifier
 * counter or the format version record. The message names the record and shows its bytes.
 * The database may be damaged; other indexes may still be read, and nothing was written.
 */
#define MDB_ERR_CORRUPTION 12

/**
 * The directory holds a RocksDB database that metaldb did not write (column families or
 * data, but no format version record). Nothing was written to it.
 */
#define MDB_ERR_NOT_A_DATABASE 13

/**
 * A merge was refused: its fork created an index that a fork merged after it was made had
 * created with another type. The message names the index and both types; nothing was
 * written, and the patch is consumed.
 */
#define MDB_ERR_CONFLICT 14

#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

/**
 * Aborts the migration of the helper this handle belongs to, and keeps the handle.
 *
 * The helper's step that is running goes on, but its next merge (`mdb_migration_helper_merge`,
 * `mdb_migration_helper_finish`, a round of `mdb_migration_helper_iter_loop`) writes nothing and
 * returns `MDB_ERR_ABORTED`; the helper is then unusable. Aborting twice, or after the helper
 * is gone, does nothing more.
 *
 * @param[in] handle  The abort handle. Not NULL.
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` if `handle` is NULL.
 *
 * Any thread, concurrently with the helper. Rust: dropping the `AbortHandle` (without the
 * free).
 */
mdb_status mdb_abort_handle_abort(mdb_abort_handle *handle);

/**
 * Tells whether the helper of this handle is gone, as `AbortHandle::is_finished` tells in
 * Rust whether the `MigrationHelper` was dropped. The helper is gone:
 *
 * - as soon as `mdb_migration_helper_finish` returns `MDB_OK`, `MDB_ERR_ABORTED` or
 *   `MDB_ERR_STORAGE`: finishing ends the helper, even while its (now stale) handles are not
 *   freed yet;
 * - once the helper handle and every access, index and iterator opened from it are freed,
 *   in any order.
 *
 * Until then the helper is not gone, even after a merge that failed or was aborted
 * (`mdb_migration_helper_merge`, `mdb_migration_helper_iter_loop`): such a helper is unusable, and
 * gone once freed as above.
 *
 * @param[in]  handle        The abort handle. Not NULL.
 * @param[out] out_finished  On `MDB_OK`, whether the helper is gone.
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` if an argument is NULL.
 *
 * Any thread, concurrently with the helper. Rust: `AbortHandle::is_finished`.
 */
mdb_status mdb_abort_handle_is_finished(const mdb_abort_handle *handle,
                                        bool *out_finished);

/**
 * Frees the abort handle WITHOUT aborting the migration: the helper merges as if it had no
 * abort handle.
 *
 * `handle` may be NULL (a no-op). This ends the handle's life like `mdb_abort_handle_free`:
 * call exactly one of the two, once, from any thread.
 *
 * Rust: `AbortHandle::forget`.
 */
void mdb_abort_handle_forget(mdb_abort_handle *handle);

/**
 * Frees the abort handle AND ABORTS THE MIGRATION, as dropping the handle does in Rust: the
 * helper's next merge writes nothing and returns `MDB_ERR_ABORTED`. A garbage-collected
 * host that calls this from a finalizer aborts the migration when the handle is collected;
 * to let go of the handle without aborting, call `mdb_abort_handle_forget` instead.
 *
 * `handle` may be NULL (a no-op). Call exactly one of this and `mdb_abort_handle_forget`,
 * once, from any thread, in any order relative to the helper's handles.
 *
 * Rust: `drop(AbortHandle)`.
 */
void mdb_abort_handle_free(mdb_abort_handle *handle);

/**
 * Returns an access whose indexes live under `prefix.`: name `x` opens `prefix.x`.
 *
 * @param[in]  access      The access to wrap; not itself namespaced. Not NULL.
 * @param[in]  prefix      UTF-8 prefix of `prefix_len` bytes: non-empty, `[A-Za-z0-9_-]` only.
 * @param[out] out_access  On `MDB_OK`, the new access; free it with `mdb_access_free`.
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument, an invalid prefix, or a
 *   namespaced `access`; `MDB_ERR_STALE_HANDLE` if the parent was consumed;
 *   `MDB_ERR_POISONED` after a panic in the family.
 *
 * Rust: `Prefixed::new`.
 */
mdb_status mdb_access_prefixed(const mdb_access *access,
                               const char *prefix,
                               size_t prefix_len,
                               mdb_access **out_access);

/**
 * Returns the access to the migrated indexes of the migration in `namespace`: name `x` opens
 * the new version of `namespace.x`, which replaces the old one when the migration is flushed
 * (`mdb_migration_flush`).
 *
 * Arguments, statuses and ownership as `mdb_access_prefixed`. Rust: `Migration::new`.
 */
mdb_status mdb_access_migration(const mdb_access *access,
                                const char *namespace_,
                                size_t namespace_len,
                                mdb_access **out_access);

/**
 * Returns the scratchpad of the migration in `namespace`: temporary indexes, removed when the
 * migration is flushed or rolled back.
 *
 * Arguments, statuses and ownership as `mdb_access_prefixed`. Rust: `Scratchpad::new`.
 */
mdb_status mdb_access_scratchpad(const mdb_access *access,
                                 const char *namespace_,
                                 size_t namespace_len,
                                 mdb_access **out_access);

/**
 * Looks up the type of the index at an address, without creating anything.
 *
 * @param[in]  access     The access. Not NULL.
 * @param[in]  name       UTF-8 index name of `name_len` bytes.
 * @param[in]  key        Group key of `key_len` bytes. NULL with `key_len` 0: the index
 *                        outside any group; non-NULL with `key_len` 0: the group member
 *                        whose key is empty.
 * @param[out] out_type   On `MDB_OK` with `*out_found`, one of `MDB_INDEX_*`.
 * @param[out] out_found  On `MDB_OK`, whether an index exists there.
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument or an invalid name;
 *   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`; `MDB_ERR_CORRUPTION` if the stored metadata
 *   of the index does not decode; `MDB_ERR_STORAGE` if the index has a type this version does
 *   not know (written by a newer version).
 *
 * Rust: `AccessExt::index_type`.
 */
mdb_status mdb_access_index_type(const mdb_access *access,
                                 const char *name,
                                 size_t name_len,
                                 const uint8_t *key,
                                 size_t key_len,
                                 uint32_t *out_type,
                                 bool *out_found);

/**
 * Frees an access returned by `mdb_fork_readonly` or the `mdb_access_prefixed` family. The
 * borrowed accesses of `mdb_*_as_access` must not be freed (this leaves them alone).
 *
 * `access` may be NULL (a no-op). Call exactly once per handle, from any thread, in any order
 * relative to other handles.
 */
void mdb_access_free(mdb_access *access);

/**
 * Frees the bytes held by `bytes` and resets it to empty (`data` NULL, `len` 0), so a second
 * call is a harmless no-op.
 *
 * `bytes` may be NULL (a no-op). Any thread may call this.
 */
void mdb_bytes_free(mdb_bytes *bytes);

/**
 * Reads the catalogue of a database: every index its pool records, pending migrations
 * included.
 *
 * @param[in]  db             The database. Not NULL.
 * @param[out] out_catalogue  On `MDB_OK`, the new handle; free it with `mdb_catalogue_free`.
 *                            It does not keep `db` open and sees no later merge.
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` if an argument is NULL;
 *   `MDB_ERR_CORRUPTION` if a metadata record or the identifier counter does not decode
 *   (the message names the index); `MDB_ERR_STORAGE` for an index type this version does
 *   not know (reported by `mdb_catalogue_next` on its record).
 *
 * Blocks on I/O. Any thread may call this. Rust: `metaldb::catalogue::Catalogue::read`.
 */
mdb_status mdb_catalogue_new(const mdb_db *db,
                             mdb_catalogue **out_catalogue);

/**
 * Moves to the next index of the catalogue.
 *
 * @param[in]     catalogue  The catalogue. Not NULL.
 * @param[in,out] record     A record whose `struct_size` the caller set to
 *                           `sizeof(mdb_catalogue_record)`; on `MDB_OK` with `*out_found`
 *                           true, filled with the index (`struct_size` unchanged); its
 *                           bytes are borrowed until the next call on `catalogue` or its
 *                           free. Not NULL.
 * @param[out]    out_found  On `MDB_OK`, false once every index was returned (then
 *                           `record` is not written). Not NULL.
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` if an argument is NULL or
 *   `record->struct_size` is below the 1.1 size of the record or above 4096 (it was not
 *   set; the catalogue does not move then); `MDB_ERR_STORAGE` if the index has a type this
 *   version does not know (the iteration goes on at the next call).
 *
 * One call at a time per catalogue. Rust: iterating `Catalogue::records`.
 */
mdb_status mdb_catalogue_next(mdb_catalogue *catalogue,
                              mdb_catalogue_record *record,
                              bool *out_found);

/**
 * Frees a catalogue; the bytes it lent become invalid.
 *
 * `catalogue` may be NULL (a no-op). Call exactly once per handle, from any thread.
 */
void mdb_catalogue_free(mdb_catalogue *catalogue);

/**
 * Fills `options` with the defaults and sets `options->struct_size` to `struct_size`.
 *
 * @param[out] options      The options to fill: `struct_size` writable bytes. Not NULL.
 * @param[in]  struct_size  `sizeof(mdb_db_options)` as the caller's header declares it
 *                          (`sizeof options`): at least the size of the 1.0 struct, at most
 *                          4096. Bytes
 *                          past the fields this library knows are set to zero, the default
 *                          of every field a newer header adds.
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` if `options` is NULL or `struct_size` is out
 *   of range (nothing is written then).
 *
 * Any thread may call this.
 */
mdb_status mdb_db_options_init(mdb_db_options *options,
                               size_t struct_size);

/**
 * Opens (or creates) the RocksDB database in the directory `path`.
 *
 * @param[in]  path     NUL-terminated UTF-8 path of the database directory. Not NULL.
 * @param[in]  options  Options filled by `mdb_db_options_init`, or NULL for the defaults.
 * @param[out] out_db   On `MDB_OK`, the new handle; free it with `mdb_db_free`.
 * With `options->read_only`, the database is opened in RocksDB's read-only mode (no lock,
 * nothing written, merges refused with `MDB_ERR_STORAGE`); it must exist.
 *
 * @return `MDB_OK`;
 *   `MDB_ERR_INVALID_ARGUMENT` if `path` or `out_db` is NULL, `path` is not UTF-8, an
 *   option is unknown, `options->struct_size` is below the 1.0 size or above 4096 (the
 *   struct was not filled by `mdb_db_options_init`), or it is larger than this library
 *   knows and a field this library does not know is not zero;
 *   `MDB_ERR_STORAGE` if RocksDB cannot open the database (missing and `create_if_missing`
 *   off, locked by another process or handle, damaged, I/O error), with RocksDB's text;
 *   `MDB_ERR_INCOMPATIBLE_VERSION` if it was written with another on-disk format version;
 *   `MDB_ERR_CORRUPTION` if its format version record does not decode;
 *   `MDB_ERR_NOT_A_DATABASE` if the directory holds a RocksDB database that metaldb did not
 *   write. In none of these cases is anything written to the database. A new database may be
 *   created in a directory that holds other files; they are left alone.
 *
 * Blocks on I/O. Any thread may call this. Rust: `RocksDB::open`.
 */
mdb_status mdb_db_open(const char *path,
                       const mdb_db_options *options,
                       mdb_db **out_db);

/**
 * Creates an empty database in memory, gone when its last handle is freed. For tests.
 *
 * @param[out] out_db  On `MDB_OK`, the new handle; free it with `mdb_db_free`.
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` if `out_db` is NULL.
 *
 * Any thread may call this. Rust: `TemporaryDB::new`.
 */
mdb_status mdb_db_open_temporary(mdb_db **out_db);

/**
 * Frees a database handle. The database closes once its snapshots and forks (and their
 * children) are freed too; until then they keep working.
 *
 * `db` may be NULL (a no-op). Call exactly once per handle, from any thread.
 */
void mdb_db_free(mdb_db *db);

/**
 * Applies a patch to the database atomically.
 *
 * Indexes that the patch's fork created get their final identifiers here, so forks of one
 * database may create indexes concurrently: two new indexes never share their data, and an
 * index that several forks created receives the writes of each, the later merge winning
 * key by key.
 *
 * @param[in] db     The database. Not NULL.
 * @param[in] patch  The patch to apply. Not NULL. Consumed whatever the result (unless an
 *                   argument is NULL or the patch is poisoned): the handle and its children
 *                   become stale; free them with `mdb_patch_free` and their own `_free`.
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` if an argument is NULL;
 *   `MDB_ERR_STALE_HANDLE` if the patch was already merged;
 *   `MDB_ERR_POISONED` if an earlier call panicked on the patch or its children: nothing is
 *   written, and the patch can only be freed;
 *   `MDB_ERR_STORAGE` if the write failed: then nothing of the patch was written;
 *   `MDB_ERR_CONFLICT` if the patch created an index that a merge since its fork was made
 *   created with another type, and `MDB_ERR_CORRUPTION` if the stored identifier counter or
 *   index metadata does not decode: nothing of the patch was written in either case.
 *
 * Blocks on I/O; merges are serialised. Any thread may call this. Rust: `Database::merge`.
 */
mdb_status mdb_db_merge(mdb_db *db,
                        mdb_patch *patch);

/**
 * Applies a patch like `mdb_db_merge`, and returns once it is durable on disk (fsync).
 *
 * Same arguments, statuses and ownership as `mdb_db_merge`. Rust: `Database::merge_sync`.
 */
mdb_status mdb_db_merge_sync(mdb_db *db,
                             mdb_patch *patch);

/**
 * Writes a checkpoint of the database to `path`: a complete, independent database, sharing
 * unchanged files through hard links where possible.
 *
 * @param[in] db    The database. Not NULL.
 * @param[in] path  NUL-terminated UTF-8 path that must not exist yet; its parent must. Not NULL.
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` if an argument is NULL, the path is not UTF-8,
 *   or the database is a temporary one; `MDB_ERR_STORAGE` if `path` exists, I/O fails, or
 *   the database was opened with `read_only` (RocksDB would leave out the writer's
 *   write-ahead log, so the copy could silently lack acknowledged merges): then nothing is
 *   written.
 *
 * Blocks on I/O. Any thread may call this. Rust: `RocksDB::create_checkpoint`.
 */
mdb_status mdb_db_checkpoint(const mdb_db *db,
                             const char *path);

/**
 * Opens the entry at an address, creating it (without a value) if the access is writable and
 * it does not exist (through a read-only access a missing entry reads as unset).
 *
 * Arguments, statuses and ownership as `mdb_access_map`, with `out_entry` for `out_map`: on
 * `MDB_OK`, the handle; free it with `mdb_entry_free`.
 *
 * Rust: `AccessExt::get_entry`.
 */
mdb_status mdb_access_entry(const mdb_access *access,
                            const char *name,
                            size_t name_len,
                            const uint8_t *key,
                            size_t key_len,
                            mdb_entry **out_entry);

/**
 * Reads the entry's value.
 *
 * @param[in]  entry      The entry. Not NULL.
 * @param[out] out_value  On `MDB_OK` with `*out_found`, the value; free it with
 *                        `mdb_bytes_free`. Untouched when the entry is unset.
 * @param[out] out_found  On `MDB_OK`, whether the entry holds a value.
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
 *   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`.
 *
 * Rust: `Entry::get`.
 */
mdb_status mdb_entry_get(const mdb_entry *entry,
                         mdb_bytes *out_value,
                         bool *out_found);

/**
 * Tells whether the entry holds a value (an empty value counts).
 *
 * @param[in]  entry      The entry. Not NULL.
 * @param[out] out_found  On `MDB_OK`, whether the entry holds a value.
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
 *   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`.
 *
 * Rust: `Entry::exists`.
 */
mdb_status mdb_entry_exists(const mdb_entry *entry,
                            bool *out_found);

/**
 * Sets the entry's value, replacing any previous one. The bytes are copied.
 *
 * @param[in] entry  The entry. Not NULL.
 * @param[in] value  Value of `value_len` bytes (NULL allowed when `value_len` is 0).
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
 *   `MDB_ERR_READONLY` if the entry was opened through a read-only access;
 *   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`.
 *
 * Rust: `Entry::set`.
 */
mdb_status mdb_entry_set(mdb_entry *entry,
                         const uint8_t *value,
                         size_t value_len);

/**
 * Unsets the entry, if it holds a value.
 *
 * @param[in] entry  The entry. Not NULL.
 * @return as `mdb_entry_set`. Rust: `Entry::remove`.
 */
mdb_status mdb_entry_remove(mdb_entry *entry);

/**
 * Unsets the entry and hands over the value it held.
 *
 * @param[in]  entry      The entry. Not NULL.
 * @param[out] out_value  On `MDB_OK` with `*out_found`, the removed value; free it with
 *                        `mdb_bytes_free`. Untouched when the entry was unset.
 * @param[out] out_found  On `MDB_OK`, whether the entry held a value.
 * @return as `mdb_entry_set`. Rust: `Entry::take`.
 */
mdb_status mdb_entry_take(mdb_entry *entry,
                          mdb_bytes *out_value,
                          bool *out_found);

/**
 * Sets the entry's value and hands over the previous one. The bytes are copied.
 *
 * @param[in]  entry      The entry. Not NULL.
 * @param[in]  value      Value of `value_len` bytes (NULL allowed when `value_len` is 0).
 * @param[out] out_value  On `MDB_OK` with `*out_found`, the previous value; free it with
 *                        `mdb_bytes_free`. Untouched when the entry was unset.
 * @param[out] out_found  On `MDB_OK`, whether the entry held a value.
 * @return as `mdb_entry_set`. Rust: `Entry::swap`.
 */
mdb_status mdb_entry_swap(mdb_entry *entry,
                          const uint8_t *value,
                          size_t value_len,
                          mdb_bytes *out_value,
                          bool *out_found);

/**
 * Frees an entry handle, releasing its borrow of the index in the fork.
 *
 * `entry` may be NULL (a no-op). Call exactly once per handle, from any thread, in any order
 * relative to other handles.
 */
void mdb_entry_free(mdb_entry *entry);

/**
 * Creates a fork of the current state of `db`.
 *
 * @param[in]  db        The database. Not NULL.
 * @param[out] out_fork  On `MDB_OK`, the new fork; free it with `mdb_fork_free`.
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` if an argument is NULL.
 *
 * Any thread may call this. Rust: `Database::fork`.
 */
mdb_status mdb_fork_new(const mdb_db *db,
                        mdb_fork **out_fork);

/**
 * Returns the fork as a writable access, to open indexes from. The access is borrowed: valid
 * as long as `fork`, and not to be freed. Returns NULL if `fork` is NULL.
 */
const mdb_access *mdb_fork_as_access(const mdb_fork *fork);

/**
 * Returns a read-only access to the fork, which sees its unflushed changes. Indexes opened
 * through it may coexist with each other, but not with a writable handle on the same index.
 *
 * @param[in]  fork        The fork. Not NULL.
 * @param[out] out_access  On `MDB_OK`, the access; free it with `mdb_access_free`.
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` if an argument is NULL;
 *   `MDB_ERR_STALE_HANDLE` if the fork was consumed; `MDB_ERR_POISONED`.
 *
 * Rust: `Fork::readonly`.
 */
mdb_status mdb_fork_readonly(const mdb_fork *fork,
                             mdb_access **out_access);

/**
 * Makes a checkpoint of the fork's changes, which `mdb_fork_rollback` returns to.
 *
 * Index handles, accesses and iterators of the fork stay valid.
 *
 * @param[in] fork  The fork. Not NULL.
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` if `fork` is NULL;
 *   `MDB_ERR_STALE_HANDLE` if the fork was consumed; `MDB_ERR_POISONED`;
 *   `MDB_ERR_CORRUPTION` (or `MDB_ERR_STORAGE`) if an open index could not be reopened after
 *   the flush, which did happen: that index's handle and its iterators are stale (the message
 *   names the index), the fork's other children stay valid.
 *
 * Rust: `Fork::flush`.
 */
mdb_status mdb_fork_flush(mdb_fork *fork);

/**
 * Discards the fork's changes since the last `mdb_fork_flush`.
 *
 * Every index handle, access and iterator of the fork becomes stale (indexes created since
 * the checkpoint are gone); free them. The fork itself stays usable.
 *
 * @param[in] fork  The fork. Not NULL.
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` if `fork` is NULL;
 *   `MDB_ERR_STALE_HANDLE` if the fork was consumed; `MDB_ERR_POISONED`.
 *
 * Rust: `Fork::rollback`.
 */
mdb_status mdb_fork_rollback(mdb_fork *fork);

/**
 * Turns the fork into a patch, ready for `mdb_db_merge`.
 *
 * On `MDB_OK` the fork is consumed: its handle and all its children become stale (free them
 * as usual). On failure nothing changes.
 *
 * @param[in]  fork       The fork. Not NULL.
 * @param[out] out_patch  On `MDB_OK`, the patch; free it with `mdb_patch_free`.
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` if an argument is NULL;
 *   `MDB_ERR_STALE_HANDLE` if the fork was already consumed; `MDB_ERR_POISONED`.
 *
 * Rust: `Fork::into_patch`.
 */
mdb_status mdb_fork_into_patch(mdb_fork *fork,
                               mdb_patch **out_patch);

/**
 * Frees a fork handle. Unmerged changes are discarded once the fork's children are freed too.
 *
 * `fork` may be NULL (a no-op). Call exactly once per handle, from any thread, in any order
 * relative to its children.
 */
void mdb_fork_free(mdb_fork *fork);

/**
 * Advances the iterator and lends the next entry.
 *
 * @param[in]  iter           The iterator. Not NULL.
 * @param[out] out_key        On `MDB_OK` with `*out_found`, the key bytes: borrowed, valid
 *                            until the next call on `iter` or its free. May be NULL for an
 *                            empty key.
 * @param[out] out_key_len    Length of the key.
 * @param[out] out_value      The value bytes, borrowed like the key.
 * @param[out] out_value_len  Length of the value.
 * @param[out] out_found      On `MDB_OK`, false once the iteration is over (the other
 *                            outputs are then untouched); further calls keep returning false.
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
 *   `MDB_ERR_STALE_HANDLE` if the index or its fork went away; `MDB_ERR_POISONED`;
 *   `MDB_ERR_CORRUPTION` (or `MDB_ERR_STORAGE`) if reading ahead failed: the iterator stays
 *   where it was, and the next call tries the same read again.
 *
 * Rust: `Iterator::next` of `Entries`.
 */
mdb_status mdb_iter_next(mdb_iter *iter,
                         const uint8_t **out_key,
                         size_t *out_key_len,
                         const uint8_t **out_value,
                         size_t *out_value_len,
                         bool *out_found);

/**
 * Advances the iterator by as many entries as fit in the caller's memory, copying each
 * whole entry (key, then value) into `buf` and saying where it is in `entries`: one call for
 * many entries, where `mdb_iter_next` makes one per entry.
 *
 * Entries come in the order `mdb_iter_next` gives them, and the two calls may be mixed on one
 * iterator: each continues where the other stopped. A persistent iterator saves its position
 * once per call, after the last entry copied.
 *
 * @param[in]  iter         The iterator. Not NULL.
 * @param[out] buf          Memory for the entries' bytes, `buf_len` bytes; may be NULL when
 *                          `buf_len` is 0. Must not overlap `entries`.
 * @param[in]  buf_len      Size of `buf`.
 * @param[out] entries      Room for `entries_len` entries: on `MDB_OK`, the first
 *                          `*out_count` say where each entry's key and value are in `buf`.
 *                          Not NULL.
 * @param[in]  entries_len  How many entries `entries` holds: at least 1.
 * @param[out] out_count    On `MDB_OK`, how many entries were copied: 0 only when the
 *                          iteration is over or the next entry does not fit in `buf`
 *                          (`*out_needed` tells which).
 * @param[out] out_needed   On `MDB_OK`, 0, except when `*out_count` is 0 because the next
 *                          entry alone needs more than `buf_len` bytes: then its size (key
 *                          plus value). The iterator has not moved: pass a `buf` of at least
 *                          that size, or take that entry with `mdb_iter_next`.
 * @return `MDB_OK`; the iteration is over when `*out_count` and `*out_needed` are both 0, and
 *   further calls keep returning that, as `mdb_iter_next` keeps returning `*out_found` false.
 *   `MDB_ERR_INVALID_ARGUMENT` for a NULL argument (`buf` with a `buf_len` above 0) or an
 *   `entries_len` of 0; `MDB_ERR_STALE_HANDLE` if the index or its fork went away;
 *   `MDB_ERR_POISONED`; `MDB_ERR_CORRUPTION` (or `MDB_ERR_STORAGE`) if reading ahead failed
 *   before any entry was copied: the iterator stays where it was, and the next call tries
 *   the same read again (a failure after some entries were copied ends the batch with them,
 *   and the next call reports it). On failure the contents of `buf` and `entries` are
 *   unspecified.
 *
 * The bytes belong to the caller: they stay valid whatever the library does next. Like
 * every call on `iter`, it ends the loan of the entry the last `mdb_iter_next` lent.
 *
 * Any thread: calls on the iterator's family are serialised by its lock, held for the whole
 * batch. May block on RocksDB reads.
 *
 * ```c
 * uint8_t buf[65536];
 * mdb_iter_entry entries[256];
 * size_t count, needed;
 * while (mdb_iter_next_batch(iter, buf, sizeof buf, entries, 256, &count, &needed) == MDB_OK
 *        && (count > 0 || needed > 0))
 *     if (count > 0)
 *         use(entries, count); // entries[0 .. count), their bytes in buf
 *     else
 *         take_one(iter); // the next entry needs `needed` bytes: mdb_iter_next lends it
 * // Here: the end, or a failure (mdb_last_error_message says which).
 * ```
 *
 * Rust: `Iterator::next` of `Entries`, called until the buffer is full.
 */
mdb_status mdb_iter_next_batch(mdb_iter *iter,
                               uint8_t *buf,
                               size_t buf_len,
                               mdb_iter_entry *entries,
                               size_t entries_len,
                               size_t *out_count,
                               size_t *out_needed);

/**
 * Frees an iterator; its index accepts writes again once its last iterator is freed.
 *
 * `iter` may be NULL (a no-op). Call exactly once per handle, from any thread, in any order
 * relative to other handles.
 */
void mdb_iter_free(mdb_iter *iter);

/**
 * Opens the key set at an address, creating it if the access is writable and it does not
 * exist (through a read-only access a missing key set reads as empty).
 *
 * Arguments, statuses and ownership as `mdb_access_map`, with `out_key_set` for `out_map`: on
 * `MDB_OK`, the handle; free it with `mdb_key_set_free`.
 *
 * Rust: `AccessExt::get_key_set`.
 */
mdb_status mdb_access_key_set(const mdb_access *access,
                              const char *name,
                              size_t name_len,
                              const uint8_t *key,
                              size_t key_len,
                              mdb_key_set **out_key_set);

/**
 * Tells whether `key` is in the set.
 *
 * @param[in]  key_set    The key set. Not NULL.
 * @param[in]  key        Key of `key_len` bytes (NULL allowed when `key_len` is 0).
 * @param[out] out_found  On `MDB_OK`, whether the key is in the set.
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
 *   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`.
 *
 * Rust: `KeySetIndex::contains`.
 */
mdb_status mdb_key_set_contains(const mdb_key_set *key_set,
                                const uint8_t *key,
                                size_t key_len,
                                bool *out_found);

/**
 * Adds `key` to the set; adding a key that is already there changes nothing. The bytes are
 * copied.
 *
 * @param[in] key_set  The key set. Not NULL.
 * @param[in] key      Key of `key_len` bytes (NULL allowed when `key_len` is 0).
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
 *   `MDB_ERR_READONLY` if the key set was opened through a read-only access;
 *   `MDB_ERR_BORROWED` while an iterator over the key set is live;
 *   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`.
 *
 * Rust: `KeySetIndex::insert`.
 */
mdb_status mdb_key_set_insert(mdb_key_set *key_set,
                              const uint8_t *key,
                              size_t key_len);

/**
 * Removes `key` from the set, if it is there.
 *
 * Arguments and statuses as `mdb_key_set_insert`. Rust: `KeySetIndex::remove`.
 */
mdb_status mdb_key_set_remove(mdb_key_set *key_set,
                              const uint8_t *key,
                              size_t key_len);

/**
 * Removes every key. The key set itself (its type) stays.
 *
 * @param[in] key_set  The key set. Not NULL.
 * @return as `mdb_key_set_insert`. Rust: `KeySetIndex::clear`.
 */
mdb_status mdb_key_set_clear(mdb_key_set *key_set);

/**
 * Starts an iteration over the set's keys in byte order, from the first key `>= from`. The
 * values `mdb_iter_next` lends are empty. While the iterator lives, writes to the key set
 * fail with `MDB_ERR_BORROWED`.
 *
 * @param[in]  key_set   The key set. Not NULL.
 * @param[in]  from      Start key of `from_len` bytes; NULL with `from_len` 0 starts at the
 *                       beginning.
 * @param[out] out_iter  On `MDB_OK`, the iterator; free it with `mdb_iter_free`.
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
 *   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`.
 *
 * Rust: `KeySetIndex::iter_from`.
 */
mdb_status mdb_key_set_iter(const mdb_key_set *key_set,
                            const uint8_t *from,
                            size_t from_len,
                            mdb_iter **out_iter);

/**
 * Frees a key set handle, releasing its borrow of the index in the fork.
 *
 * `key_set` may be NULL (a no-op). Call exactly once per handle, from any thread, in any
 * order relative to other handles.
 */
void mdb_key_set_free(mdb_key_set *key_set);

/**
 * Opens the list at an address, creating it if the access is writable and it does not exist
 * (through a read-only access a missing list reads as empty).
 *
 * Arguments, statuses and ownership as `mdb_access_map`, with `out_list` for `out_map`: on
 * `MDB_OK`, the handle; free it with `mdb_list_free`.
 *
 * Rust: `AccessExt::get_list`.
 */
mdb_status mdb_access_list(const mdb_access *access,
                           const char *name,
                           size_t name_len,
                           const uint8_t *key,
                           size_t key_len,
                           mdb_list **out_list);

/**
 * Looks up the value at `position`.
 *
 * @param[in]  list       The list. Not NULL.
 * @param[in]  position   The position, from 0.
 * @param[out] out_value  On `MDB_OK` with `*out_found`, the value; free it with
 *                        `mdb_bytes_free`. Untouched when not found.
 * @param[out] out_found  On `MDB_OK`, whether a value is stored at `position`.
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
 *   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`.
 *
 * Rust: `ListIndex::get`.
 */
mdb_status mdb_list_get(const mdb_list *list,
                        uint64_t position,
                        mdb_bytes *out_value,
                        bool *out_found);

/**
 * Looks up the last value, the one at `mdb_list_len - 1`.
 *
 * @param[in]  list       The list. Not NULL.
 * @param[out] out_value  On `MDB_OK` with `*out_found`, the value; free it with
 *                        `mdb_bytes_free`. Untouched when the list is empty.
 * @param[out] out_found  On `MDB_OK`, false if the list is empty.
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
 *   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`.
 *
 * Rust: `ListIndex::last`.
 */
mdb_status mdb_list_last(const mdb_list *list,
                         mdb_bytes *out_value,
                         bool *out_found);

/**
 * Gives the number of values in the list.
 *
 * @param[in]  list     The list. Not NULL.
 * @param[out] out_len  On `MDB_OK`, the length (0 for an empty list).
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
 *   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`.
 *
 * Rust: `ListIndex::len`.
 */
mdb_status mdb_list_len(const mdb_list *list,
                        uint64_t *out_len);

/**
 * Appends a value at the end of the list, at position `mdb_list_len`. The bytes are copied.
 *
 * @param[in] list   The list. Not NULL.
 * @param[in] value  Value of `value_len` bytes (NULL allowed when `value_len` is 0).
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
 *   `MDB_ERR_READONLY` if the list was opened through a read-only access;
 *   `MDB_ERR_BORROWED` while an iterator over the list is live;
 *   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`.
 *
 * Rust: `ListIndex::push`.
 */
mdb_status mdb_list_push(mdb_list *list,
                         const uint8_t *value,
                         size_t value_len);

/**
 * Removes the last value and hands it over.
 *
 * @param[in]  list       The list. Not NULL.
 * @param[out] out_value  On `MDB_OK` with `*out_found`, the removed value; free it with
 *                        `mdb_bytes_free`. Untouched when the list was empty.
 * @param[out] out_found  On `MDB_OK`, false if the list was empty (nothing changed).
 * @return as `mdb_list_push`. Rust: `ListIndex::pop`.
 */
mdb_status mdb_list_pop(mdb_list *list,
                        mdb_bytes *out_value,
                        bool *out_found);

/**
 * Replaces the value at `position`, which must be below `mdb_list_len`. The bytes are
 * copied.
 *
 * @param[in] list      The list. Not NULL.
 * @param[in] position  The position, below the list's length.
 * @param[in] value     Value of `value_len` bytes (NULL allowed when `value_len` is 0).
 * @return `MDB_OK`; `MDB_ERR_OUT_OF_RANGE` if `position >= mdb_list_len` (nothing changed);
 *   otherwise as `mdb_list_push`.
 *
 * Rust: `ListIndex::set`.
 */
mdb_status mdb_list_set(mdb_list *list,
                        uint64_t position,
                        const uint8_t *value,
                        size_t value_len);

/**
 * Shortens the list to `len` values, removing the ones from position `len` on. Does nothing
 * if the list is not longer.
 *
 * @param[in] list  The list. Not NULL.
 * @param[in] len   The length to keep.
 * @return as `mdb_list_push`. Rust: `ListIndex::truncate`.
 */
mdb_status mdb_list_truncate(mdb_list *list,
                             uint64_t len);

/**
 * Removes every value; the length goes back to 0. The list itself (its type) stays.
 *
 * @param[in] list  The list. Not NULL.
 * @return as `mdb_list_push`. Rust: `ListIndex::clear`.
 */
mdb_status mdb_list_clear(mdb_list *list);

/**
 * Starts an iteration over the list's values in order of position, from `from_position` on.
 * Each key `mdb_iter_next` lends is the position as 8 big-endian bytes. While the iterator
 * lives, writes to the list fail with `MDB_ERR_BORROWED`.
 *
 * @param[in]  list           The list. Not NULL.
 * @param[in]  from_position  The first position to visit; 0 for the whole list.
 * @param[out] out_iter       On `MDB_OK`, the iterator; free it with `mdb_iter_free`.
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
 *   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`.
 *
 * Rust: `ListIndex::iter_from`.
 */
mdb_status mdb_list_iter(const mdb_list *list,
                         uint64_t from_position,
                         mdb_iter **out_iter);

/**
 * Frees a list handle, releasing its borrow of the index in the fork.
 *
 * `list` may be NULL (a no-op). Call exactly once per handle, from any thread, in any order
 * relative to other handles.
 */
void mdb_list_free(mdb_list *list);

/**
 * Opens the map at an address, creating it if the access is writable and it does not exist
 * (through a read-only access a missing map reads as empty).
 *
 * @param[in]  access   The access. Not NULL.
 * @param[in]  name     UTF-8 index name of `name_len` bytes: `[A-Za-z0-9_.-]`, not empty,
 *                      not starting with `__` unless it has a dot.
 * @param[in]  key      Group key of `key_len` bytes. NULL with `key_len` 0: the index
 *                      outside any group; non-NULL with `key_len` 0: the group member
 *                      whose key is empty.
 * @param[out] out_map  On `MDB_OK`, the map; free it with `mdb_map_free`.
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument, a name that is not UTF-8
 *   or not a valid index name; `MDB_ERR_WRONG_TYPE` if another kind of index is there;
 *   `MDB_ERR_BORROWED` if the map is already open in this fork in a conflicting way (a second
 *   writable handle, or writable and read-only handles together); `MDB_ERR_STALE_HANDLE`;
 *   `MDB_ERR_POISONED`;
 *   `MDB_ERR_CORRUPTION` if the stored metadata of the index (or, to create it, the
 *   identifier counter) does not decode: the message names the record.
 *
 * Rust: `AccessExt::get_map`.
 */
mdb_status mdb_access_map(const mdb_access *access,
                          const char *name,
                          size_t name_len,
                          const uint8_t *key,
                          size_t key_len,
                          mdb_map **out_map);

/**
 * Looks up the value of `key`.
 *
 * @param[in]  map        The map. Not NULL.
 * @param[in]  key        Key of `key_len` bytes (NULL allowed when `key_len` is 0).
 * @param[out] out_value  On `MDB_OK` with `*out_found`, the value; free it with
 *                        `mdb_bytes_free`. Untouched when not found.
 * @param[out] out_found  On `MDB_OK`, whether the key is present.
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
 *   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`.
 *
 * Rust: `MapIndex::get`.
 */
mdb_status mdb_map_get(const mdb_map *map,
                       const uint8_t *key,
                       size_t key_len,
                       mdb_bytes *out_value,
                       bool *out_found);

/**
 * Tells whether `key` is present.
 *
 * @param[in]  map        The map. Not NULL.
 * @param[in]  key        Key of `key_len` bytes (NULL allowed when `key_len` is 0).
 * @param[out] out_found  On `MDB_OK`, whether the key is present.
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
 *   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`.
 *
 * Rust: `MapIndex::contains`.
 */
mdb_status mdb_map_contains(const mdb_map *map,
                            const uint8_t *key,
                            size_t key_len,
                            bool *out_found);

/**
 * Sets the value of `key`, replacing any previous value. The bytes are copied.
 *
 * @param[in] map    The map. Not NULL.
 * @param[in] key    Key of `key_len` bytes (NULL allowed when `key_len` is 0).
 * @param[in] value  Value of `value_len` bytes (NULL allowed when `value_len` is 0).
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
 *   `MDB_ERR_READONLY` if the map was opened through a read-only access;
 *   `MDB_ERR_BORROWED` while an iterator over the map is live;
 *   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`.
 *
 * Rust: `MapIndex::put`.
 */
mdb_status mdb_map_put(mdb_map *map,
                       const uint8_t *key,
                       size_t key_len,
                       const uint8_t *value,
                       size_t value_len);

/**
 * Removes `key` if it is present.
 *
 * Arguments and statuses as `mdb_map_put`, without the value. Rust: `MapIndex::remove`.
 */
mdb_status mdb_map_remove(mdb_map *map,
                          const uint8_t *key,
                          size_t key_len);

/**
 * Removes every entry of the map. The map itself (its type) stays.
 *
 * @param[in] map  The map. Not NULL.
 * @return as `mdb_map_put`. Rust: `MapIndex::clear`.
 */
mdb_status mdb_map_clear(mdb_map *map);

/**
 * Starts an iteration over the map's entries in key order, from the first key `>= from`.
 * While the iterator lives, writes to the map fail with `MDB_ERR_BORROWED`.
 *
 * @param[in]  map       The map. Not NULL.
 * @param[in]  from      Start key of `from_len` bytes; NULL with `from_len` 0 starts at the
 *                       beginning.
 * @param[out] out_iter  On `MDB_OK`, the iterator; free it with `mdb_iter_free`.
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
 *   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`.
 *
 * Rust: `MapIndex::iter_from`.
 */
mdb_status mdb_map_iter(const mdb_map *map,
                        const uint8_t *from,
                        size_t from_len,
                        mdb_iter **out_iter);

/**
 * Frees a map handle, releasing its borrow of the index in the fork.
 *
 * `map` may be NULL (a no-op). Call exactly once per handle, from any thread, in any order
 * relative to other handles.
 */
void mdb_map_free(mdb_map *map);

/**
 * Creates a migration helper for the migration in `namespace`, with a fork of `db`.
 *
 * @param[in]  db             The database. Not NULL.
 * @param[in]  namespace_     UTF-8 namespace of `namespace_len` bytes: non-empty,
 *                            `[A-Za-z0-9_-]` only. The migration concerns the indexes named
 *                            `namespace.*`.
 * @param[out] out_helper     On `MDB_OK`, the helper; free it with
 *                            `mdb_migration_helper_free`.
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument or an invalid namespace.
 *
 * Any thread may call this. Rust: `MigrationHelper::new`.
 */
mdb_status mdb_migration_helper_new(const mdb_db *db,
                                    const char *namespace_,
                                    size_t namespace_len,
                                    mdb_migration_helper **out_helper);

/**
 * Creates a migration helper like `mdb_migration_helper_new`, together with its abort
 * handle, which aborts the migration from any thread (`mdb_abort_handle_abort`) and tells
 * when the helper is gone (`mdb_abort_handle_is_finished`).
 *
 * Freeing the abort handle with `mdb_abort_handle_free` ABORTS the migration; release it
 * with `mdb_abort_handle_forget` to let the migration go on.
 *
 * @param[in]  db                The database. Not NULL.
 * @param[in]  namespace_        As for `mdb_migration_helper_new`.
 * @param[out] out_helper        On `MDB_OK`, the helper; free it with
 *                               `mdb_migration_helper_free`.
 * @param[out] out_abort_handle  On `MDB_OK`, its abort handle; end it with exactly one of
 *                               `mdb_abort_handle_free` (aborts) or `mdb_abort_handle_forget`.
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument or an invalid namespace.
 *
 * Any thread may call this. Rust: `MigrationHelper::with_handle`.
 */
mdb_status mdb_migration_helper_new_with_abort(const mdb_db *db,
                                               const char *namespace_,
                                               size_t namespace_len,
                                               mdb_migration_helper **out_helper,
                                               mdb_abort_handle **out_abort_handle);

/**
 * Returns a writable access to the new version of the migrated data: name `x` opens the
 * migrated `namespace.x`, which replaces the old index when the migration is flushed.
 * Tombstones are created through it (`mdb_migration_create_tombstone`).
 *
 * @param[in]  helper      The helper. Not NULL.
 * @param[out] out_access  On `MDB_OK`, the access; free it with `mdb_access_free`. It becomes
 *                         stale at the helper's next merge, like every child of the helper.
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` if an argument is NULL;
 *   `MDB_ERR_STALE_HANDLE` after the helper finished or a merge failed; `MDB_ERR_POISONED`.
 *
 * Rust: `MigrationHelper::new_data`.
 */
mdb_status mdb_migration_helper_new_data(const mdb_migration_helper *helper,
                                         mdb_access **out_access);

/**
 * Returns a read-only access to the old version of the migrated data: name `x` opens the
 * current `namespace.x`, as the helper's fork sees it.
 *
 * Arguments, statuses and ownership as `mdb_migration_helper_new_data`.
 * Rust: `MigrationHelper::old_data`.
 */
mdb_status mdb_migration_helper_old_data(const mdb_migration_helper *helper,
                                         mdb_access **out_access);

/**
 * Returns a writable access to the migration's scratchpad: temporary indexes (such as the
 * positions of persistent iterators), merged with the helper's steps and removed when the
 * migration is flushed or rolled back.
 *
 * Arguments, statuses and ownership as `mdb_migration_helper_new_data`.
 * Rust: `MigrationHelper::scratchpad`.
 */
mdb_status mdb_migration_helper_scratchpad(const mdb_migration_helper *helper,
                                           mdb_access **out_access);

/**
 * Merges the changes made through the helper's views into the database, and starts a new
 * fork for the next step. Does not flush the migration.
 *
 * Every access, index and iterator of the helper becomes stale, whatever the result: free
 * them, and open new ones from the helper for the next step.
 *
 * @param[in] helper  The helper. Not NULL.
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` if `helper` is NULL;
 *   `MDB_ERR_ABORTED` if the migration was aborted through its abort handle: nothing of this
 *   step was written; `MDB_ERR_STORAGE` if the write failed; `MDB_ERR_CONFLICT` if the step
 *   created an index that a merge since the step began created with another type, and
 *   `MDB_ERR_CORRUPTION` if the stored identifier counter does not decode: nothing of the
 *   step was written (as `mdb_db_merge`). After any of these, the helper is unusable: every
 *   later call on it returns `MDB_ERR_STALE_HANDLE` (free it as usual).
 *   `MDB_ERR_STALE_HANDLE` if the helper already finished or failed; `MDB_ERR_POISONED`.
 *
 * Blocks on I/O. Rust: `MigrationHelper::merge`.
 */
mdb_status mdb_migration_helper_merge(mdb_migration_helper *helper);

/**
 * Merges the helper's remaining changes into the database and ends the helper. Does not
 * flush the migration.
 *
 * Consumes the helper whatever the result (unless `helper` is NULL or already stale): the
 * helper and all its children become stale; free them as usual.
 *
 * @param[in] helper  The helper. Not NULL.
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` if `helper` is NULL; `MDB_ERR_ABORTED` if the
 *   migration was aborted: nothing of the last step was written; `MDB_ERR_STORAGE`,
 *   `MDB_ERR_CONFLICT` or `MDB_ERR_CORRUPTION` as for `mdb_migration_helper_merge`;
 *   `MDB_ERR_STALE_HANDLE` if the helper already finished or failed;
 *   `MDB_ERR_POISONED`.
 *
 * Blocks on I/O. Rust: `MigrationHelper::finish`.
 */
mdb_status mdb_migration_helper_finish(mdb_migration_helper *helper);

/**
 * Runs a migration in rounds until its persistent iterators are exhausted, merging after
 * each round.
 *
 * Each round calls `step(helper, iters, user_data)`. The step opens views of the helper,
 * creates persistent iterators over old indexes through `iters`
 * (`mdb_persistent_iters_new_map` and friends), takes a bounded number of entries from
 * them and writes the migrated data. After the step returns, the round's changes are merged
 * (as by `mdb_migration_helper_merge`: every child of the helper becomes stale, so free the
 * round's handles, before or after). The loop ends after the round in which every iterator
 * created through `iters` has reached its end; a round that creates none is the last. The
 * positions live in the scratchpad, so a loop that is stopped (by a crash, an error, an abort)
 * and run again with a new helper resumes where its last merged round ended.
 *
 * The helper's lock is not held while the step runs.
 *
 * @param[in] helper     The helper. Not NULL. The step must not merge, finish or free it.
 * @param[in] step       The step callback. Not NULL.
 * @param[in] user_data  Passed to every call of `step` unchanged; may be NULL.
 * @return `MDB_OK` once a round ended every iterator and was merged;
 *   any other status a step returned: the loop stops at once, and that round's changes stay
 *   unmerged in the helper (`mdb_migration_helper_merge` writes them, freeing the helper drops
 *   them); the thread's error message is the step's last one if it left one;
 *   `MDB_ERR_INVALID_ARGUMENT` if `helper` or `step` is NULL, or a stored position is not a
 *   position; `MDB_ERR_ABORTED`, `MDB_ERR_STORAGE`, `MDB_ERR_CONFLICT` or
 *   `MDB_ERR_CORRUPTION` from a round's merge, which then left the helper unusable (as
 *   `mdb_migration_helper_merge`);
 *   `MDB_ERR_STALE_HANDLE` if the helper finished or failed; `MDB_ERR_POISONED`.
 *
 * Blocks on I/O at every merge. Rust: `MigrationHelper::iter_loop`.
 */
mdb_status mdb_migration_helper_iter_loop(mdb_migration_helper *helper,
                                          mdb_migration_step step,
                                          void *user_data);

/**
 * Frees a migration helper handle. Once the accesses, indexes and iterators opened from the
 * helper are freed too, in any order, the helper is gone: its unmerged changes are discarded
 * and `mdb_abort_handle_is_finished` reports it finished.
 *
 * `helper` may be NULL (a no-op). Call exactly once per handle, from any thread, in any order
 * relative to its children and its abort handle.
 */
void mdb_migration_helper_free(mdb_migration_helper *helper);

/**
 * Creates a persistent iterator over a map, for this round of `mdb_migration_helper_iter_loop`: an
 * `mdb_iter` that saves, at every `mdb_iter_next`, the key it will resume from in the entry
 * `name` of the helper's scratchpad, and resumes from the saved key if there is one. An
 * iterator whose saved position is its end yields nothing, even if items were added since.
 *
 * The saved position is the key of the next entry, so take a bounded number of entries per
 * round. While the iterator lives, the map refuses writes.
 *
 * @param[in]  iters     The round's iterators, as lent to the step. Not NULL.
 * @param[in]  name      UTF-8 name of the position entry, `name_len` bytes: a valid index
 *                       name, unique among the loop's iterators.
 * @param[in]  map       The map to iterate, opened from one of the helper's views (usually
 *                       `mdb_migration_helper_old_data`). Not NULL.
 * @param[out] out_iter  On `MDB_OK`, the iterator; free it with `mdb_iter_free`. It becomes
 *                       stale when the round ends.
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument, an invalid name, a map of
 *   another family, or an entry `name` that holds no position; `MDB_ERR_WRONG_TYPE` if an
 *   index of another type than an entry is at `name` in the scratchpad; `MDB_ERR_BORROWED` if
 *   an iterator with this name is still live and not at its end; `MDB_ERR_STALE_HANDLE`;
 *   `MDB_ERR_POISONED`; `MDB_ERR_CORRUPTION` if the stored metadata of the position entry
 *   (or, to create it, the identifier counter) does not decode.
 *
 * Rust: `PersistentIters::create`.
 */
mdb_status mdb_persistent_iters_new_map(mdb_persistent_iters *iters,
                                        const char *name,
                                        size_t name_len,
                                        const mdb_map *map,
                                        mdb_iter **out_iter);

/**
 * Creates a persistent iterator over a list for this round, as
 * `mdb_persistent_iters_new_map` does for a map. Its keys are 8-byte big-endian positions.
 *
 * Arguments (`list` for `map`), statuses and ownership as `mdb_persistent_iters_new_map`.
 * Rust: `PersistentIters::create`.
 */
mdb_status mdb_persistent_iters_new_list(mdb_persistent_iters *iters,
                                         const char *name,
                                         size_t name_len,
                                         const mdb_list *list,
                                         mdb_iter **out_iter);

/**
 * Creates a persistent iterator over a sparse list for this round, as
 * `mdb_persistent_iters_new_map` does for a map. Its keys are 8-byte big-endian positions.
 *
 * Arguments (`sparse_list` for `map`), statuses and ownership as `mdb_persistent_iters_new_map`.
 * Rust: `PersistentIters::create`.
 */
mdb_status mdb_persistent_iters_new_sparse_list(mdb_persistent_iters *iters,
                                                const char *name,
                                                size_t name_len,
                                                const mdb_sparse_list *sparse_list,
                                                mdb_iter **out_iter);

/**
 * Creates a persistent iterator over a key set for this round, as
 * `mdb_persistent_iters_new_map` does for a map. Its values are empty.
 *
 * Arguments (`key_set` for `map`), statuses and ownership as `mdb_persistent_iters_new_map`.
 * Rust: `PersistentIters::create`.
 */
mdb_status mdb_persistent_iters_new_key_set(mdb_persistent_iters *iters,
                                            const char *name,
                                            size_t name_len,
                                            const mdb_key_set *key_set,
                                            mdb_iter **out_iter);

/**
 * Creates a persistent iterator over a map: an `mdb_iter` that saves, at every
 * `mdb_iter_next`, the key it will resume from in the entry `name` of `access`, and resumes
 * from the saved key if there is one, in this process or after a restart. An iterator whose
 * saved position is its end yields nothing, even if items were added since.
 *
 * The position is written through the fork of `access`, so it persists once that fork (or
 * the helper) is merged. While the iterator lives, the map refuses writes and the position
 * entry is borrowed.
 *
 * @param[in]  access    Where the position entry lives: a writable access of a fork or a
 *                       migration helper, normally a scratchpad (`mdb_access_scratchpad`,
 *                       `mdb_migration_helper_scratchpad`). Not NULL.
 * @param[in]  name      UTF-8 name of the position entry, `name_len` bytes: a valid index name.
 * @param[in]  map       The map to iterate, opened from the same fork or helper as `access`.
 *                       Not NULL.
 * @param[out] out_iter  On `MDB_OK`, the iterator; free it with `mdb_iter_free`.
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument, an invalid name, a map of
 *   another family, or an entry `name` that holds no position; `MDB_ERR_READONLY` if `access`
 *   cannot write; `MDB_ERR_WRONG_TYPE` if an index of another type than an entry is at
 *   `name`; `MDB_ERR_BORROWED` if an iterator with this name is still live and not at its end,
 *   or the entry is open elsewhere; `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`;
 *   `MDB_ERR_CORRUPTION` if the stored metadata of the position entry (or, to create it, the
 *   identifier counter) does not decode.
 *
 * Rust: `PersistentIter::new`.
 */
mdb_status mdb_persistent_iter_new_map(const mdb_access *access,
                                       const char *name,
                                       size_t name_len,
                                       const mdb_map *map,
                                       mdb_iter **out_iter);

/**
 * Creates a persistent iterator over a list, as `mdb_persistent_iter_new_map` does for a map.
 * Its keys are 8-byte big-endian positions.
 *
 * Arguments (`list` for `map`), statuses and ownership as `mdb_persistent_iter_new_map`.
 * Rust: `PersistentIter::new`.
 */
mdb_status mdb_persistent_iter_new_list(const mdb_access *access,
                                        const char *name,
                                        size_t name_len,
                                        const mdb_list *list,
                                        mdb_iter **out_iter);

/**
 * Creates a persistent iterator over a sparse list, as `mdb_persistent_iter_new_map` does for
 * a map. Its keys are 8-byte big-endian positions.
 *
 * Arguments (`sparse_list` for `map`), statuses and ownership as `mdb_persistent_iter_new_map`.
 * Rust: `PersistentIter::new`.
 */
mdb_status mdb_persistent_iter_new_sparse_list(const mdb_access *access,
                                               const char *name,
                                               size_t name_len,
                                               const mdb_sparse_list *sparse_list,
                                               mdb_iter **out_iter);

/**
 * Creates a persistent iterator over a key set, as `mdb_persistent_iter_new_map` does for a
 * map. Its values are empty.
 *
 * Arguments (`key_set` for `map`), statuses and ownership as `mdb_persistent_iter_new_map`.
 * Rust: `PersistentIter::new`.
 */
mdb_status mdb_persistent_iter_new_key_set(const mdb_access *access,
                                           const char *name,
                                           size_t name_len,
                                           const mdb_key_set *key_set,
                                           mdb_iter **out_iter);

/**
 * Flushes the migration in `namespace` into `fork`; the migration is complete once the fork
 * is merged: migrated indexes replace their old versions, indexes with tombstones are removed,
 * and the migration's scratchpad is cleared.
 *
 * Flush on a fork created after the migration's last merge (`mdb_migration_helper_finish`):
 * an older fork misses that data, and flushing it would lose it.
 *
 * Every index handle, access and iterator of the fork becomes stale; free them. The fork
 * itself stays usable. Like `mdb_fork_flush`, the call ends with a checkpoint: a later
 * `mdb_fork_rollback` returns to the state right after it.
 *
 * @param[in] fork           The fork. Not NULL.
 * @param[in] namespace_     UTF-8 namespace of `namespace_len` bytes: non-empty,
 *                           `[A-Za-z0-9_-]` only.
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument or an invalid namespace;
 *   `MDB_ERR_STALE_HANDLE` if the fork was consumed; `MDB_ERR_POISONED`;
 *   `MDB_ERR_CORRUPTION` if the stored metadata of an index of the migration, of an index it
 *   replaces or of its scratchpad does not decode: then the fork and its children are left
 *   as they were.
 *
 * Rust: `flush_migration`.
 */
mdb_status mdb_migration_flush(mdb_fork *fork,
                               const char *namespace_,
                               size_t namespace_len);

/**
 * Rolls back the migration in `namespace` in `fork`: once the fork is merged, the migrated
 * indexes and the scratchpad are gone and the old indexes stay as they are. Migration data
 * already merged stays behind in the database, unreachable.
 *
 * Every index handle, access and iterator of the fork becomes stale; free them. The fork
 * itself stays usable. Like `mdb_fork_flush`, the call ends with a checkpoint: a later
 * `mdb_fork_rollback` returns to the state right after it.
 *
 * Arguments and statuses as `mdb_migration_flush`. Rust: `rollback_migration`.
 */
mdb_status mdb_migration_rollback(mdb_fork *fork,
                                  const char *namespace_,
                                  size_t namespace_len);

/**
 * Marks the index at an address as removed by the migration: when the migration is flushed,
 * the old index there is deleted. Creating a tombstone twice is harmless, and a tombstone
 * needs no old index. No other index can be opened at the address in the migration after it.
 *
 * @param[in] access    A writable migration access (`mdb_migration_helper_new_data`, or
 *                      `mdb_access_migration` over a fork). Not NULL.
 * @param[in] name      UTF-8 index name of `name_len` bytes, relative to the namespace.
 * @param[in] key       Group key of `key_len` bytes. NULL with `key_len` 0: the index
 *                      outside any group; non-NULL with `key_len` 0: the group member
 *                      whose key is empty.
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument, an invalid name, or an
 *   access that is not a migration access; `MDB_ERR_READONLY` if the access cannot write (over
 *   a snapshot, a patch or a read-only fork); `MDB_ERR_WRONG_TYPE` if the migration already
 *   has another kind of index there; `MDB_ERR_BORROWED` if an index handle of the family is
 *   open at the address; `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`;
 *   `MDB_ERR_CORRUPTION` if the stored metadata there (or, to create the tombstone, the
 *   identifier counter) does not decode.
 *
 * Rust: `Migration::create_tombstone`.
 */
mdb_status mdb_migration_create_tombstone(mdb_access *access,
                                          const char *name,
                                          size_t name_len,
                                          const uint8_t *key,
                                          size_t key_len);

/**
 * Returns the patch as a read-only access, to open indexes from. The access is borrowed:
 * valid as long as `patch`, and not to be freed. Returns NULL if `patch` is NULL.
 */
const mdb_access *mdb_patch_as_access(const mdb_patch *patch);

/**
 * Turns a patch back into a fork, whose flushed changes are the patch.
 *
 * On `MDB_OK` the patch is consumed: its handle and children become stale (free them as
 * usual). On failure nothing changes.
 *
 * @param[in]  patch     The patch. Not NULL.
 * @param[out] out_fork  On `MDB_OK`, the fork; free it with `mdb_fork_free`.
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` if an argument is NULL;
 *   `MDB_ERR_STALE_HANDLE` if the patch was consumed; `MDB_ERR_POISONED`.
 *
 * Rust: `Fork::from(patch)`.
 */
mdb_status mdb_patch_into_fork(mdb_patch *patch,
                               mdb_fork **out_fork);

/**
 * Frees a patch handle; an unmerged patch is discarded once its children are freed too.
 *
 * `patch` may be NULL (a no-op). Call exactly once per handle, from any thread.
 */
void mdb_patch_free(mdb_patch *patch);

/**
 * Takes a snapshot: an immutable, isolated view of the database now.
 *
 * @param[in]  db            The database. Not NULL.
 * @param[out] out_snapshot  On `MDB_OK`, the new handle; free it with `mdb_snapshot_free`.
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` if an argument is NULL.
 *
 * Any thread may call this. Rust: `Database::snapshot`.
 */
mdb_status mdb_snapshot_new(const mdb_db *db,
                            mdb_snapshot **out_snapshot);

/**
 * Returns the snapshot as an access, to open indexes from. The access is borrowed: valid as
 * long as `snapshot`, and not to be freed. Returns NULL if `snapshot` is NULL.
 */
const mdb_access *mdb_snapshot_as_access(const mdb_snapshot *snapshot);

/**
 * Frees a snapshot handle. Indexes opened from it keep working until they are freed too.
 *
 * `snapshot` may be NULL (a no-op). Call exactly once per handle, from any thread.
 */
void mdb_snapshot_free(mdb_snapshot *snapshot);

/**
 * Opens the sparse list at an address, creating it if the access is writable and it does not
 * exist (through a read-only access a missing sparse list reads as empty).
 *
 * Arguments, statuses and ownership as `mdb_access_map`, with `out_sparse_list` for `out_map`: on
 * `MDB_OK`, the handle; free it with `mdb_sparse_list_free`.
 *
 * Rust: `AccessExt::get_sparse_list`.
 */
mdb_status mdb_access_sparse_list(const mdb_access *access,
                                  const char *name,
                                  size_t name_len,
                                  const uint8_t *key,
                                  size_t key_len,
                                  mdb_sparse_list **out_sparse_list);

/**
 * Looks up the value at `position`.
 *
 * @param[in]  sparse_list  The sparse list. Not NULL.
 * @param[in]  position     The position, from 0.
 * @param[out] out_value    On `MDB_OK` with `*out_found`, the value; free it with
 *                          `mdb_bytes_free`. Untouched when not found.
 * @param[out] out_found    On `MDB_OK`, whether a value is stored at `position`.
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
 *   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`.
 *
 * Rust: `SparseListIndex::get`.
 */
mdb_status mdb_sparse_list_get(const mdb_sparse_list *sparse_list,
                               uint64_t position,
                               mdb_bytes *out_value,
                               bool *out_found);

/**
 * Gives the number of values present.
 *
 * @param[in]  sparse_list  The sparse list. Not NULL.
 * @param[out] out_len      On `MDB_OK`, the number of values (0 for an empty list).
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
 *   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`.
 *
 * Rust: `SparseListIndex::len`.
 */
mdb_status mdb_sparse_list_len(const mdb_sparse_list *sparse_list,
                               uint64_t *out_len);

/**
 * Gives the capacity: one past the highest position ever used, where the next
 * `mdb_sparse_list_push` stores. Removing values never lowers it; `mdb_sparse_list_clear`
 * resets it to 0.
 *
 * @param[in]  sparse_list   The sparse list. Not NULL.
 * @param[out] out_capacity  On `MDB_OK`, the capacity.
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
 *   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`.
 *
 * Rust: `SparseListIndex::capacity`.
 */
mdb_status mdb_sparse_list_capacity(const mdb_sparse_list *sparse_list,
                                    uint64_t *out_capacity);

/**
 * Stores a value at position `mdb_sparse_list_capacity`, growing the capacity and the length
 * by one. The bytes are copied.
 *
 * @param[in] sparse_list  The sparse list. Not NULL.
 * @param[in] value        Value of `value_len` bytes (NULL allowed when `value_len` is 0).
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
 *   `MDB_ERR_OUT_OF_RANGE` if the capacity is already `UINT64_MAX` (nothing changed);
 *   `MDB_ERR_READONLY` if the sparse list was opened through a read-only access;
 *   `MDB_ERR_BORROWED` while an iterator over the sparse list is live;
 *   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`.
 *
 * Rust: `SparseListIndex::push`.
 */
mdb_status mdb_sparse_list_push(mdb_sparse_list *sparse_list,
                                const uint8_t *value,
                                size_t value_len);

/**
 * Stores a value at `position`, handing over the value it replaces. Filling an empty position
 * grows the length by one, and the capacity to `position + 1` if it was smaller. The bytes
 * are copied.
 *
 * @param[in]  sparse_list  The sparse list. Not NULL.
 * @param[in]  position     The position, from 0.
 * @param[in]  value        Value of `value_len` bytes (NULL allowed when `value_len` is 0).
 * @param[out] out_value    On `MDB_OK` with `*out_found`, the replaced value; free it with
 *                          `mdb_bytes_free`. Untouched when the position was empty.
 * @param[out] out_found    On `MDB_OK`, whether a value was replaced.
 * @return `MDB_OK`; `MDB_ERR_OUT_OF_RANGE` if `position` is `UINT64_MAX` and empty (the
 *   capacity would overflow; nothing changed); otherwise as `mdb_sparse_list_push`.
 *
 * Rust: `SparseListIndex::set`.
 */
mdb_status mdb_sparse_list_set(mdb_sparse_list *sparse_list,
                               uint64_t position,
                               const uint8_t *value,
                               size_t value_len,
                               mdb_bytes *out_value,
                               bool *out_found);

/**
 * Removes the value at `position`, if any, and hands it over. The capacity is unchanged.
 *
 * @param[in]  sparse_list  The sparse list. Not NULL.
 * @param[in]  position     The position, from 0.
 * @param[out] out_value    On `MDB_OK` with `*out_found`, the removed value; free it with
 *                          `mdb_bytes_free`. Untouched when the position was empty.
 * @param[out] out_found    On `MDB_OK`, whether a value was removed.
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
 *   `MDB_ERR_READONLY` if the sparse list was opened through a read-only access;
 *   `MDB_ERR_BORROWED` while an iterator over the sparse list is live;
 *   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`.
 *
 * Rust: `SparseListIndex::remove`.
 */
mdb_status mdb_sparse_list_remove(mdb_sparse_list *sparse_list,
                                  uint64_t position,
                                  mdb_bytes *out_value,
                                  bool *out_found);

/**
 * Removes the **first** value (the one at the lowest position), not the last, and hands it
 * over. The capacity is unchanged.
 *
 * @param[in]  sparse_list  The sparse list. Not NULL.
 * @param[out] out_value    On `MDB_OK` with `*out_found`, the removed value; free it with
 *                          `mdb_bytes_free`. Untouched when the list was empty.
 * @param[out] out_found    On `MDB_OK`, false if the list was empty (nothing changed).
 * @return as `mdb_sparse_list_remove`. Rust: `SparseListIndex::pop`.
 */
mdb_status mdb_sparse_list_pop(mdb_sparse_list *sparse_list,
                               mdb_bytes *out_value,
                               bool *out_found);

/**
 * Removes every value; the capacity and the length go back to 0. The sparse list itself (its
 * type) stays.
 *
 * @param[in] sparse_list  The sparse list. Not NULL.
 * @return as `mdb_sparse_list_remove`. Rust: `SparseListIndex::clear`.
 */
mdb_status mdb_sparse_list_clear(mdb_sparse_list *sparse_list);

/**
 * Starts an iteration over the values present, in order of position, from `from_position`
 * on. Each key `mdb_iter_next` lends is the position as 8 big-endian bytes. While the
 * iterator lives, writes to the sparse list fail with `MDB_ERR_BORROWED`.
 *
 * @param[in]  sparse_list    The sparse list. Not NULL.
 * @param[in]  from_position  The lowest position to visit; 0 for the whole list.
 * @param[out] out_iter       On `MDB_OK`, the iterator; free it with `mdb_iter_free`.
 * @return `MDB_OK`; `MDB_ERR_INVALID_ARGUMENT` for a NULL argument;
 *   `MDB_ERR_STALE_HANDLE`; `MDB_ERR_POISONED`.
 *
 * Rust: `SparseListIndex::iter_from`.
 */
mdb_status mdb_sparse_list_iter(const mdb_sparse_list *sparse_list,
                                uint64_t from_position,
                                mdb_iter **out_iter);

/**
 * Frees a sparse list handle, releasing its borrow of the index in the fork.
 *
 * `sparse_list` may be NULL (a no-op). Call exactly once per handle, from any thread, in any
 * order relative to other handles.
 */
void mdb_sparse_list_free(mdb_sparse_list *sparse_list);

/**
 * A static description of a status code, such as `"stale handle"`. Never NULL, never freed;
 * unknown codes give `"unknown status code"`. Unlike other calls, it keeps the thread's error
 * message, so `mdb_status_str(s)` and `mdb_last_error_message()` may be used in one
 * expression. Any thread.
 */
const char *mdb_status_str(mdb_status status);

/**
 * The message of the last failed call on this thread, NUL-terminated: empty after a
 * successful call (every call but this one and `mdb_last_error_copy` clears it).
 *
 * The string is borrowed: valid until the next metaldb call on this thread. Never NULL.
 *
 * In a host whose threads of execution move between OS threads (Go's goroutines), read the
 * message on the same OS thread as the failed call (Go: `runtime.LockOSThread` around both).
 * The status code alone is always right.
 */
const char *mdb_last_error_message(void);

/**
 * Copies the last error message of this thread (as `mdb_last_error_message`) into `buf`,
 * NUL-terminated, truncated to `buf_len - 1` bytes.
 *
 * @param[out] buf      Destination of `buf_len` bytes; may be NULL when `buf_len` is 0.
 * @param[in]  buf_len  Size of `buf`.
 * @return The length of the whole message, without its NUL: the copy was truncated if this
 *         is `>= buf_len`.
 *
 * Does not change the message. Any thread.
 */
size_t mdb_last_error_copy(char *buf,
                           size_t buf_len);

/**
 * The version of the library as a NUL-terminated string, such as `"1.0.0"`; static, never
 * freed. Compare with `METALDB_VERSION_STRING`, the version of the header. Any thread.
 */
const char *mdb_version_str(void);

/**
 * The version of the library as one number, `MAJOR * 1000000 + MINOR * 1000 + PATCH`, as
 * `METALDB_VERSION_NUMBER` is for the header. Any thread.
 */
uint32_t mdb_version_number(void);

/**
 * The optional features built into the library, as a set of `MDB_FEATURE_*` bits. Any thread.
 */
uint32_t mdb_features(void);

#if defined(METALDB_FAULT_INJECTION)
/**
 * TEST ONLY, in libraries built with the cargo feature `fault-injection` (never in a shipped
 * library): makes the next call on this thread that locks a family of handles (a fork, a
 * patch, a snapshot or a migration helper, with the accesses, indexes and iterators opened
 * from it) panic while it holds the lock.
 *
 * That call returns `MDB_ERR_PANIC` with a message, and poisons the family: later calls on
 * any handle of it return `MDB_ERR_POISONED`, while its handles can still be freed. Calls
 * that lock no family (`mdb_db_*` calls that take no fork, snapshot or patch, `_free`s)
 * leave the panic armed. Arming twice arms one panic.
 *
 * Affects only the calling thread.
 */
void mdb_fault_injection_arm_panic(void);
#endif

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* METALDB_H */
