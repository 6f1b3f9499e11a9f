/* grpc_wire_test.c - the pieces under the gRPC transports: grpc-timeout,
 * grpc-message escaping, message framing and reassembly, content types,
 * metadata, status mapping; and the immudb schema: ImmuService's dispatch
 * table against proto/schema.proto, and byte-exact encodings that pin field
 * numbers and types to immudb's. */
#include <stdio.h>
#include <stdlib.h>

#include "client/grpc_wire.h"
#include "common/common.h"
#include "schema.pb-c.h"
#include "server/immu_service.h"
#include "testlib.h"

static void test_timeout(void)
{
    struct {
        const char *s;
        int64_t ms;
    } ok[] = {{"100m", 100},   {"1S", 1000},
              {"2M", 120000},  {"2H", 7200000},
              {"5u", 1},       {"1500u", 2},
              {"1000000n", 1}, {"1n", 1},
              {"0m", 0},       {"99999999S", 99999999000LL}};
    for (size_t i = 0; i < SEAL_ARRAY_LEN(ok); i++) {
        int64_t ms = -1;
        CHECK_OK(gw_timeout_parse(ok[i].s, strlen(ok[i].s), &ms));
        CHECK_INT(ms, ok[i].ms);
    }
    const char *bad[] = {"", "m", "12", "123456789m", "12x", "-1m", "1.5S", "m5"};
    for (size_t i = 0; i < SEAL_ARRAY_LEN(bad); i++) {
        int64_t ms = 77;
        CHECK_ERR(gw_timeout_parse(bad[i], strlen(bad[i]), &ms), SEAL_EINVAL);
        CHECK_INT(ms, 77);
    }
    int64_t vals[] = {0, 1, 999, 99999999, 100000000, 5000000000LL};
    for (size_t i = 0; i < SEAL_ARRAY_LEN(vals); i++) {
        char buf[24];
        int64_t back;
        gw_timeout_format(buf, sizeof(buf), vals[i]);
        CHECK(strlen(buf) <= 9);
        CHECK_OK(gw_timeout_parse(buf, strlen(buf), &back));
        CHECK(back >= vals[i] && back - vals[i] < 3600000);
    }
}

static void test_percent(void)
{
    const char in[] = "a%b\n\xc3\xa9 ~";
    char *e = gw_pct_encode(in, strlen(in));
    CHECK_STR(e, "a%25b%0A%C3%A9 ~");
    char *d = gw_pct_decode(e, strlen(e));
    CHECK_STR(d, in);
    seal_free(e);
    seal_free(d);
    d = gw_pct_decode("100%zz%4", 8); /* malformed escapes pass through */
    CHECK_STR(d, "100%zz%4");
    seal_free(d);
    d = gw_pct_decode("%41%42", 6);
    CHECK_STR(d, "AB");
    seal_free(d);
}

static void test_reader(void)
{
    /* three messages (one empty), fed with every possible split size */
    uint8_t stream[64];
    size_t n = 0;
    const char *msgs[] = {"hello", "", "world!"};
    for (int i = 0; i < 3; i++) {
        size_t l = strlen(msgs[i]);
        gw_put_prefix(stream + n, 0, (uint32_t)l);
        memcpy(stream + n + 5, msgs[i], l);
        n += 5 + l;
    }
    for (size_t step = 1; step <= n; step++) {
        gw_reader r;
        gw_reader_init(&r, 100);
        int got = 0, bad = 0;
        for (size_t off = 0; off < n;) {
            size_t chunk = SEAL_MIN(step, n - off);
            size_t pos = 0;
            while (pos < chunk || (got < 3 && r.hdr_have == 5 && !r.cur)) {
                gw_msg *m = NULL;
                size_t used = 0;
                int rc = gw_reader_feed(&r, stream + off + pos, chunk - pos, &used, &m);
                pos += used;
                if (rc == 1) {
                    if (m->len != strlen(msgs[got]) || memcmp(m->data, msgs[got], m->len) != 0)
                        bad++;
                    got++;
                    gw_msg_free(m);
                } else if (rc == 0) {
                    break;
                } else {
                    bad++;
                    break;
                }
            }
            off += chunk;
        }
        CHECK_INT(got, 3);
        CHECK_INT(bad, 0);
        CHECK(!gw_reader_partial(&r));
        gw_reader_reset(&r);
    }
    /* limits and flags */
    gw_reader r;
    gw_reader_init(&r, 10);
    uint8_t hdr[5];
    gw_msg *m = NULL;
    size_t used;
    gw_put_prefix(hdr, 0, 11);
    CHECK_ERR(gw_reader_feed(&r, hdr, 5, &used, &m), SEAL_ELIMIT);
    CHECK_INT(r.bad_len, 11);
    gw_reader_reset(&r);
    gw_put_prefix(hdr, 1, 1);
    CHECK_ERR(gw_reader_feed(&r, hdr, 5, &used, &m), SEAL_EUNSUPPORTED);
    gw_reader_reset(&r);
    hdr[0] = 2;
    CHECK_ERR(gw_reader_feed(&r, hdr, 5, &used, &m), SEAL_EPROTOCOL);
    gw_reader_reset(&r);
    /* partial */
    gw_put_prefix(hdr, 0, 4);
    CHECK_INT(gw_reader_feed(&r, hdr, 5, &used, &m), 0);
    CHECK(gw_reader_partial(&r));
    gw_reader_reset(&r);
    /* a large declared length does not allocate it up front */
    gw_reader_init(&r, 1u << 30);
    gw_put_prefix(hdr, 0, 1u << 29);
    long before = seal_alloc_count();
    CHECK_INT(gw_reader_feed(&r, hdr, 5, &used, &m), 0);
    CHECK(r.cur != NULL && r.cur->cap <= 65536);
    CHECK(seal_alloc_count() - before <= 2);
    gw_reader_reset(&r);
}

static void test_content_type_md_codes(void)
{
    char sub[16];
    CHECK(gw_content_type_ok("application/grpc", sub, sizeof(sub)));
    CHECK_STR(sub, "");
    CHECK(gw_content_type_ok("application/grpc+proto", sub, sizeof(sub)));
    CHECK_STR(sub, "proto");
    CHECK(gw_content_type_ok("application/grpc;charset=x", sub, sizeof(sub)));
    CHECK(gw_content_type_ok("Application/GRPC+Proto", sub, sizeof(sub)));
    CHECK(!gw_content_type_ok("application/grpcx", sub, sizeof(sub)));
    CHECK(!gw_content_type_ok("application/json", sub, sizeof(sub)));
    CHECK(!gw_content_type_ok(NULL, sub, sizeof(sub)));

    gw_md md = {0};
    CHECK_OK(gw_md_adds(&md, "Authorization", "Bearer X"));
    CHECK_OK(gw_md_add(&md, "bin-bin", 7, "\0\1", 2));
    CHECK_STR(gw_md_get(&md, "authorization"), "Bearer X");
    CHECK(gw_md_get(&md, "Authorization") == NULL); /* lookups use lower case */
    CHECK_INT(md.kv[1].value_len, 2);
    gw_md_free(&md);
    CHECK_INT(md.n, 0);

    CHECK_STR(gw_code_name(GW_DEADLINE_EXCEEDED), "DEADLINE_EXCEEDED");
    CHECK_STR(gw_code_name(99), "UNKNOWN_CODE");
    CHECK_INT(gw_code_from_err(0), GW_OK);
    CHECK_INT(gw_code_from_err(SEAL_ENOTFOUND), GW_NOT_FOUND);
    CHECK_INT(gw_code_from_err(SEAL_EAUTH), GW_UNAUTHENTICATED);
    CHECK_INT(gw_code_from_err(SEAL_EPERM), GW_PERMISSION_DENIED);
    CHECK_INT(gw_code_from_err(SEAL_ECORRUPT), GW_DATA_LOSS);
    CHECK_INT(gw_code_from_err(SEAL_EIO), GW_INTERNAL);
    CHECK_INT(gw_code_from_http(404), GW_UNIMPLEMENTED);
    CHECK_INT(gw_code_from_http(503), GW_UNAVAILABLE);
    CHECK_INT(gw_code_from_http(415), GW_UNKNOWN);
}

/* Every rpc of proto/schema.proto is in the dispatch table with the right
 * streaming kind and message types. */
static void test_service_table(void)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/proto/schema.proto", t_env("SEAL_SRC_DIR", "."));
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    if (!f)
        return;
    char line[512];
    int rpcs = 0, streams = 0;
    while (fgets(line, sizeof(line), f)) {
        char name[64], in[128], out[128];
        const char *p = strstr(line, "rpc ");
        if (!p || sscanf(p, "rpc %63[A-Za-z0-9_](", name) != 1)
            continue;
        rpcs++;
        const char *lp = strchr(p, '(');
        const char *ret = strstr(p, "returns");
        const char *rp = ret ? strchr(ret, '(') : NULL;
        CHECK(lp && rp);
        if (!lp || !rp)
            continue;
        bool cs = strncmp(lp + 1, "stream ", 7) == 0;
        bool ss = strncmp(rp + 1, "stream ", 7) == 0;
        sscanf(lp + 1 + (cs ? 7 : 0), "%127[A-Za-z0-9_.]", in);
        sscanf(rp + 1 + (ss ? 7 : 0), "%127[A-Za-z0-9_.]", out);
        int want = cs && ss ? GS_BIDI_STREAM
                   : cs     ? GS_CLIENT_STREAM
                   : ss     ? GS_SERVER_STREAM
                            : GS_UNARY;
        streams += want != GS_UNARY;
        if (immu_method_kind(name) != want)
            T_FAIL("%s: kind %d, proto says %d", name, immu_method_kind(name), want);
        const ProtobufCMethodDescriptor *md = immu_method(name);
        CHECK(md != NULL);
        if (!md)
            continue;
        char full[160];
        snprintf(full, sizeof(full), "%s%s", strchr(in, '.') ? "" : "immudb.schema.", in);
        CHECK_STR(md->input->name, full);
        snprintf(full, sizeof(full), "%s%s", strchr(out, '.') ? "" : "immudb.schema.", out);
        CHECK_STR(md->output->name, full);
    }
    fclose(f);
    CHECK_INT(rpcs, (int)immudb__schema__immu_service__descriptor.n_methods);
    CHECK_INT(rpcs, 74);
    CHECK_INT(streams, 13);
    CHECK_INT(immu_method_kind("NoSuch"), -1);
    CHECK_STR(immudb__schema__immu_service__descriptor.name, "immudb.schema.ImmuService");
}

static void pack_check(const ProtobufCMessage *m, const char *hex)
{
    uint8_t buf[512];
    size_t n = protobuf_c_message_pack(m, buf);
    uint8_t exp[512];
    size_t en = t_unhex(exp, sizeof(exp), hex);
    CHECK_INT(n, en);
    CHECK_MEM(buf, exp, SEAL_MIN(n, en));
}

/* Field numbers and wire types, pinned byte for byte. */
static void test_schema_encodings(void)
{
    Immudb__Schema__KeyRequest kr;
    immudb__schema__key_request__init(&kr);
    kr.key.data = (uint8_t *)"k";
    kr.key.len = 1;
    kr.attx = 1;
    kr.sincetx = 2;
    kr.nowait = 1;
    kr.atrevision = -1;
    /* 1:bytes 2:uint64 3:uint64 4:bool 5:int64 (-1 is ten bytes) */
    pack_check(&kr.base, "0a016b 1001 1802 2001 28ffffffffffffffffff01");

    Immudb__Schema__ScanRequest sr;
    immudb__schema__scan_request__init(&sr);
    sr.endkey.data = (uint8_t *)"z";
    sr.endkey.len = 1;
    sr.offset = 3;
    sr.inclusiveend = 1;
    pack_check(&sr.base, "3a017a 4801 5003");

    Immudb__Schema__TxHeader th;
    immudb__schema__tx_header__init(&th);
    th.id = 5;
    th.ts = 7;
    th.nentries = 1;
    th.bltxid = 4;
    th.version = 1;
    pack_check(&th.base, "0805 1807 2001 3004 4001");

    Immudb__Schema__ZAddRequest za;
    immudb__schema__zadd_request__init(&za);
    za.set.data = (uint8_t *)"s";
    za.set.len = 1;
    za.score = 1.0;
    pack_check(&za.base, "0a0173 11000000000000f03f");

    Immudb__Schema__DatabaseNullableSettings ds;
    immudb__schema__database_nullable_settings__init(&ds);
    Immudb__Schema__NullableUint32 v;
    immudb__schema__nullable_uint32__init(&v);
    v.value = 1;
    ds.writetxheaderversion = &v;
    pack_check(&ds.base, "a2 01 02 0801"); /* field 20, length-delimited */

    Immudb__Schema__Chunk ch;
    immudb__schema__chunk__init(&ch);
    Immudb__Schema__Chunk__MetadataEntry me;
    immudb__schema__chunk__metadata_entry__init(&me);
    me.key = (char *)"k";
    me.value.data = (uint8_t *)"v";
    me.value.len = 1;
    Immudb__Schema__Chunk__MetadataEntry *mes[] = {&me};
    ch.n_metadata = 1;
    ch.metadata = mes;
    ch.content.data = (uint8_t *)"c";
    ch.content.len = 1;
    pack_check(&ch.base, "0a0163 1206 0a016b 120176");

    Immudb__Schema__VerifiableSQLEntry ve;
    immudb__schema__verifiable_sqlentry__init(&ve);
    uint32_t pk[] = {1, 2};
    ve.n_pkids = 2;
    ve.pkids = pk;
    ve.maxcolid = 9;
    pack_check(&ve.base, "6009 8201 020102"); /* 12:uint32, 16: packed repeated */

    Immudb__Schema__SQLValue sv;
    immudb__schema__sqlvalue__init(&sv);
    sv.value_case = IMMUDB__SCHEMA__SQLVALUE__VALUE_NULL;
    sv.null = GOOGLE__PROTOBUF__NULL_VALUE__NULL_VALUE;
    pack_check(&sv.base, "0800");

    Immudb__Schema__HealthResponse hr;
    immudb__schema__health_response__init(&hr);
    hr.status = 1;
    hr.version = (char *)"1.9";
    pack_check(&hr.base, "0801 1203 312e39");
}

int main(void)
{
    t_init();
    RUN(test_timeout);
    RUN(test_percent);
    RUN(test_reader);
    RUN(test_content_type_md_codes);
    RUN(test_service_table);
    RUN(test_schema_encodings);
    return t_done();
}
