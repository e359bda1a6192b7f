/*
 * LMDB's lmdb.h and metaldb.h in one translation unit, and a program linked with both
 * libraries that calls into each: no function, type or macro of metaldb collides with
 * LMDB's (LMDB owns mdb_env_*, mdb_txn_*, mdb_version, MDB_VERSION_*, MDB_SUCCESS, ...).
 *
 * Built with -Wall -Wextra -Werror and linked with -llmdb -lmetaldb by tests/ffi_c.rs, which
 * also runs it and compares the symbol tables of the two libraries.
 */
#include <lmdb.h>
#include <stdio.h>
#include <string.h>

#include "metaldb.h"

int main(void) {
    MDB_env *env = NULL;
    mdb_db *db = NULL;
    int major = 0, minor = 0, patch = 0;
    const char *lmdb_version;
    int failures = 0;

    /* LMDB */
    if (mdb_env_create(&env) != MDB_SUCCESS) {
        printf("FAIL mdb_env_create\n");
        failures++;
    } else {
        mdb_env_close(env);
    }
    lmdb_version = mdb_version(&major, &minor, &patch);
    if (major != MDB_VERSION_MAJOR || strstr(lmdb_version, "LMDB") == NULL) {
        printf("FAIL lmdb's mdb_version: %s\n", lmdb_version);
        failures++;
    }

    /* metaldb */
    if (mdb_db_open_temporary(&db) != MDB_OK) {
        printf("FAIL mdb_db_open_temporary: %s\n", mdb_last_error_message());
        failures++;
    }
    mdb_db_free(db);
    if (mdb_version_number() != METALDB_VERSION_NUMBER) {
        printf("FAIL mdb_version_number\n");
        failures++;
    }

    printf("%s and metaldb %s: %s\n", lmdb_version, METALDB_VERSION_STRING,
           failures == 0 ? "ok" : "FAIL");
    return failures == 0 ? 0 : 1;
}
