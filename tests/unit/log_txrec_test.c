/* log_txrec_test.c - the tx log record: an "STX2" record (the layout written
 * now) round-trips with its durable mark; a record of the first layout
 * ("STXR", no mark) built from the same fields still decodes, with the mark
 * unknown; damaged framing of either is refused with a reason. */
#include "testlib.h"

#include "log/log.h"

#include <stdlib.h>

static mt_txhdr g_h;
static txrec_entry g_e[3];

static void fill(void)
{
    memset(&g_h, 0, sizeof(g_h));
    g_h.id = 42;
    g_h.ts = 1700000000;
    g_h.version = 0;
    g_h.nentries = 3;
    g_h.bl_tx_id = 41;
    memset(g_h.bl_root, 0xb1, 32);
    memset(g_h.eh, 0xe4, 32);
    static const char *keys[] = {"alpha", "b", "a-much-longer-key"};
    for (int i = 0; i < 3; i++) {
        memset(&g_e[i], 0, sizeof(g_e[i]));
        g_e[i].key = (const uint8_t *)keys[i];
        g_e[i].key_len = (uint16_t)strlen(keys[i]);
        g_e[i].vlen = (uint32_t)(100 * i + 7);
        g_e[i].vloc = log_loc(2, (uint64_t)(1000 * i));
        memset(g_e[i].hval, 0x30 + i, 32);
    }
}

static void same(const txrec *r, uint64_t mark)
{
    CHECK_INT(r->hdr.id, 42);
    CHECK_INT(r->hdr.ts, 1700000000);
    CHECK_INT(r->hdr.bl_tx_id, 41);
    CHECK_MEM(r->hdr.eh, g_h.eh, 32);
    CHECK_INT(r->n, 3);
    CHECK_INT(r->durable, mark);
    uint8_t alh[32];
    memset(alh, 0xa1, 32);
    CHECK_MEM(r->alh, alh, 32);
    for (int i = 0; i < 3 && r->e; i++) {
        CHECK_INT(r->e[i].key_len, g_e[i].key_len);
        CHECK_MEM(r->e[i].key, g_e[i].key, g_e[i].key_len);
        CHECK_INT(r->e[i].vlen, g_e[i].vlen);
        CHECK_INT(r->e[i].vloc, g_e[i].vloc);
        CHECK_MEM(r->e[i].hval, g_e[i].hval, 32);
    }
}

static void test_layouts(void)
{
    fill();
    uint8_t alh[32];
    memset(alh, 0xa1, 32);
    size_t n = txrec_size(0, g_e, 3);
    uint8_t *b = malloc(n);
    CHECK(b != NULL);
    if (!b)
        return;
    uint64_t mark = log_loc(1, 123456);
    txrec_encode(b, &g_h, g_e, 3, alh, mark);
    CHECK_INT(seal_get_u32(b), TXREC_MAGIC2);
    CHECK_INT(txrec_peek_len(b), n);
    txrec r;
    const char *why = NULL;
    CHECK_OK(txrec_decode(b, n, &r, true, &why));
    same(&r, mark);
    txrec_free(&r);

    /* the first layout: the same record without the mark */
    size_t n1 = n - TXREC_DURABLE_LEN;
    uint8_t *b1 = malloc(n1);
    CHECK(b1 != NULL);
    if (b1) {
        memcpy(b1, b, n - 44);
        memcpy(b1 + n - 44, b + n - 36, 32);
        seal_put_u32(b1, TXREC_MAGIC);
        seal_put_u32(b1 + 4, (uint32_t)n1);
        seal_put_u32(b1 + n1 - 4, log_crc32c(0, b1, n1 - 4));
        CHECK_INT(txrec_peek_len(b1), n1);
        CHECK_OK(txrec_decode(b1, n1, &r, true, &why));
        same(&r, TXREC_NO_MARK);
        txrec_free(&r);
        /* "STXR" framing over "STX2" bytes (and the reverse) is refused */
        seal_put_u32(b1, TXREC_MAGIC2);
        seal_put_u32(b1 + n1 - 4, log_crc32c(0, b1, n1 - 4));
        CHECK_ERR(txrec_decode(b1, n1, &r, true, &why), SEAL_ECORRUPT);
        free(b1);
    }
    /* damage: every byte flipped in turn is refused */
    int refused = 0;
    for (size_t i = 0; i < n; i++) {
        b[i] ^= 0x20;
        if (txrec_decode(b, n, &r, false, &why) == SEAL_ECORRUPT && why != NULL)
            refused++;
        b[i] ^= 0x20;
    }
    CHECK_INT(refused, (long long)n);
    /* an unknown magic has no length */
    seal_put_u32(b, 0x53545833u);
    CHECK_INT(txrec_peek_len(b), 0);
    free(b);
}

int main(void)
{
    t_init();
    RUN(test_layouts);
    return t_done();
}
