// A C++ client of the installed module map: `import CMetalDB;` (C++20 with Clang modules), no
// `#include "metaldb.h"`. Built by tests/packaging.rs with
// `clang++ -std=c++20 -fmodules -I<includedir>/metaldb`, linked with `pkg-config --libs metaldb`.
import CMetalDB;

#include <cstdio>
#include <string_view>

int main() {
    if (mdb_version_number() != METALDB_VERSION_NUMBER) {
        std::fprintf(stderr, "library %u, header %u\n", unsigned{mdb_version_number()},
                     unsigned{METALDB_VERSION_NUMBER});
        return 1;
    }
    const char *ok = mdb_status_str(MDB_OK);
    if (ok == nullptr || std::string_view{ok}.empty()) {
        std::fprintf(stderr, "mdb_status_str(MDB_OK) is empty\n");
        return 1;
    }
    std::printf("C++ module client: metaldb %s ok\n", METALDB_VERSION_STRING);
    return 0;
}
