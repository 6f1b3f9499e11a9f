/* embedded.c - libseal in an application: open a store, commit a tx, read a
 * key back, and check a dual proof between two states, the way an immudb
 * client checks the server. Uses only the public headers and the shared
 * library; built and run by the test suite (embedded_example_test).
 *
 *   cc embedded.c -I include -L build -lseal -o embedded && ./embedded /tmp/mystore */
#include <seal/seal.h>
#include <seal/seal_fips.h>

#include <stdio.h>
#include <string.h>

static int fail(const char *what, int rc)
{
    fprintf(stderr, "%s: %s (%s)\n", what, seal_strerror(rc), seal_last_error());
    return 1;
}

/* Commits one tx with a single key/value; its header goes to |hdr|. */
static int put(seal_store *s, const char *key, const char *value, seal_txhdr *hdr)
{
    seal_tx *tx;
    int rc = seal_tx_new(s, &tx);
    if (rc == 0)
        rc = seal_tx_add(tx, key, strlen(key), value, strlen(value), NULL);
    if (rc == 0)
        rc = seal_tx_commit(s, tx, hdr); /* returns once the tx is on disk */
    seal_tx_free(tx);
    return rc;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "embedded-store";
    seal_store *s = NULL;
    seal_txhdr first, second;
    seal_entry e;
    seal_dual_proof proof;
    int rc;

    /* Every program starts the FIPS module first; nothing runs without it. */
    if (seal_fips_init(NULL) != 0) {
        fprintf(stderr, "FIPS module: %s\n", seal_fips_last_error());
        return 1;
    }
    if ((rc = seal_open(dir, NULL, &s)) != 0) /* creates the store if needed */
        return fail("open", rc);

    if ((rc = put(s, "greeting", "hello", &first)) != 0 ||
        (rc = put(s, "greeting", "hello again", &second)) != 0) {
        seal_close(s);
        return fail("commit", rc);
    }

    /* The latest version, waiting until the key index covers every commit. */
    if ((rc = seal_get(s, "greeting", 8, NULL, 0, 0, &e)) != 0) {
        seal_close(s);
        return fail("get", rc);
    }
    printf("greeting = %.*s (tx %llu, revision %llu)\n", (int)e.value_len, (const char *)e.value,
           (unsigned long long)e.tx, (unsigned long long)e.revision);
    int same = e.value_len == 11 && memcmp(e.value, "hello again", 11) == 0;
    seal_entry_clear(&e);

    /* A client that trusted state (first.id, first.alh) moves to the new
     * state only if the proof links the two. */
    if ((rc = seal_dual_proof_build(s, first.id, second.id, &proof)) != 0) {
        seal_close(s);
        return fail("dual proof", rc);
    }
    rc = seal_dual_proof_verify(&proof, first.id, second.id, first.alh, second.alh);
    seal_dual_proof_free(&proof);
    printf("dual proof tx %llu -> tx %llu: %s\n", (unsigned long long)first.id,
           (unsigned long long)second.id, rc == 0 ? "verified" : "FAILED");

    int crc = seal_close(s);
    if (rc != 0 || crc != 0 || !same)
        return 1;
    return 0;
}
