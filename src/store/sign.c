/* sign.c - signed states (spec 6): the ECDSA P-256 / SHA-256 signature
 * immudb puts on an ImmutableState, over seal_state_payload's bytes, and
 * the keys that make and check it. Database-neutral: the caller names the
 * database. Every primitive goes through src/crypto (the FIPS provider). */
#include "store/store_int.h"

struct seal_key {
    cry_key *k;
};

static int wrap(cry_key *k, seal_key **out)
{
    seal_key *w = seal_calloc(1, sizeof(*w));
    if (!w) {
        cry_key_free(k);
        return SEAL_ENOMEM;
    }
    w->k = k;
    *out = w;
    return 0;
}

int seal_key_generate(seal_key **out)
{
    cry_key *k = NULL;
    if (!out)
        return SEAL_EINVAL;
    int rc = cry_ec_generate(&k);
    return rc ? rc : wrap(k, out);
}

int seal_key_from_pem(const char *pem, size_t len, seal_key **out)
{
    cry_key *k = NULL;
    if (!pem || !out)
        return SEAL_EINVAL;
    int rc = cry_key_from_pem(&k, pem, len);
    return rc ? rc : wrap(k, out);
}

int seal_key_load_file(const char *path, seal_key **out)
{
    cry_key *k = NULL;
    if (!path || !out)
        return SEAL_EINVAL;
    int rc = cry_key_load_file(&k, path);
    return rc ? rc : wrap(k, out);
}

int seal_key_from_public_raw(const uint8_t pt[65], seal_key **out)
{
    cry_key *k = NULL;
    if (!pt || !out)
        return SEAL_EINVAL;
    int rc = cry_key_from_public_raw(&k, pt);
    return rc ? rc : wrap(k, out);
}

int seal_key_public_raw(const seal_key *key, uint8_t out[65])
{
    if (!key || !out)
        return SEAL_EINVAL;
    return cry_key_public_raw(key->k, out);
}

int seal_key_has_private(const seal_key *key)
{
    return key && cry_key_has_private(key->k);
}

void seal_key_free(seal_key *key)
{
    if (!key)
        return;
    cry_key_free(key->k);
    seal_free(key);
}

/* The payload into |stack| when it fits, else into a buffer the caller
 * frees (*heap). */
static int payload(const char *db, uint64_t tx_id, const uint8_t alh[SEAL_HASH_LEN], uint8_t *stack,
                   size_t cap, uint8_t **p, uint8_t **heap, size_t *len)
{
    *heap = NULL;
    if (!db || !alh)
        return SEAL_EINVAL;
    size_t need = 44 + strlen(db);
    *p = stack;
    if (need > cap) {
        *heap = seal_malloc(need);
        if (!*heap)
            return SEAL_ENOMEM;
        *p = *heap;
        cap = need;
    }
    int rc = seal_state_payload(db, tx_id, alh, *p, cap, len);
    if (rc) {
        seal_free(*heap);
        *heap = NULL;
    }
    return rc;
}

int seal_state_sign(const seal_key *key, const char *db, uint64_t tx_id,
                    const uint8_t alh[SEAL_HASH_LEN], uint8_t *sig, size_t *sig_len)
{
    uint8_t stack[256], *p, *heap;
    size_t len, sl;
    st_err_clear();
    if (!key || !sig || !sig_len)
        return SEAL_EINVAL;
    if (!cry_key_has_private(key->k))
        return st_err(SEAL_EINVAL, "state signing needs a private key");
    if (*sig_len < SEAL_SIG_MAX)
        return st_err(SEAL_ELIMIT, "signature buffer of %zu bytes, %d needed", *sig_len,
                      SEAL_SIG_MAX);
    int rc = payload(db, tx_id, alh, stack, sizeof(stack), &p, &heap, &len);
    if (rc)
        return rc;
    sl = *sig_len;
    rc = cry_ecdsa_sign(key->k, p, len, sig, &sl);
    seal_free(heap);
    if (rc == 0)
        *sig_len = sl;
    return rc;
}

int seal_state_verify(const seal_key *key, const char *db, uint64_t tx_id,
                      const uint8_t alh[SEAL_HASH_LEN], const uint8_t *sig, size_t sig_len)
{
    uint8_t stack[256], *p, *heap;
    size_t len;
    st_err_clear();
    if (!key || (!sig && sig_len))
        return SEAL_EINVAL;
    int rc = payload(db, tx_id, alh, stack, sizeof(stack), &p, &heap, &len);
    if (rc)
        return rc;
    rc = cry_ecdsa_verify(key->k, p, len, sig ? sig : (const uint8_t *)"", sig_len);
    seal_free(heap);
    if (rc == SEAL_EVERIFY)
        st_err(rc, "state signature of %s at tx %llu does not verify", db,
               (unsigned long long)tx_id);
    return rc;
}
