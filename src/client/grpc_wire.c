/* grpc_wire.c - gRPC wire helpers shared by server and client: status names,
 * message framing and reassembly, grpc-timeout, grpc-message escaping and
 * metadata lists. */
#include "client/grpc_wire.h"

#include <ctype.h>
#include <stdio.h>
#include <strings.h>
#include <time.h>

#include "common/common.h"

static const char *const code_names[] = {
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
};

const char *gw_code_name(int code)
{
    if (code < 0 || code > GW_CODE_MAX)
        return "UNKNOWN_CODE";
    return code_names[code];
}

int gw_code_from_err(int rc)
{
    switch (rc) {
    case 0:
        return GW_OK;
    case SEAL_ENOMEM:
    case SEAL_ELIMIT:
    case SEAL_ENOSPACE:
    case SEAL_ETXTOOLARGE:
        return GW_RESOURCE_EXHAUSTED;
    case SEAL_EINVAL:
    case SEAL_EDUPLICATE:
        return GW_INVALID_ARGUMENT;
    case SEAL_ENOTFOUND:
        return GW_NOT_FOUND;
    case SEAL_EEXISTS:
        return GW_ALREADY_EXISTS;
    case SEAL_EPRECONDITION:
    case SEAL_ESTATE:
        return GW_FAILED_PRECONDITION;
    case SEAL_ECLOSED:
        return GW_CANCELLED;
    case SEAL_EBUSY:
        return GW_UNAVAILABLE;
    case SEAL_ETIMEOUT:
        return GW_DEADLINE_EXCEEDED;
    case SEAL_EUNSUPPORTED:
    case SEAL_ENOTALLOWED:
        return GW_UNIMPLEMENTED;
    case SEAL_EAUTH:
        return GW_UNAUTHENTICATED;
    case SEAL_EPERM:
        return GW_PERMISSION_DENIED;
    case SEAL_ECORRUPT:
        return GW_DATA_LOSS;
    default:
        return GW_INTERNAL;
    }
}

int gw_code_from_http(int st)
{
    switch (st) {
    case 400:
        return GW_INTERNAL;
    case 401:
        return GW_UNAUTHENTICATED;
    case 403:
        return GW_PERMISSION_DENIED;
    case 404:
        return GW_UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
        return GW_UNAVAILABLE;
    default:
        return GW_UNKNOWN;
    }
}

void gw_put_prefix(uint8_t out[GW_PREFIX_LEN], int compressed, uint32_t len)
{
    out[0] = compressed ? 1 : 0;
    seal_put_u32(out + 1, len);
}

void gw_msg_free(gw_msg *m)
{
    if (!m)
        return;
    seal_free(m->data);
    seal_free(m);
}

void gw_reader_init(gw_reader *r, size_t max_len)
{
    memset(r, 0, sizeof(*r));
    r->max_len = max_len;
}

void gw_reader_reset(gw_reader *r)
{
    gw_msg_free(r->cur);
    size_t max = r->max_len;
    gw_reader_init(r, max);
}

bool gw_reader_partial(const gw_reader *r)
{
    return r->hdr_have > 0 || r->cur != NULL;
}

/* Allocation step for a message being assembled. */
#define GW_GROW_MIN (64u * 1024u)

int gw_reader_feed(gw_reader *r, const uint8_t *p, size_t n, size_t *used, gw_msg **out)
{
    size_t off = 0;
    while (off < n || (r->hdr_have == GW_PREFIX_LEN && !r->cur)) {
        if (r->hdr_have < GW_PREFIX_LEN) {
            size_t take = SEAL_MIN(GW_PREFIX_LEN - r->hdr_have, n - off);
            memcpy(r->hdr + r->hdr_have, p + off, take);
            r->hdr_have += take;
            off += take;
            if (r->hdr_have < GW_PREFIX_LEN)
                break;
        }
        if (!r->cur) {
            uint8_t flag = r->hdr[0];
            uint32_t len = seal_get_u32(r->hdr + 1);
            r->flag = flag;
            if (flag == 1) {
                *used = off;
                return SEAL_EUNSUPPORTED;
            }
            if (flag != 0) {
                *used = off;
                return SEAL_EPROTOCOL;
            }
            if (len > r->max_len) {
                r->bad_len = len;
                *used = off;
                return SEAL_ELIMIT;
            }
            gw_msg *m = seal_calloc(1, sizeof(*m));
            if (!m)
                return SEAL_ENOMEM;
            m->cap = SEAL_MIN((size_t)len, (size_t)GW_GROW_MIN);
            m->data = seal_malloc(m->cap ? m->cap : 1);
            if (!m->data) {
                seal_free(m);
                return SEAL_ENOMEM;
            }
            r->cur = m;
            r->declared = len;
        }
        gw_msg *m = r->cur;
        size_t want = r->declared - m->len;
        size_t take = SEAL_MIN(want, n - off);
        if (m->len + take > m->cap) {
            size_t ncap = m->cap * 2;
            if (ncap < m->len + take)
                ncap = m->len + take;
            if (ncap > r->declared)
                ncap = r->declared;
            uint8_t *nd = seal_realloc(m->data, ncap);
            if (!nd)
                return SEAL_ENOMEM;
            m->data = nd;
            m->cap = ncap;
        }
        memcpy(m->data + m->len, p + off, take);
        m->len += take;
        off += take;
        if (m->len == r->declared) {
            r->cur = NULL;
            r->hdr_have = 0;
            *out = m;
            *used = off;
            return 1;
        }
    }
    *used = off;
    return 0;
}

int gw_timeout_parse(const char *s, size_t n, int64_t *ms_out)
{
    if (n < 2 || n > 9)
        return SEAL_EINVAL;
    int64_t v = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return SEAL_EINVAL;
        v = v * 10 + (s[i] - '0');
    }
    int64_t ms;
    switch (s[n - 1]) {
    case 'H':
        ms = v * 3600000;
        break;
    case 'M':
        ms = v * 60000;
        break;
    case 'S':
        ms = v * 1000;
        break;
    case 'm':
        ms = v;
        break;
    case 'u':
        ms = (v + 999) / 1000;
        break;
    case 'n':
        ms = (v + 999999) / 1000000;
        break;
    default:
        return SEAL_EINVAL;
    }
    *ms_out = ms;
    return 0;
}

void gw_timeout_format(char *out, size_t cap, int64_t ms)
{
    if (ms < 0)
        ms = 0;
    if (ms <= 99999999)
        snprintf(out, cap, "%lldm", (long long)ms);
    else if (ms / 1000 <= 99999999)
        snprintf(out, cap, "%lldS", (long long)((ms + 999) / 1000));
    else
        snprintf(out, cap, "%lldH", (long long)SEAL_MIN((ms / 3600000) + 1, 99999999LL));
}

char *gw_pct_encode(const char *s, size_t n)
{
    static const char hx[] = "0123456789ABCDEF";
    char *o = seal_malloc(3 * n + 1);
    if (!o)
        return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c <= 0x7e && c != '%') {
            o[j++] = (char)c;
        } else {
            o[j++] = '%';
            o[j++] = hx[c >> 4];
            o[j++] = hx[c & 15];
        }
    }
    o[j] = 0;
    return o;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *gw_pct_decode(const char *s, size_t n)
{
    char *o = seal_malloc(n + 1);
    if (!o)
        return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            o[j++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else {
            o[j++] = s[i];
        }
    }
    o[j] = 0;
    return o;
}

int64_t gw_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int gw_md_add(gw_md *md, const char *name, size_t name_len, const char *value, size_t value_len)
{
    if (md->n == md->cap) {
        size_t ncap = md->cap ? md->cap * 2 : 8;
        gw_kv *nkv = seal_realloc(md->kv, ncap * sizeof(*nkv));
        if (!nkv)
            return SEAL_ENOMEM;
        md->kv = nkv;
        md->cap = ncap;
    }
    char *nm = seal_malloc(name_len + 1);
    char *val = seal_malloc(value_len + 1);
    if (!nm || !val) {
        seal_free(nm);
        seal_free(val);
        return SEAL_ENOMEM;
    }
    for (size_t i = 0; i < name_len; i++)
        nm[i] = (char)tolower((unsigned char)name[i]);
    nm[name_len] = 0;
    if (value_len)
        memcpy(val, value, value_len);
    val[value_len] = 0;
    md->kv[md->n].name = nm;
    md->kv[md->n].value = val;
    md->kv[md->n].value_len = value_len;
    md->n++;
    return 0;
}

int gw_md_adds(gw_md *md, const char *name, const char *value)
{
    return gw_md_add(md, name, strlen(name), value, strlen(value));
}

const char *gw_md_get(const gw_md *md, const char *name)
{
    for (size_t i = 0; i < md->n; i++)
        if (strcmp(md->kv[i].name, name) == 0)
            return md->kv[i].value;
    return NULL;
}

void gw_md_free(gw_md *md)
{
    for (size_t i = 0; i < md->n; i++) {
        seal_free(md->kv[i].name);
        seal_free(md->kv[i].value);
    }
    seal_free(md->kv);
    memset(md, 0, sizeof(*md));
}

bool gw_content_type_ok(const char *ct, char *subtype, size_t cap)
{
    static const char base[] = "application/grpc";
    size_t bl = sizeof(base) - 1;
    if (cap)
        subtype[0] = 0;
    if (!ct || strncasecmp(ct, base, bl) != 0)
        return false;
    const char *rest = ct + bl;
    if (*rest == 0 || *rest == ';')
        return true;
    if (*rest != '+')
        return false;
    rest++;
    size_t k = 0;
    while (rest[k] && rest[k] != ';' && k + 1 < cap) {
        subtype[k] = (char)tolower((unsigned char)rest[k]);
        k++;
    }
    if (cap)
        subtype[k] = 0;
    return true;
}
