// A C++ client of the installed module map: `import CMetalDB;` (C++20 with Clang modules), no
// `#include "metaldb.h"`. Built by tests/packaging.rs with
// `clang++ -std=c++20 -fmodules -I<includedir>/metaldb`, linked with `pkg-config --libs metaldb`.
// Run: module_client_cxx <database-directory>
import CMetalDB;

#include <cstdio>
#include <cstring>

namespace {

// Closes the database when it goes out of scope.
struct Database {
    mdb_db *handle = nullptr;
    Database() = default;
    Database(const Database &) = delete;
    Database &operator=(const Database &) = delete;
    ~Database() { mdb_db_close(handle); }
};

}  // namespace

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s <database-directory>\n", argv[0]);
        return 2;
    }
    if (std::strcmp(mdb_version_string(), METALDB_VERSION_STRING) != 0) {
        std::fprintf(stderr, "library %s, header %s\n", mdb_version_string(),
                     METALDB_VERSION_STRING);
        return 1;
    }
    Database db;
    const mdb_status status = mdb_db_open(argv[1], nullptr, &db.handle);
    if (status != MDB_OK) {
        std::fprintf(stderr, "mdb_db_open: %s: %s\n", mdb_status_str(status),
                     mdb_last_error_message());
        return 1;
    }
    std::printf("C++ module client: metaldb %s ok\n", mdb_version_string());
    return 0;
}
