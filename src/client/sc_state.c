/* sc_state.c - the trusted state file of libsealclient.
 *
 * One file per server, <state_dir>/.state-<server UUID>, in immudb's file
 * cache format: one line per database, "<db>:<base64 of the protobuf
 * ImmutableState>", lines joined by "\n" (no trailing newline). A lock file
 * <state file>.lock is flock'ed exclusively for the whole read-verify-write
 * of a verified call. Writes are atomic: a temp file in the same directory,
 * fsync, rename over the state file, fsync of the directory. The directory
 * is created 0700 and refused when others may write to it; files are 0600. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/sc_internal.h"

/* ---------------------------------------------------------------- base64 */
static const char b64t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *sc_b64_encode(const uint8_t *p, size_t n)
{
    size_t olen = 4 * ((n + 2) / 3);
    char *o = seal_malloc(olen + 1);
    if (!o)
        return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        o[j++] = b64t[(v >> 18) & 63];
        o[j++] = b64t[(v >> 12) & 63];
        o[j++] = i + 1 < n ? b64t[(v >> 6) & 63] : '=';
        o[j++] = i + 2 < n ? b64t[v & 63] : '=';
    }
    o[j] = 0;
    return o;
}

static int b64v(char ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    if (ch == '+')
        return 62;
    if (ch == '/')
        return 63;
    return -1;
}

/* Strict: length a multiple of 4, padding only at the end. */
int sc_b64_decode(const char *s, size_t n, uint8_t **out, size_t *out_len)
{
    if (n % 4)
        return SEAL_ECORRUPT;
    uint8_t *o = seal_malloc(n / 4 * 3 + 1);
    if (!o)
        return SEAL_ENOMEM;
    size_t j = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            if (s[i + k] == '=' && i + 4 == n && k >= 2) {
                v[k] = 0;
                pad++;
            } else if (pad) {
                seal_free(o);
                return SEAL_ECORRUPT;
            } else if ((v[k] = b64v(s[i + k])) < 0) {
                seal_free(o);
                return SEAL_ECORRUPT;
            }
        }
        uint32_t w = ((uint32_t)v[0] << 18) | ((uint32_t)v[1] << 12) | ((uint32_t)v[2] << 6) |
                     (uint32_t)v[3];
        o[j++] = (uint8_t)(w >> 16);
        if (pad < 2)
            o[j++] = (uint8_t)(w >> 8);
        if (pad < 1)
            o[j++] = (uint8_t)w;
    }
    *out = o;
    *out_len = j;
    return 0;
}

/* ------------------------------------------------------------ directory */
/* mkdir -p with mode 0700 for the components it creates; the last
 * component must be a directory that only its owner may write to. */
static int ensure_dir(seal_client *c, const char *dir)
{
    char path[4096];
    if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
        return sc_fail(c, SEAL_EINVAL, "state directory path too long");
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(path, 0700) != 0 && errno != EEXIST) {
            int e = errno;
            *p = '/';
            return sc_fail(c, SEAL_EIO, "cannot create %s: %s", path, strerror(e));
        }
        *p = '/';
    }
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return sc_fail(c, SEAL_EIO, "cannot create the state directory %s: %s", path,
                       strerror(errno));
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return sc_fail(c, SEAL_EIO, "the state directory %s is not a directory", path);
    if (sb.st_uid != geteuid() || (sb.st_mode & 022))
        return sc_fail(c, SEAL_EPERM,
                       "the state directory %s may be written by other users (mode %03o): "
                       "refusing to keep trusted state there",
                       path, (unsigned)(sb.st_mode & 0777));
    return 0;
}

/* -------------------------------------------------------------- locking */
int sc_state_lock(seal_client *c, sc_lock *lk)
{
    memset(lk, 0, sizeof(*lk));
    lk->fd = -1;
    int rc = sc_ensure_uuid(c);
    if (rc)
        return rc;
    if ((rc = ensure_dir(c, c->state_dir)) != 0)
        return rc;
    char lpath[4200];
    snprintf(lpath, sizeof(lpath), "%s.lock", c->state_path);
    int fd = open(lpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return sc_fail(c, SEAL_EIO, "cannot open the state lock %s: %s", lpath, strerror(errno));
    while (flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            int e = errno;
            close(fd);
            return sc_fail(c, SEAL_EIO, "cannot lock %s: %s", lpath, strerror(e));
        }
    }
    /* read the state file under the lock */
    int sfd = open(c->state_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (sfd < 0 && errno != ENOENT) {
        int e = errno;
        close(fd);
        return sc_fail(c, SEAL_EIO, "cannot open %s: %s", c->state_path, strerror(e));
    }
    size_t cap = 256, len = 0;
    char *buf = seal_malloc(cap);
    if (!buf) {
        rc = SEAL_ENOMEM;
        goto fail;
    }
    if (sfd >= 0) {
        struct stat sb;
        if (fstat(sfd, &sb) == 0 && (sb.st_mode & 077))
            SEAL_LOGW("client", "state file %s has mode %03o (expected 0600)", c->state_path,
                      (unsigned)(sb.st_mode & 0777));
        for (;;) {
            if (len + 1 >= cap) {
                if (cap > (64u << 20)) {
                    rc = sc_fail(c, SEAL_ECORRUPT, "state file %s is too large", c->state_path);
                    goto fail;
                }
                char *nb = seal_realloc(buf, cap * 2);
                if (!nb) {
                    rc = SEAL_ENOMEM;
                    goto fail;
                }
                buf = nb;
                cap *= 2;
            }
            ssize_t r = read(sfd, buf + len, cap - 1 - len);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0) {
                rc = sc_fail(c, SEAL_EIO, "cannot read %s: %s", c->state_path, strerror(errno));
                goto fail;
            }
            if (r == 0)
                break;
            len += (size_t)r;
        }
        close(sfd);
        sfd = -1;
        lk->existed = true;
    }
    buf[len] = 0;
    lk->fd = fd;
    lk->content = buf;
    lk->len = len;
    return 0;
fail:
    if (sfd >= 0)
        close(sfd);
    seal_free(buf);
    close(fd);
    return rc;
}

void sc_state_unlock(sc_lock *lk)
{
    if (lk->fd >= 0) {
        flock(lk->fd, LOCK_UN);
        close(lk->fd);
    }
    seal_free(lk->content);
    memset(lk, 0, sizeof(*lk));
    lk->fd = -1;
}

/* Finds the line "<db>:..." in |content|: start of the value and its length. */
static bool find_line(const char *content, size_t len, const char *db, size_t *line_start,
                      size_t *line_end)
{
    size_t dl = strlen(db);
    size_t i = 0;
    while (i < len) {
        size_t e = i;
        while (e < len && content[e] != '\n')
            e++;
        if (e - i > dl && memcmp(content + i, db, dl) == 0 && content[i + dl] == ':') {
            *line_start = i;
            *line_end = e;
            return true;
        }
        i = e + 1;
    }
    return false;
}

int sc_state_get(seal_client *c, const sc_lock *lk, sc_state *out)
{
    size_t s, e;
    if (!find_line(lk->content, lk->len, c->db, &s, &e))
        return SEAL_ENOTFOUND;
    size_t off = s + strlen(c->db) + 1;
    size_t n = e - off;
    if (n && lk->content[off + n - 1] == '\r')
        n--;
    uint8_t *raw = NULL;
    size_t rl = 0;
    int rc = sc_b64_decode(lk->content + off, n, &raw, &rl);
    if (rc == SEAL_ENOMEM)
        return rc;
    if (rc || rl == 0) {
        seal_free(raw);
        return sc_fail(c, SEAL_ECORRUPT, "state file %s: the line of %s is not valid base64",
                       c->state_path, c->db);
    }
    Immudb__Schema__ImmutableState *m =
        immudb__schema__immutable_state__unpack(&sc_pb_alloc, rl, raw);
    seal_free(raw);
    if (!m)
        return sc_fail(c, SEAL_ECORRUPT,
                       "state file %s: the state of %s is not a valid ImmutableState",
                       c->state_path, c->db);
    memset(out, 0, sizeof(*out));
    out->tx = m->txid;
    mt_digest_from_bytes(out->hash, m->txhash.data, m->txhash.len);
    if (m->signature) {
        out->has_sig = true;
        out->sig_len = SEAL_MIN(m->signature->signature.len, sizeof(out->sig));
        if (out->sig_len)
            memcpy(out->sig, m->signature->signature.data, out->sig_len);
        out->pub_len = SEAL_MIN(m->signature->publickey.len, sizeof(out->pub));
        if (out->pub_len)
            memcpy(out->pub, m->signature->publickey.data, out->pub_len);
    }
    bool bad = m->txhash.len != MT_HASH_LEN && !(m->txid == 0 && m->txhash.len == 0);
    sc_msg_free(m);
    if (bad)
        return sc_fail(c, SEAL_ECORRUPT, "state file %s: the hash of %s is not 32 bytes",
                       c->state_path, c->db);
    return 0;
}

static int write_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

int sc_state_put(seal_client *c, sc_lock *lk, const sc_state *st)
{
    Immudb__Schema__ImmutableState m;
    immudb__schema__immutable_state__init(&m);
    Immudb__Schema__Signature sig;
    immudb__schema__signature__init(&sig);
    uint8_t hash[MT_HASH_LEN];
    memcpy(hash, st->hash, MT_HASH_LEN);
    m.db = c->db;
    m.txid = st->tx;
    m.txhash.data = hash;
    m.txhash.len = MT_HASH_LEN;
    if (st->has_sig) {
        sig.signature.data = (uint8_t *)(uintptr_t)st->sig;
        sig.signature.len = st->sig_len;
        sig.publickey.data = (uint8_t *)(uintptr_t)st->pub;
        sig.publickey.len = st->pub_len;
        m.signature = &sig;
    }
    int rc = 0;
    char *b64 = NULL, *out = NULL;
    char tmp[4200];
    int fd = -1;
    size_t pl = immudb__schema__immutable_state__get_packed_size(&m);
    uint8_t *packed = seal_malloc(pl ? pl : 1);
    if (!packed)
        return SEAL_ENOMEM;
    immudb__schema__immutable_state__pack(&m, packed);
    b64 = sc_b64_encode(packed, pl);
    seal_free(packed);
    if (!b64)
        return SEAL_ENOMEM;

    /* new content: the other lines unchanged, ours replaced or appended */
    size_t dl = strlen(c->db), bl = strlen(b64);
    size_t cap = lk->len + dl + bl + 4;
    out = seal_malloc(cap);
    if (!out) {
        rc = SEAL_ENOMEM;
        goto done;
    }
    size_t n = 0, s, e;
    if (find_line(lk->content, lk->len, c->db, &s, &e)) {
        memcpy(out, lk->content, s);
        n = s;
        memcpy(out + n, c->db, dl);
        n += dl;
        out[n++] = ':';
        memcpy(out + n, b64, bl);
        n += bl;
        memcpy(out + n, lk->content + e, lk->len - e);
        n += lk->len - e;
    } else {
        memcpy(out, lk->content, lk->len);
        n = lk->len;
        if (n && out[n - 1] != '\n')
            out[n++] = '\n';
        memcpy(out + n, c->db, dl);
        n += dl;
        out[n++] = ':';
        memcpy(out + n, b64, bl);
        n += bl;
    }

    snprintf(tmp, sizeof(tmp), "%s.tmp", c->state_path);
    unlink(tmp);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        rc = sc_fail(c, SEAL_EIO, "cannot create %s: %s", tmp, strerror(errno));
        goto done;
    }
    if (write_all(fd, out, n) != 0 || fsync(fd) != 0) {
        rc = sc_fail(c, errno == ENOSPC ? SEAL_ENOSPACE : SEAL_EIO, "cannot write %s: %s", tmp,
                     strerror(errno));
        goto done;
    }
    close(fd);
    fd = -1;
    if (rename(tmp, c->state_path) != 0) {
        rc =
            sc_fail(c, SEAL_EIO, "cannot rename %s to %s: %s", tmp, c->state_path, strerror(errno));
        goto done;
    }
    int dfd = open(c->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        if (fsync(dfd) != 0)
            rc = sc_fail(c, SEAL_EIO, "cannot sync the state directory: %s", strerror(errno));
        close(dfd);
    }
    if (rc == 0) {
        /* the lock's view follows the file */
        seal_free(lk->content);
        lk->content = out;
        lk->len = n;
        lk->content[n] = 0;
        lk->existed = true;
        out = NULL;
    }
done:
    if (fd >= 0) {
        close(fd);
        unlink(tmp);
    }
    seal_free(out);
    seal_free(b64);
    return rc;
}

int seal_client_trusted_state(seal_client *c, seal_dbstate *out)
{
    sc_begin(c);
    sc_lock lk;
    int rc = sc_state_lock(c, &lk);
    if (rc)
        return rc;
    sc_state st;
    rc = sc_state_get(c, &lk, &st);
    sc_state_unlock(&lk);
    if (rc == SEAL_ENOTFOUND)
        return sc_fail(c, rc, "no trusted state for %s on server %s", c->db, c->server_uuid);
    if (rc)
        return rc;
    memset(out, 0, sizeof(*out));
    snprintf(out->db, sizeof(out->db), "%s", c->db);
    out->tx_id = st.tx;
    memcpy(out->tx_hash, st.hash, MT_HASH_LEN);
    out->has_signature = st.has_sig;
    memcpy(out->signature, st.sig, st.sig_len);
    out->signature_len = st.sig_len;
    memcpy(out->public_key, st.pub, st.pub_len);
    out->public_key_len = st.pub_len;
    return 0;
}
