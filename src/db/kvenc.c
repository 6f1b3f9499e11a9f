/* kvenc.c - immudb's database-layer key/value encodings; see kvenc.h. */
#include "db/kvenc.h"

static size_t put(uint8_t *out, size_t cap, size_t pos, const void *p, size_t n)
{
    if (out && pos + n <= cap && n)
        memcpy(out + pos, p, n);
    return pos + n;
}

static size_t put_u64(uint8_t *out, size_t cap, size_t pos, uint64_t v)
{
    uint8_t b[8];
    seal_put_u64(b, v);
    return put(out, cap, pos, b, 8);
}

static size_t put_byte(uint8_t *out, size_t cap, size_t pos, uint8_t b)
{
    return put(out, cap, pos, &b, 1);
}

size_t kv_enc_key(uint8_t *out, size_t cap, const uint8_t *key, size_t key_len)
{
    size_t pos = put_byte(out, cap, 0, KV_SET_PREFIX);
    return put(out, cap, pos, key, key_len);
}

size_t kv_enc_value(uint8_t *out, size_t cap, const uint8_t *val, size_t val_len)
{
    size_t pos = put_byte(out, cap, 0, KV_PLAIN_VALUE);
    return put(out, cap, pos, val, val_len);
}

size_t kv_enc_ref_value(uint8_t *out, size_t cap, const uint8_t *ref_key, size_t ref_len,
                        uint64_t at_tx)
{
    size_t pos = put_byte(out, cap, 0, KV_REF_VALUE);
    pos = put_u64(out, cap, pos, at_tx);
    pos = put_byte(out, cap, pos, KV_SET_PREFIX);
    return put(out, cap, pos, ref_key, ref_len);
}

static uint64_t double_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof(u));
    return u;
}

size_t kv_enc_zset_prefix(uint8_t *out, size_t cap, const uint8_t *set, size_t set_len)
{
    size_t pos = put_byte(out, cap, 0, KV_ZSET_PREFIX);
    pos = put_u64(out, cap, pos, (uint64_t)set_len);
    return put(out, cap, pos, set, set_len);
}

size_t kv_enc_zkey(uint8_t *out, size_t cap, const uint8_t *set, size_t set_len, double score,
                   const uint8_t *key, size_t key_len, uint64_t at_tx)
{
    size_t pos = kv_enc_zset_prefix(out, cap, set, set_len);
    pos = put_u64(out, cap, pos, double_bits(score));
    pos = put_u64(out, cap, pos, (uint64_t)key_len + 1);
    pos = put_byte(out, cap, pos, KV_SET_PREFIX);
    pos = put(out, cap, pos, key, key_len);
    return put_u64(out, cap, pos, at_tx);
}

int kv_dec_value(kv_value *out, const uint8_t *v, size_t len)
{
    if (len == 0)
        return SEAL_ENOTFOUND;
    if (v[0] == KV_REF_VALUE) {
        if (len < KV_REF_HDR_LEN + 1 || v[KV_REF_HDR_LEN] != KV_SET_PREFIX)
            return SEAL_ECORRUPT;
        out->is_ref = true;
        out->ref_at_tx = seal_get_u64(v + 1);
        out->data = v + KV_REF_HDR_LEN + 1;
        out->len = len - KV_REF_HDR_LEN - 1;
        return 0;
    }
    out->is_ref = false;
    out->ref_at_tx = 0;
    out->data = v + 1;
    out->len = len - 1;
    return 0;
}

int kv_dec_zkey(kv_zkey *out, const uint8_t *k, size_t len)
{
    /* 1 + 8 + set + 8 + 8 + (klen+1) + 8 */
    if (len < 1 + 8 + 8 + 8 + 1 + 8 || k[0] != KV_ZSET_PREFIX)
        return SEAL_ECORRUPT;
    uint64_t set_len = seal_get_u64(k + 1);
    if (set_len > len - (1 + 8 + 8 + 8 + 1 + 8))
        return SEAL_ECORRUPT;
    size_t pos = 9 + (size_t)set_len;
    uint64_t bits = seal_get_u64(k + pos);
    pos += 8;
    uint64_t klen = seal_get_u64(k + pos);
    pos += 8;
    if (klen < 1 || klen != len - pos - 8 || k[pos] != KV_SET_PREFIX)
        return SEAL_ECORRUPT;
    out->set = k + 9;
    out->set_len = (size_t)set_len;
    memcpy(&out->score, &bits, sizeof(bits));
    out->key = k + pos + 1;
    out->key_len = (size_t)klen - 1;
    out->at_tx = seal_get_u64(k + len - 8);
    return 0;
}
