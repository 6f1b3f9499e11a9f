/* kvenc.h - immudb's database-layer key/value encodings (formats spec 7.1).
 *
 * The database layer stores every user key and value with a one-byte
 * prefix, and those prefixes are inside the hashes that clients verify:
 *
 *   Set(k, v)          key 0x00||k   value 0x00||v
 *   SetReference(k->r) key 0x00||k   value 0x01||u64(atTx)||0x00||r
 *   ZAdd(set,score,k)  key 0x01||u64(len set)||set||u64(bits(score))||u64(len
 * k+1)||0x00||k||u64(atTx) value empty Delete(k)          key 0x00||k   value empty, metadata
 * "deleted"
 *
 * All lengths and integers are big-endian. Encoders write into a caller
 * buffer and return the number of bytes needed (call with cap 0 to size);
 * decoders return 0 or SEAL_ECORRUPT / SEAL_EINVAL. */
#ifndef SEAL_DB_KVENC_H
#define SEAL_DB_KVENC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/common.h"

#define KV_SET_PREFIX  0x00 /* plain keys */
#define KV_ZSET_PREFIX 0x01 /* sorted-set member keys */
#define KV_SQL_PREFIX  0x02 /* SQL engine (not served) */
#define KV_DOC_PREFIX  0x03 /* document engine (not served) */
#define KV_PLAIN_VALUE 0x00 /* value prefix: plain value */
#define KV_REF_VALUE   0x01 /* value prefix: reference */
#define KV_REF_HDR_LEN 9    /* 0x01 || u64 atTx */

/* 0x00 || key */
size_t kv_enc_key(uint8_t *out, size_t cap, const uint8_t *key, size_t key_len);
/* 0x00 || value */
size_t kv_enc_value(uint8_t *out, size_t cap, const uint8_t *val, size_t val_len);
/* 0x01 || u64(at_tx) || 0x00 || ref_key */
size_t kv_enc_ref_value(uint8_t *out, size_t cap, const uint8_t *ref_key, size_t ref_len,
                        uint64_t at_tx);
/* The sorted-set member key. |key| is the user key (unprefixed). */
size_t kv_enc_zkey(uint8_t *out, size_t cap, const uint8_t *set, size_t set_len, double score,
                   const uint8_t *key, size_t key_len, uint64_t at_tx);
/* The prefix shared by every member of |set|: 0x01 || u64(len) || set. */
size_t kv_enc_zset_prefix(uint8_t *out, size_t cap, const uint8_t *set, size_t set_len);

/* A decoded stored value. Pointers borrow from the input. */
typedef struct kv_value {
    bool is_ref;
    const uint8_t *data; /* plain: the user value; ref: the referenced key (unprefixed) */
    size_t len;
    uint64_t ref_at_tx; /* ref only: 0 = unbound */
} kv_value;

/* Decodes a stored value. An empty value (a delete) is SEAL_ENOTFOUND. A
 * reference shorter than 10 bytes or whose key is not 0x00-prefixed is
 * SEAL_ECORRUPT. A plain value is any other first byte, as immudb does. */
int kv_dec_value(kv_value *out, const uint8_t *v, size_t len);

/* A decoded sorted-set member key. Pointers borrow from the input. */
typedef struct kv_zkey {
    const uint8_t *set;
    size_t set_len;
    double score;
    const uint8_t *key; /* the user key, unprefixed */
    size_t key_len;
    uint64_t at_tx;
} kv_zkey;

int kv_dec_zkey(kv_zkey *out, const uint8_t *k, size_t len);

#endif
