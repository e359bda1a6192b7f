// Compile-only: metaldb.h is usable from C++ (extern "C", no C-only constructs), with
// -Wall -Wextra -Werror. tests/ffi_c.rs compiles this file and does not run it.
#include "metaldb.h"

#include <cstddef>
#include <cstdint>

namespace {

// Every kind of declaration is used once, so that the compiler checks it.
mdb_status open_and_read(const char *path) {
    mdb_db_options options;
    if (mdb_db_options_init(&options, sizeof options) != MDB_OK) {
        return MDB_ERR_INVALID_ARGUMENT;
    }
    options.create_if_missing = false;
    mdb_db *db = nullptr;
    mdb_status status = mdb_db_open(path, &options, &db);
    if (status != MDB_OK) {
        return status;
    }
    mdb_snapshot *snapshot = nullptr;
    status = mdb_snapshot_new(db, &snapshot);
    if (status == MDB_OK) {
        mdb_map *map = nullptr;
        static const char name[] = "balances";
        status = mdb_access_map(mdb_snapshot_as_access(snapshot), name, sizeof name - 1, nullptr,
                                0, &map);
        if (status == MDB_OK) {
            mdb_bytes value = {nullptr, 0, 0};
            bool found = false;
            const std::uint8_t key[] = {'k'};
            status = mdb_map_get(map, key, sizeof key, &value, &found);
            mdb_bytes_free(&value);
            mdb_map_free(map);
        }
        mdb_snapshot_free(snapshot);
    }
    mdb_db_free(db);
    return status;
}

mdb_status step(mdb_migration_helper *helper, mdb_persistent_iters *iters, void *user_data) {
    static_cast<void>(helper);
    static_cast<void>(iters);
    static_cast<void>(user_data);
    return MDB_OK;
}

}  // namespace

int main(int argc, char **argv) {
    static_assert(MDB_OK == 0, "MDB_OK is zero");
    static_assert(METALDB_VERSION_NUMBER ==
                      METALDB_VERSION_MAJOR * 1000000 + METALDB_VERSION_MINOR * 1000 +
                          METALDB_VERSION_PATCH,
                  "the version number is derived from its parts");
    mdb_migration_step callback = step;
    static_cast<void>(callback);
    const char *text = mdb_status_str(MDB_ERR_STALE_HANDLE);
    static_cast<void>(text);
    std::size_t length = mdb_last_error_copy(nullptr, 0);
    static_cast<void>(length);
    return argc > 1 ? static_cast<int>(open_and_read(argv[1])) : 0;
}
