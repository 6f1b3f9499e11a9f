/* sc_conv.c - conversions of libsealclient between protobuf-c messages and
 * the public result structs (entries, txs, sorted-set members, headers,
 * database settings) and the mtree header, plus the result free functions.
 * Metadata follows immudb's proto rules (formats spec 1.1, 1.2). */
#include <stdio.h>

#include "client/sc_internal.h"

static int dup_bytes(const ProtobufCBinaryData *b, uint8_t **out, size_t *n)
{
    *out = seal_malloc(b->len + 1);
    if (!*out)
        return SEAL_ENOMEM;
    if (b->len)
        memcpy(*out, b->data, b->len);
    (*out)[b->len] = 0;
    *n = b->len;
    return 0;
}

void sc_kvmd_from_pb(const Immudb__Schema__KVMetadata *m, int *has, seal_kvmd *out)
{
    memset(out, 0, sizeof(*out));
    *has = m != NULL;
    if (!m)
        return;
    out->deleted = m->deleted;
    out->non_indexable = m->nonindexable;
    if (m->expiration) {
        out->has_expires = 1;
        out->expires_at = m->expiration->expiresat;
    }
}

size_t sc_kvmd_bytes_pb(const Immudb__Schema__KVMetadata *m, uint8_t out[MT_MAX_KVMD_LEN])
{
    if (!m)
        return 0;
    mt_kvmd md = {
        .deleted = m->deleted,
        .has_expires = m->expiration != NULL,
        .expires_at = m->expiration ? (uint64_t)m->expiration->expiresat : 0,
        .non_indexable = m->nonindexable,
    };
    return mt_kvmd_bytes(&md, out);
}

void sc_hdr_from_pb(const Immudb__Schema__TxHeader *h, mt_txhdr *out)
{
    memset(out, 0, sizeof(*out));
    out->id = h->id;
    mt_digest_from_bytes(out->prev_alh, h->prevalh.data, h->prevalh.len);
    out->ts = h->ts;
    out->nentries = (uint32_t)h->nentries;
    mt_digest_from_bytes(out->eh, h->eh.data, h->eh.len);
    out->bl_tx_id = h->bltxid;
    mt_digest_from_bytes(out->bl_root, h->blroot.data, h->blroot.len);
    out->version = h->version;
    if (h->metadata) {
        if (h->metadata->truncatedtxid > 0) {
            out->md.has_truncated = true;
            out->md.truncated_upto_tx = h->metadata->truncatedtxid;
        }
        if (h->metadata->extra.len > MT_MAX_TXMD_EXTRA) {
            /* longer than immudb allows: an unknown version makes every
             * hash of this header fail (mt_alh refuses it) */
            out->version = -1;
        } else if (h->metadata->extra.len) {
            out->md.extra_len = (uint16_t)h->metadata->extra.len;
            memcpy(out->md.extra, h->metadata->extra.data, h->metadata->extra.len);
        }
    }
}

void sc_hdr_to_public(const mt_txhdr *h, seal_txhdr *out)
{
    memset(out, 0, sizeof(*out));
    out->id = h->id;
    memcpy(out->prev_alh, h->prev_alh, MT_HASH_LEN);
    out->ts = h->ts;
    out->nentries = h->nentries;
    memcpy(out->eh, h->eh, MT_HASH_LEN);
    out->bl_tx_id = h->bl_tx_id;
    memcpy(out->bl_root, h->bl_root, MT_HASH_LEN);
    out->version = h->version;
    out->md.truncated_upto_tx = h->md.has_truncated ? h->md.truncated_upto_tx : 0;
    out->md.extra_len = SEAL_MIN(h->md.extra_len, (uint16_t)SEAL_MAX_TXMD_EXTRA);
    memcpy(out->md.extra, h->md.extra, out->md.extra_len);
    if (mt_alh(out->alh, h) != 0)
        memset(out->alh, 0, sizeof(out->alh));
}

/* ---------------------------------------------------------------- entries */
void seal_kventry_clear(seal_kventry *e)
{
    if (!e)
        return;
    seal_free(e->key);
    seal_free(e->value);
    seal_free(e->ref.key);
    memset(e, 0, sizeof(*e));
}

void seal_kventries_free(seal_kventry *e, size_t n)
{
    if (!e)
        return;
    for (size_t i = 0; i < n; i++)
        seal_kventry_clear(&e[i]);
    seal_free(e);
}

int sc_entry_from_pb(const Immudb__Schema__Entry *m, seal_kventry *out)
{
    seal_kventry e;
    memset(&e, 0, sizeof(e));
    e.tx = m->tx;
    e.expired = m->expired;
    e.revision = m->revision;
    sc_kvmd_from_pb(m->metadata, &e.has_md, &e.md);
    if (dup_bytes(&m->key, &e.key, &e.key_len) || dup_bytes(&m->value, &e.value, &e.value_len))
        goto oom;
    if (m->referencedby) {
        const Immudb__Schema__Reference *r = m->referencedby;
        e.has_ref = 1;
        e.ref.tx = r->tx;
        e.ref.at_tx = r->attx;
        e.ref.revision = r->revision;
        sc_kvmd_from_pb(r->metadata, &e.ref.has_md, &e.ref.md);
        if (dup_bytes(&r->key, &e.ref.key, &e.ref.key_len))
            goto oom;
    }
    *out = e;
    return 0;
oom:
    seal_kventry_clear(&e);
    return SEAL_ENOMEM;
}

void seal_zentries_free(seal_zentry *z, size_t n)
{
    if (!z)
        return;
    for (size_t i = 0; i < n; i++) {
        seal_free(z[i].set);
        seal_free(z[i].key);
        seal_kventry_clear(&z[i].entry);
    }
    seal_free(z);
}

int sc_zentry_from_pb(const Immudb__Schema__ZEntry *m, seal_zentry *out)
{
    seal_zentry z;
    memset(&z, 0, sizeof(z));
    z.score = m->score;
    z.at_tx = m->attx;
    if (dup_bytes(&m->set, &z.set, &z.set_len) || dup_bytes(&m->key, &z.key, &z.key_len))
        goto oom;
    if (m->entry) {
        z.has_entry = 1;
        if (sc_entry_from_pb(m->entry, &z.entry))
            goto oom;
    }
    *out = z;
    return 0;
oom:
    seal_free(z.set);
    seal_free(z.key);
    return SEAL_ENOMEM;
}

/* --------------------------------------------------------------------- txs */
void seal_rtx_clear(seal_rtx *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++) {
        seal_free(t->entries[i].key);
        seal_free(t->entries[i].value);
    }
    seal_free(t->entries);
    memset(t, 0, sizeof(*t));
}

void seal_rtxs_free(seal_rtx *t, size_t n)
{
    if (!t)
        return;
    for (size_t i = 0; i < n; i++)
        seal_rtx_clear(&t[i]);
    seal_free(t);
}

int sc_rtx_from_pb(const Immudb__Schema__Tx *m, seal_rtx *out)
{
    seal_rtx t;
    memset(&t, 0, sizeof(t));
    if (!m->header)
        return SEAL_EPROTOCOL;
    mt_txhdr h;
    sc_hdr_from_pb(m->header, &h);
    sc_hdr_to_public(&h, &t.hdr);
    if (m->n_entries) {
        t.entries = seal_calloc(m->n_entries, sizeof(*t.entries));
        if (!t.entries)
            return SEAL_ENOMEM;
    }
    for (size_t i = 0; i < m->n_entries; i++) {
        const Immudb__Schema__TxEntry *e = m->entries[i];
        seal_rtx_entry *o = &t.entries[i];
        t.n = i + 1;
        /* immudb's Go client strips the database-layer prefix byte */
        ProtobufCBinaryData k = e->key;
        if (k.len) {
            k.data++;
            k.len--;
        }
        if (dup_bytes(&k, &o->key, &o->key_len))
            goto oom;
        mt_digest_from_bytes(o->hval, e->hvalue.data, e->hvalue.len);
        o->vlen = (uint32_t)e->vlen;
        sc_kvmd_from_pb(e->metadata, &o->has_md, &o->md);
        if (e->value.len && dup_bytes(&e->value, &o->value, &o->value_len))
            goto oom;
    }
    *out = t;
    return 0;
oom:
    seal_rtx_clear(&t);
    return SEAL_ENOMEM;
}

/* --------------------------------------------------------------- settings */
int sc_settings_from_pb(const Immudb__Schema__DatabaseNullableSettings *s, seal_db_settings *o)
{
    memset(o, 0, sizeof(*o));
    if (!s)
        return 0;
#define U32(field, bit, dst)                                                                       \
    if (s->field) {                                                                                \
        o->set |= bit;                                                                             \
        o->dst = s->field->value;                                                                  \
    }
    U32(filesize, SEAL_DBS_FILE_SIZE, file_size);
    U32(maxkeylen, SEAL_DBS_MAX_KEY_LEN, max_key_len);
    U32(maxvaluelen, SEAL_DBS_MAX_VALUE_LEN, max_value_len);
    U32(maxtxentries, SEAL_DBS_MAX_TX_ENTRIES, max_tx_entries);
    U32(excludecommittime, SEAL_DBS_EXCLUDE_COMMIT_TIME, exclude_commit_time);
    U32(maxconcurrency, SEAL_DBS_MAX_CONCURRENCY, max_concurrency);
    U32(writetxheaderversion, SEAL_DBS_WRITE_TX_HEADER_VERSION, write_tx_header_version);
    U32(autoload, SEAL_DBS_AUTOLOAD, autoload);
    U32(syncfrequency, SEAL_DBS_SYNC_FREQUENCY_MS, sync_frequency_ms);
    U32(embeddedvalues, SEAL_DBS_EMBEDDED_VALUES, embedded_values);
    U32(preallocfiles, SEAL_DBS_PREALLOC_FILES, prealloc_files);
#undef U32
    if (s->replicationsettings && s->replicationsettings->replica) {
        o->set |= SEAL_DBS_REPLICA;
        o->replica = s->replicationsettings->replica->value;
    }
    return 0;
}
