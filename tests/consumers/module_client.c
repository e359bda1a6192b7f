/*
 * A C client of the installed module map: imports the module CMetalDB by name, as Clang
 * modules users do (clang 14 has no `@import` in C; this pragma is its C spelling), with no
 * `#include "metaldb.h"`. Built by tests/packaging.rs with
 * `clang -fmodules -I<includedir>/metaldb`, linked with `pkg-config --libs metaldb`.
 */
#pragma clang module import CMetalDB

#include <stdio.h>

int main(void) {
    /* The module exports the header's macros and constants too. */
    if (mdb_version_number() != METALDB_VERSION_NUMBER) {
        fprintf(stderr, "library %u, header %u\n", (unsigned)mdb_version_number(),
                (unsigned)METALDB_VERSION_NUMBER);
        return 1;
    }
    const char *ok = mdb_status_str(MDB_OK);
    if (ok == NULL || ok[0] == '\0') {
        fprintf(stderr, "mdb_status_str(MDB_OK) is empty\n");
        return 1;
    }
    printf("C module client: metaldb %s ok\n", METALDB_VERSION_STRING);
    return 0;
}
