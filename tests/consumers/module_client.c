/*
 * A C client of the installed module map: imports the module CMetalDB by name, as Clang
 * modules users do (clang 14 has no `@import` in C; this pragma is its C spelling), with no
 * `#include "metaldb.h"`. Built by tests/packaging.rs with
 * `clang -fmodules -I<includedir>/metaldb`, linked with `pkg-config --libs metaldb`.
 * Run: module_client <database-directory>
 */
#pragma clang module import CMetalDB

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s <database-directory>\n", argv[0]);
        return 2;
    }
    /* The module exports the header's macros too. */
    if (strcmp(mdb_version_string(), METALDB_VERSION_STRING) != 0) {
        fprintf(stderr, "library %s, header %s\n", mdb_version_string(), METALDB_VERSION_STRING);
        return 1;
    }
    mdb_db *db = NULL;
    mdb_status status = mdb_db_open(argv[1], NULL, &db);
    if (status != MDB_OK) {
        fprintf(stderr, "mdb_db_open: %s: %s\n", mdb_status_str(status), mdb_last_error_message());
        return 1;
    }
    mdb_db_close(db);
    printf("C module client: metaldb %s ok\n", mdb_version_string());
    return 0;
}
