// Wrappers over metaldb.h for the Go package: the only place that names metaldb's fallible
// C functions, so that a renamed function is one line to change. Every file of the package
// includes it (a cgo preamble only sees its own file's C declarations).
#ifndef METALDB_GO_H
#define METALDB_GO_H

#include <stdlib.h>
#include <string.h>
#include "metaldb.h"

#if !defined(METALDB_VERSION_MAJOR) || METALDB_VERSION_MAJOR != 1
#error "this metaldb Go package supports metaldb.h 1.x only; see bindings/go/README.md"
#endif

// A status with the message of the failure, read in the same cgo call as the status.
//
// The library keeps the message per OS thread, and a goroutine may move to another OS thread
// between two cgo calls; reading the message in a second call could give another goroutine's
// message or none. Wrapping each call with runtime.LockOSThread would work too, but costs two
// cgo calls per failure and must be repeated at every call site (git2go missed 28 and gained
// a lint for it); a wrapper that reads the message before returning to Go cannot be misused,
// and costs nothing on success.
typedef struct {
	mdb_status status;
	char *msg; // malloc'd by mdbgo_result_of on failure, freed by the Go side
} mdbgo_result;

static inline mdbgo_result mdbgo_result_of(mdb_status status) {
	mdbgo_result r;
	r.status = status;
	r.msg = NULL;
	if (status != MDB_OK) {
		size_t len = mdb_last_error_copy(NULL, 0);
		r.msg = malloc(len + 1);
		if (r.msg != NULL) {
			mdb_last_error_copy(r.msg, len + 1);
		}
	}
	return r;
}

// MDBGO_CALL(go_name, c_call, (params)) defines go_name(params), which returns c_call's
// status with its message. Parameters are declared non-const, which suits C functions that
// take either const or non-const handles.
#define MDBGO_PARAMS(...) __VA_ARGS__
#define MDBGO_CALL(go_name, c_call, params) \
	static inline mdbgo_result go_name(MDBGO_PARAMS params) { return mdbgo_result_of(c_call); }

// MDBGO_OUT(go_name, c_call, (params)) is MDBGO_CALL for a call with outputs: c_call writes
// them into r.value (an owned value), r.found and r.n, which go_name returns by value with the
// status. Outputs in Go variables passed by pointer would be moved to the heap by cgo, one
// allocation each per call; a returned struct costs none.
typedef struct {
	mdbgo_result result;
	mdb_bytes value; // owned: free with mdbgo_bytes_free
	bool found;
	uint64_t n;
} mdbgo_out;

#define MDBGO_OUT(go_name, c_call, params) \
	static inline mdbgo_out go_name(MDBGO_PARAMS params) { \
		mdbgo_out r; \
		memset(&r, 0, sizeof r); \
		r.result = mdbgo_result_of(c_call); \
		return r; \
	}

// Frees a value of mdbgo_out, passed by value for the same reason.
static inline void mdbgo_bytes_free(mdb_bytes value) { mdb_bytes_free(&value); }

// Databases.
MDBGO_CALL(mdbgo_db_open, mdb_db_open(path, options, out), (const char *path, mdb_db_options *options, mdb_db **out))
MDBGO_CALL(mdbgo_db_open_temporary, mdb_db_open_temporary(out), (mdb_db **out))
MDBGO_CALL(mdbgo_snapshot_new, mdb_snapshot_new(db, out), (mdb_db *db, mdb_snapshot **out))
MDBGO_CALL(mdbgo_fork_new, mdb_fork_new(db, out), (mdb_db *db, mdb_fork **out))
MDBGO_CALL(mdbgo_db_merge, mdb_db_merge(db, patch), (mdb_db *db, mdb_patch *patch))
MDBGO_CALL(mdbgo_db_merge_sync, mdb_db_merge_sync(db, patch), (mdb_db *db, mdb_patch *patch))
MDBGO_CALL(mdbgo_db_checkpoint, mdb_db_checkpoint(db, path), (mdb_db *db, const char *path))

MDBGO_CALL(mdbgo_db_options_init, mdb_db_options_init(options, sizeof *options), (mdb_db_options *options))

// The catalogue. The step sets the record's struct_size from this package's header, so the
// library fills exactly the fields the Go side declares.
MDBGO_CALL(mdbgo_catalogue_new, mdb_catalogue_new(db, out), (mdb_db *db, mdb_catalogue **out))
static inline mdbgo_result mdbgo_catalogue_next(mdb_catalogue *c, mdb_catalogue_record *record, bool *found) {
	memset(record, 0, sizeof *record);
	record->struct_size = sizeof *record;
	return mdbgo_result_of(mdb_catalogue_next(c, record, found));
}

// Forks and patches.
MDBGO_CALL(mdbgo_fork_readonly, mdb_fork_readonly(fork, out), (mdb_fork *fork, mdb_access **out))
MDBGO_CALL(mdbgo_fork_flush, mdb_fork_flush(fork), (mdb_fork *fork))
MDBGO_CALL(mdbgo_fork_rollback, mdb_fork_rollback(fork), (mdb_fork *fork))
MDBGO_CALL(mdbgo_fork_into_patch, mdb_fork_into_patch(fork, out), (mdb_fork *fork, mdb_patch **out))
MDBGO_CALL(mdbgo_patch_into_fork, mdb_patch_into_fork(patch, out), (mdb_patch *patch, mdb_fork **out))

// Accesses.
MDBGO_CALL(mdbgo_access_prefixed, mdb_access_prefixed(a, p, n, out), (mdb_access *a, const char *p, size_t n, mdb_access **out))
MDBGO_CALL(mdbgo_access_migration, mdb_access_migration(a, p, n, out), (mdb_access *a, const char *p, size_t n, mdb_access **out))
MDBGO_CALL(mdbgo_access_scratchpad, mdb_access_scratchpad(a, p, n, out), (mdb_access *a, const char *p, size_t n, mdb_access **out))
MDBGO_CALL(mdbgo_access_index_type, mdb_access_index_type(a, name, n, key, k, type, found),
	(mdb_access *a, const char *name, size_t n, const uint8_t *key, size_t k, uint32_t *type, bool *found))

// Opens the index of type `kind` (MDB_INDEX_*) at an address, so that one Go function opens
// every kind.
static inline mdbgo_result mdbgo_access_open(uint32_t kind, mdb_access *a, const char *name, size_t n, const uint8_t *key,
		size_t k, void **out) {
	mdb_status s;
	switch (kind) {
	case MDB_INDEX_MAP: { mdb_map *h; s = mdb_access_map(a, name, n, key, k, &h); *out = h; break; }
	case MDB_INDEX_LIST: { mdb_list *h; s = mdb_access_list(a, name, n, key, k, &h); *out = h; break; }
	case MDB_INDEX_SPARSE_LIST: { mdb_sparse_list *h; s = mdb_access_sparse_list(a, name, n, key, k, &h); *out = h; break; }
	case MDB_INDEX_ENTRY: { mdb_entry *h; s = mdb_access_entry(a, name, n, key, k, &h); *out = h; break; }
	case MDB_INDEX_KEY_SET: { mdb_key_set *h; s = mdb_access_key_set(a, name, n, key, k, &h); *out = h; break; }
	default: return mdbgo_result_of(MDB_ERR_INVALID_ARGUMENT);
	}
	if (s != MDB_OK) {
		*out = NULL;
	}
	return mdbgo_result_of(s);
}

// Maps.
MDBGO_OUT(mdbgo_map_get, mdb_map_get(m, k, kn, &r.value, &r.found), (mdb_map *m, const uint8_t *k, size_t kn))
MDBGO_OUT(mdbgo_map_contains, mdb_map_contains(m, k, kn, &r.found), (mdb_map *m, const uint8_t *k, size_t kn))
MDBGO_CALL(mdbgo_map_put, mdb_map_put(m, k, kn, v, vn), (mdb_map *m, const uint8_t *k, size_t kn, const uint8_t *v, size_t vn))
MDBGO_CALL(mdbgo_map_remove, mdb_map_remove(m, k, kn), (mdb_map *m, const uint8_t *k, size_t kn))
MDBGO_CALL(mdbgo_map_clear, mdb_map_clear(m), (mdb_map *m))
MDBGO_CALL(mdbgo_map_iter, mdb_map_iter(m, k, kn, out), (mdb_map *m, const uint8_t *k, size_t kn, mdb_iter **out))

// Lists.
MDBGO_OUT(mdbgo_list_get, mdb_list_get(l, i, &r.value, &r.found), (mdb_list *l, uint64_t i))
MDBGO_OUT(mdbgo_list_last, mdb_list_last(l, &r.value, &r.found), (mdb_list *l))
MDBGO_OUT(mdbgo_list_len, mdb_list_len(l, &r.n), (mdb_list *l))
MDBGO_CALL(mdbgo_list_push, mdb_list_push(l, v, vn), (mdb_list *l, const uint8_t *v, size_t vn))
MDBGO_OUT(mdbgo_list_pop, mdb_list_pop(l, &r.value, &r.found), (mdb_list *l))
MDBGO_CALL(mdbgo_list_set, mdb_list_set(l, i, v, vn), (mdb_list *l, uint64_t i, const uint8_t *v, size_t vn))
MDBGO_CALL(mdbgo_list_truncate, mdb_list_truncate(l, n), (mdb_list *l, uint64_t n))
MDBGO_CALL(mdbgo_list_clear, mdb_list_clear(l), (mdb_list *l))
MDBGO_CALL(mdbgo_list_iter, mdb_list_iter(l, i, out), (mdb_list *l, uint64_t i, mdb_iter **out))

// Sparse lists.
MDBGO_OUT(mdbgo_sparse_list_get, mdb_sparse_list_get(l, i, &r.value, &r.found),
	(mdb_sparse_list *l, uint64_t i))
MDBGO_OUT(mdbgo_sparse_list_len, mdb_sparse_list_len(l, &r.n), (mdb_sparse_list *l))
MDBGO_OUT(mdbgo_sparse_list_capacity, mdb_sparse_list_capacity(l, &r.n), (mdb_sparse_list *l))
MDBGO_CALL(mdbgo_sparse_list_push, mdb_sparse_list_push(l, v, vn), (mdb_sparse_list *l, const uint8_t *v, size_t vn))
MDBGO_OUT(mdbgo_sparse_list_set, mdb_sparse_list_set(l, i, v, vn, &r.value, &r.found),
	(mdb_sparse_list *l, uint64_t i, const uint8_t *v, size_t vn))
MDBGO_OUT(mdbgo_sparse_list_remove, mdb_sparse_list_remove(l, i, &r.value, &r.found),
	(mdb_sparse_list *l, uint64_t i))
MDBGO_OUT(mdbgo_sparse_list_pop, mdb_sparse_list_pop(l, &r.value, &r.found), (mdb_sparse_list *l))
MDBGO_CALL(mdbgo_sparse_list_clear, mdb_sparse_list_clear(l), (mdb_sparse_list *l))
MDBGO_CALL(mdbgo_sparse_list_iter, mdb_sparse_list_iter(l, i, out), (mdb_sparse_list *l, uint64_t i, mdb_iter **out))

// Entries.
MDBGO_OUT(mdbgo_entry_get, mdb_entry_get(e, &r.value, &r.found), (mdb_entry *e))
MDBGO_OUT(mdbgo_entry_exists, mdb_entry_exists(e, &r.found), (mdb_entry *e))
MDBGO_CALL(mdbgo_entry_set, mdb_entry_set(e, v, vn), (mdb_entry *e, const uint8_t *v, size_t vn))
MDBGO_CALL(mdbgo_entry_remove, mdb_entry_remove(e), (mdb_entry *e))
MDBGO_OUT(mdbgo_entry_take, mdb_entry_take(e, &r.value, &r.found), (mdb_entry *e))
MDBGO_OUT(mdbgo_entry_swap, mdb_entry_swap(e, v, vn, &r.value, &r.found),
	(mdb_entry *e, const uint8_t *v, size_t vn))

// Key sets.
MDBGO_OUT(mdbgo_key_set_contains, mdb_key_set_contains(s, k, kn, &r.found),
	(mdb_key_set *s, const uint8_t *k, size_t kn))
MDBGO_CALL(mdbgo_key_set_insert, mdb_key_set_insert(s, k, kn), (mdb_key_set *s, const uint8_t *k, size_t kn))
MDBGO_CALL(mdbgo_key_set_remove, mdb_key_set_remove(s, k, kn), (mdb_key_set *s, const uint8_t *k, size_t kn))
MDBGO_CALL(mdbgo_key_set_clear, mdb_key_set_clear(s), (mdb_key_set *s))
MDBGO_CALL(mdbgo_key_set_iter, mdb_key_set_iter(s, k, kn, out), (mdb_key_set *s, const uint8_t *k, size_t kn, mdb_iter **out))

// Iterators: the step (of persistent iterators) returns the borrowed key and value with the
// status, in one cgo call.
typedef struct {
	mdbgo_result result;
	const uint8_t *key;
	size_t key_len;
	const uint8_t *value;
	size_t value_len;
	bool found;
} mdbgo_next;

static inline mdbgo_next mdbgo_iter_next(mdb_iter *it) {
	mdbgo_next n;
	memset(&n, 0, sizeof n);
	n.result = mdbgo_result_of(mdb_iter_next(it, &n.key, &n.key_len, &n.value, &n.value_len, &n.found));
	return n;
}

// Plain iterators read in batches (iter.go): mdb_iter_next_batch copies whole entries into a
// Go buffer, and the wrapper tells where each one is as offsets into it. The library's
// mdb_iter_entry array, which holds pointers into that buffer, stays on this call's C stack:
// Go memory passed to C must not hold Go pointers, and C must not keep them after the call.
#define MDBGO_BATCH_ENTRIES 256

// Where an entry of a batch is in the buffer: offsets and lengths of its key and value.
typedef struct {
	size_t key, key_len, value, value_len;
} mdbgo_entry;

typedef struct {
	mdbgo_result result;
	size_t count;  // entries copied, 0 at the end or when the next one does not fit
	size_t needed; // with count 0: the size of the next entry, which did not fit; 0 at the end
} mdbgo_batch;

// Reads the next batch, of up to n entries (at most MDBGO_BATCH_ENTRIES), into buf.
static inline mdbgo_batch mdbgo_iter_next_batch(mdb_iter *it, uint8_t *buf, size_t buf_len, mdbgo_entry *out, size_t n) {
	mdb_iter_entry entries[MDBGO_BATCH_ENTRIES];
	mdbgo_batch b;
	memset(&b, 0, sizeof b);
	if (n > MDBGO_BATCH_ENTRIES) {
		n = MDBGO_BATCH_ENTRIES;
	}
	b.result = mdbgo_result_of(mdb_iter_next_batch(it, buf, buf_len, entries, n, &b.count, &b.needed));
	if (b.result.status != MDB_OK) {
		b.count = 0;
		b.needed = 0;
	}
	for (size_t i = 0; i < b.count; i++) {
		// An empty key or value may be NULL, and has no offset to tell.
		out[i].key = entries[i].key_len > 0 ? (size_t)(entries[i].key - buf) : 0;
		out[i].key_len = entries[i].key_len;
		out[i].value = entries[i].value_len > 0 ? (size_t)(entries[i].value - buf) : 0;
		out[i].value_len = entries[i].value_len;
	}
	return b;
}

// Opens a persistent iterator over the index `index` of type `kind`: through an access
// (`iters` NULL) or for the current round of a migration loop.
static inline mdbgo_result mdbgo_persistent_iter(uint32_t kind, mdb_access *a, mdb_persistent_iters *iters,
		const char *name, size_t n, void *index, mdb_iter **out) {
	mdb_status s;
	switch (kind) {
	case MDB_INDEX_MAP:
		s = iters != NULL ? mdb_persistent_iters_new_map(iters, name, n, index, out)
		                  : mdb_persistent_iter_new_map(a, name, n, index, out);
		break;
	case MDB_INDEX_LIST:
		s = iters != NULL ? mdb_persistent_iters_new_list(iters, name, n, index, out)
		                  : mdb_persistent_iter_new_list(a, name, n, index, out);
		break;
	case MDB_INDEX_SPARSE_LIST:
		s = iters != NULL ? mdb_persistent_iters_new_sparse_list(iters, name, n, index, out)
		                  : mdb_persistent_iter_new_sparse_list(a, name, n, index, out);
		break;
	case MDB_INDEX_KEY_SET:
		s = iters != NULL ? mdb_persistent_iters_new_key_set(iters, name, n, index, out)
		                  : mdb_persistent_iter_new_key_set(a, name, n, index, out);
		break;
	default:
		s = MDB_ERR_INVALID_ARGUMENT;
	}
	return mdbgo_result_of(s);
}

// Migrations.
MDBGO_CALL(mdbgo_migration_helper_new, mdb_migration_helper_new(db, ns, n, out),
	(mdb_db *db, const char *ns, size_t n, mdb_migration_helper **out))
MDBGO_CALL(mdbgo_migration_helper_new_with_abort, mdb_migration_helper_new_with_abort(db, ns, n, out, abort),
	(mdb_db *db, const char *ns, size_t n, mdb_migration_helper **out, mdb_abort_handle **abort))
MDBGO_CALL(mdbgo_migration_helper_new_data, mdb_migration_helper_new_data(h, out), (mdb_migration_helper *h, mdb_access **out))
MDBGO_CALL(mdbgo_migration_helper_old_data, mdb_migration_helper_old_data(h, out), (mdb_migration_helper *h, mdb_access **out))
MDBGO_CALL(mdbgo_migration_helper_scratchpad, mdb_migration_helper_scratchpad(h, out), (mdb_migration_helper *h, mdb_access **out))
MDBGO_CALL(mdbgo_migration_helper_merge, mdb_migration_helper_merge(h), (mdb_migration_helper *h))
MDBGO_CALL(mdbgo_migration_helper_finish, mdb_migration_helper_finish(h), (mdb_migration_helper *h))
MDBGO_CALL(mdbgo_migration_flush, mdb_migration_flush(f, ns, n), (mdb_fork *f, const char *ns, size_t n))
MDBGO_CALL(mdbgo_migration_rollback, mdb_migration_rollback(f, ns, n), (mdb_fork *f, const char *ns, size_t n))
MDBGO_CALL(mdbgo_migration_create_tombstone, mdb_migration_create_tombstone(a, name, n, key, k),
	(mdb_access *a, const char *name, size_t n, const uint8_t *key, size_t k))
MDBGO_CALL(mdbgo_abort_handle_abort, mdb_abort_handle_abort(h), (mdb_abort_handle *h))
MDBGO_OUT(mdbgo_abort_handle_is_finished, mdb_abort_handle_is_finished(h, &r.found), (mdb_abort_handle *h))

// The step of mdbgo_migration_iter_loop is in Go (migration_step.go); `loop` is a
// runtime/cgo.Handle to the loop's state, an integer that the trampoline carries through the
// library's `void *user_data`.
extern mdb_status mdbgoMigrationStep(mdb_migration_helper *helper, mdb_persistent_iters *iters, uintptr_t loop);

static inline mdb_status mdbgo_step_trampoline(mdb_migration_helper *h, mdb_persistent_iters *iters, void *loop) {
	return mdbgoMigrationStep(h, iters, (uintptr_t)loop);
}

static inline mdbgo_result mdbgo_migration_iter_loop(mdb_migration_helper *h, uintptr_t loop) {
	return mdbgo_result_of(mdb_migration_helper_iter_loop(h, mdbgo_step_trampoline, (void *)loop));
}


#endif
