/* sessions_test.c - login tokens (format, uniqueness, lookup, expiry with
 * injected time, revocation, database binding, limits), sessions (immudb's
 * defaults, limit, keepalive, timeout, age, inactivity, sweep) and the
 * failed-login backoff (growth, cap, reset, forgetting, bounded memory). */
#include "testlib.h"

#include <pthread.h>
#include <stdlib.h>

#include "common/common.h"
#include "db/sessions.h"

#define MIN (60LL * 1000)
static const int64_t T0 = 1700000000000;

static bool b64url_only(const char *s, size_t n, size_t pad)
{
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                  (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || (i >= n - pad && ch == '=');
        if (!ok)
            return false;
    }
    return s[n] == '\0';
}

/* ------------------------------------------------------------------ tokens */
static void test_token_issue_lookup(void)
{
    auth_tokens *t = NULL;
    char tok[AUTH_TOKEN_LEN + 1], bearer[64];
    auth_token_info info;
    CHECK_OK(auth_tokens_new(&t, NULL));
    CHECK_OK(auth_tokens_issue(t, "alice", NULL, T0, tok));
    CHECK_INT(strlen(tok), 43);
    CHECK(b64url_only(tok, 43, 0));
    memset(&info, 0x55, sizeof(info));
    CHECK_OK(auth_tokens_lookup(t, tok, T0 + 1, &info));
    CHECK_STR(info.username, "alice");
    CHECK_STR(info.database, "");
    CHECK_INT(info.issued_ms, T0);
    CHECK_INT(info.expires_ms, T0 + 1440 * MIN); /* immudb's default expiry */
    snprintf(bearer, sizeof(bearer), "Bearer %s", tok);
    CHECK_OK(auth_tokens_lookup(t, bearer, T0 + 1, NULL));

    /* Anything else is unknown. */
    char bad[AUTH_TOKEN_LEN + 1];
    memcpy(bad, tok, sizeof(bad));
    bad[20] = bad[20] == 'A' ? 'B' : 'A';
    CHECK_ERR(auth_tokens_lookup(t, bad, T0, NULL), SEAL_EAUTH);
    bad[20] = tok[20];
    bad[42] = '\0';
    CHECK_ERR(auth_tokens_lookup(t, bad, T0, NULL), SEAL_EAUTH);
    CHECK_ERR(auth_tokens_lookup(t, "", T0, NULL), SEAL_EAUTH);
    CHECK_ERR(auth_tokens_lookup(t, NULL, T0, NULL), SEAL_EAUTH);
    CHECK_ERR(auth_tokens_lookup(t, "Bearer ", T0, NULL), SEAL_EAUTH);

    /* Bound to a database at login. */
    char tok2[AUTH_TOKEN_LEN + 1];
    CHECK_OK(auth_tokens_issue(t, "bob", "defaultdb", T0, tok2));
    CHECK_OK(auth_tokens_lookup(t, tok2, T0, &info));
    CHECK_STR(info.username, "bob");
    CHECK_STR(info.database, "defaultdb");
    CHECK_INT(auth_tokens_count(t), 2);

    /* Bad names. */
    char n64[65];
    memset(n64, 'x', 64);
    n64[64] = '\0';
    CHECK_ERR(auth_tokens_issue(t, "", NULL, T0, tok2), SEAL_EINVAL);
    CHECK_ERR(auth_tokens_issue(t, NULL, NULL, T0, tok2), SEAL_EINVAL);
    CHECK_ERR(auth_tokens_issue(t, n64, NULL, T0, tok2), SEAL_EINVAL);
    CHECK_INT(auth_tokens_count(t), 2);
    auth_tokens_free(t);
}

static int cmp_tok(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

static void test_token_unique(void)
{
    enum { N = 2000 };
    static char toks[N][AUTH_TOKEN_LEN + 1];
    auth_tokens *t = NULL;
    CHECK_OK(auth_tokens_new(&t, NULL));
    for (int i = 0; i < N; i++)
        CHECK_OK(auth_tokens_issue(t, "alice", NULL, T0, toks[i]));
    qsort(toks, N, sizeof(toks[0]), cmp_tok);
    for (int i = 1; i < N; i++)
        CHECK(strcmp(toks[i - 1], toks[i]) != 0);
    /* All resolvable (the table grew past its first size). */
    int found = 0;
    for (int i = 0; i < N; i++)
        found += auth_tokens_lookup(t, toks[i], T0, NULL) == 0;
    CHECK_INT(found, N);
    CHECK_INT(auth_tokens_count(t), N);
    auth_tokens_free(t);
}

static void test_token_expiry_revoke(void)
{
    auth_tokens *t = NULL;
    auth_tokens_options o = {.expiry_minutes = 10};
    char a1[AUTH_TOKEN_LEN + 1], a2[AUTH_TOKEN_LEN + 1], b1[AUTH_TOKEN_LEN + 1];
    auth_token_info info;
    CHECK_OK(auth_tokens_new(&t, &o));
    CHECK_OK(auth_tokens_issue(t, "alice", NULL, T0, a1));
    CHECK_OK(auth_tokens_issue(t, "alice", "db1", T0 + MIN, a2));
    CHECK_OK(auth_tokens_issue(t, "bob", NULL, T0, b1));
    CHECK_OK(auth_tokens_lookup(t, a1, T0 + 10 * MIN - 1, &info));
    CHECK_INT(info.expires_ms, T0 + 10 * MIN);
    /* Expired: "token has expired" once, then unknown. */
    CHECK_ERR(auth_tokens_lookup(t, a1, T0 + 10 * MIN, NULL), SEAL_ETIMEOUT);
    CHECK_ERR(auth_tokens_lookup(t, a1, T0 + 10 * MIN, NULL), SEAL_EAUTH);
    CHECK_INT(auth_tokens_count(t), 2);
    CHECK_OK(auth_tokens_lookup(t, a2, T0 + 10 * MIN, NULL));

    /* Sweep drops what expired. */
    CHECK_INT(auth_tokens_sweep(t, T0 + 10 * MIN), 1); /* b1 */
    CHECK_INT(auth_tokens_count(t), 1);
    CHECK_ERR(auth_tokens_lookup(t, b1, T0, NULL), SEAL_EAUTH);

    /* Logout revokes. */
    CHECK_OK(auth_tokens_revoke(t, a2));
    CHECK_ERR(auth_tokens_lookup(t, a2, T0 + MIN, NULL), SEAL_EAUTH);
    CHECK_ERR(auth_tokens_revoke(t, a2), SEAL_EAUTH);
    CHECK_ERR(auth_tokens_revoke(t, "nope"), SEAL_EAUTH);
    CHECK_INT(auth_tokens_count(t), 0);

    /* Revoke all of a user's tokens. */
    for (int i = 0; i < 3; i++)
        CHECK_OK(auth_tokens_issue(t, "alice", NULL, T0, a1));
    CHECK_OK(auth_tokens_issue(t, "bob", NULL, T0, b1));
    CHECK_INT(auth_tokens_revoke_user(t, "alice"), 3);
    CHECK_ERR(auth_tokens_lookup(t, a1, T0, NULL), SEAL_EAUTH);
    CHECK_OK(auth_tokens_lookup(t, b1, T0, NULL));
    CHECK_INT(auth_tokens_revoke_user(t, "alice"), 0);
    CHECK_INT(auth_tokens_count(t), 1);
    auth_tokens_free(t);
}

static void test_token_use_database(void)
{
    auth_tokens *t = NULL;
    auth_tokens_options o = {.expiry_minutes = 10};
    char a[AUTH_TOKEN_LEN + 1], d[AUTH_TOKEN_LEN + 1];
    auth_token_info info;
    CHECK_OK(auth_tokens_new(&t, &o));
    CHECK_OK(auth_tokens_issue(t, "alice", NULL, T0, a));
    CHECK_OK(auth_tokens_use_database(t, a, "db1", T0 + 5 * MIN, d));
    CHECK(strcmp(a, d) != 0);
    CHECK_OK(auth_tokens_lookup(t, d, T0 + 5 * MIN, &info));
    CHECK_STR(info.username, "alice");
    CHECK_STR(info.database, "db1");
    CHECK_INT(info.expires_ms, T0 + 15 * MIN);
    /* The old token keeps its (empty) binding. */
    CHECK_OK(auth_tokens_lookup(t, a, T0 + 5 * MIN, &info));
    CHECK_STR(info.database, "");
    /* Switching again from the bound token. */
    char e[AUTH_TOKEN_LEN + 1];
    CHECK_OK(auth_tokens_use_database(t, d, "db2", T0 + 6 * MIN, e));
    CHECK_OK(auth_tokens_lookup(t, e, T0 + 6 * MIN, &info));
    CHECK_STR(info.database, "db2");
    /* From an expired or unknown token: refused, nothing issued. */
    size_t n = auth_tokens_count(t);
    CHECK_ERR(auth_tokens_use_database(t, a, "db1", T0 + 10 * MIN, e), SEAL_ETIMEOUT);
    CHECK_ERR(auth_tokens_use_database(t, "garbage", "db1", T0, e), SEAL_EAUTH);
    CHECK_ERR(auth_tokens_use_database(t, d, "", T0 + 6 * MIN, e), SEAL_EINVAL);
    CHECK_INT(auth_tokens_count(t), n - 1);
    auth_tokens_free(t);
}

static void test_token_limit(void)
{
    auth_tokens *t = NULL;
    auth_tokens_options o = {.expiry_minutes = 1, .max_tokens = 5};
    char x[AUTH_TOKEN_LEN + 1];
    CHECK_OK(auth_tokens_new(&t, &o));
    for (int i = 0; i < 5; i++)
        CHECK_OK(auth_tokens_issue(t, "alice", NULL, T0, x));
    memset(x, 'Q', sizeof(x));
    CHECK_ERR(auth_tokens_issue(t, "alice", NULL, T0 + 1, x), SEAL_ELIMIT);
    CHECK_INT(x[0], 'Q'); /* output untouched on failure */
    CHECK_INT(auth_tokens_count(t), 5);
    /* Once they expired there is room again. */
    CHECK_OK(auth_tokens_issue(t, "alice", NULL, T0 + MIN, x));
    CHECK_INT(auth_tokens_count(t), 1);
    /* Allocation failures leave nothing behind. */
    for (long k = 1; k < 10; k++) {
        seal_alloc_fail_at(k, false);
        int rc = auth_tokens_issue(t, "bob", NULL, T0 + MIN, x);
        seal_alloc_fail_at(0, false);
        CHECK(rc == 0 || rc == SEAL_ENOMEM || rc == SEAL_ECRYPTO);
        if (rc == 0) {
            CHECK_OK(auth_tokens_lookup(t, x, T0 + MIN, NULL));
            CHECK_OK(auth_tokens_revoke(t, x));
        }
        CHECK_INT(auth_tokens_count(t), 1);
    }
    auth_tokens_free(t);
}

typedef struct targ {
    auth_tokens *t;
    auth_sessions *s;
    int fails;
} targ;

static void *token_worker(void *p)
{
    targ *a = p;
    for (int i = 0; i < 300; i++) {
        char x[AUTH_TOKEN_LEN + 1], id[AUTH_SESSION_ID_LEN + 1];
        if (auth_tokens_issue(a->t, "alice", NULL, T0, x) != 0 ||
            auth_tokens_lookup(a->t, x, T0, NULL) != 0 || auth_tokens_revoke(a->t, x) != 0)
            a->fails++;
        if (auth_sessions_open(a->s, "bob", "db1", T0, id) != 0 ||
            auth_sessions_touch(a->s, id, T0 + 1, NULL) != 0 || auth_sessions_close(a->s, id) != 0)
            a->fails++;
    }
    return NULL;
}

static void test_threads(void)
{
    auth_tokens *t = NULL;
    auth_sessions *s = NULL;
    CHECK_OK(auth_tokens_new(&t, NULL));
    CHECK_OK(auth_sessions_new(&s, NULL));
    pthread_t th[4];
    targ a[4];
    for (int i = 0; i < 4; i++) {
        a[i] = (targ){t, s, 0};
        CHECK_INT(pthread_create(&th[i], NULL, token_worker, &a[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK_INT(a[i].fails, 0);
    }
    CHECK_INT(auth_tokens_count(t), 0);
    CHECK_INT(auth_sessions_count(s), 0);
    auth_tokens_free(t);
    auth_sessions_free(s);
}

/* ---------------------------------------------------------------- sessions */
static void test_session_defaults(void)
{
    auth_sessions *s = NULL;
    auth_sessions_options o;
    CHECK_OK(auth_sessions_new(&s, NULL));
    auth_sessions_get_options(s, &o);
    CHECK_INT(o.max_sessions, 100);
    CHECK_INT(o.max_inactivity_ms, 3 * MIN);
    CHECK_INT(o.max_age_ms, AUTH_INFINITE);
    CHECK_INT(o.timeout_ms, 2 * MIN);
    CHECK_INT(o.guard_interval_ms, MIN);
    auth_sessions_free(s);
    auth_sessions_options bad = {.timeout_ms = -5};
    s = NULL;
    CHECK_ERR(auth_sessions_new(&s, &bad), SEAL_EINVAL);
    CHECK(s == NULL);
    bad = (auth_sessions_options){.guard_interval_ms = AUTH_INFINITE};
    CHECK_ERR(auth_sessions_new(&s, &bad), SEAL_EINVAL);
}

static void test_session_open_limit(void)
{
    auth_sessions *s = NULL;
    static char ids[101][AUTH_SESSION_ID_LEN + 1];
    auth_session_info info;
    CHECK_OK(auth_sessions_new(&s, NULL));
    for (int i = 0; i < 100; i++) {
        CHECK_OK(auth_sessions_open(s, i % 2 ? "alice" : "bob", "defaultdb", T0 + i, ids[i]));
        CHECK_INT(strlen(ids[i]), 44);
        CHECK(b64url_only(ids[i], 44, 1));
        CHECK_INT(ids[i][43], '=');
    }
    for (int i = 0; i < 100; i++)
        for (int j = i + 1; j < 100; j++)
            CHECK(strcmp(ids[i], ids[j]) != 0);
    /* immudb's MaxSessions. */
    CHECK_ERR(auth_sessions_open(s, "carol", "defaultdb", T0, ids[100]), SEAL_ELIMIT);
    CHECK_INT(auth_sessions_count(s), 100);
    CHECK_OK(auth_sessions_get(s, ids[7], T0 + 100, &info));
    CHECK_STR(info.username, "alice");
    CHECK_STR(info.database, "defaultdb");
    CHECK_INT(info.created_ms, T0 + 7);
    CHECK_INT(info.last_activity_ms, T0 + 7);
    CHECK_OK(auth_sessions_close(s, ids[7]));
    CHECK_ERR(auth_sessions_close(s, ids[7]), SEAL_ENOTFOUND);
    CHECK_ERR(auth_sessions_get(s, ids[7], T0 + 100, &info), SEAL_ENOTFOUND);
    CHECK_OK(auth_sessions_open(s, "carol", "defaultdb", T0 + 200, ids[100]));
    /* Closing a user's sessions. */
    CHECK_INT(auth_sessions_close_user(s, "alice"), 49);
    CHECK_INT(auth_sessions_count(s), 51);
    CHECK_ERR(auth_sessions_get(s, ids[9], T0 + 300, NULL), SEAL_ENOTFOUND);
    CHECK_OK(auth_sessions_get(s, ids[8], T0 + 300, NULL));
    /* Bad input. */
    CHECK_ERR(auth_sessions_open(s, "", "db", T0, ids[0]), SEAL_EINVAL);
    CHECK_ERR(auth_sessions_open(s, "x", "", T0, ids[0]), SEAL_EINVAL);
    CHECK_ERR(auth_sessions_get(s, "", T0, NULL), SEAL_ENOTFOUND);
    CHECK_ERR(auth_sessions_get(s, "bogus", T0, NULL), SEAL_ENOTFOUND);
    auth_sessions_free(s);
}

static void test_session_keepalive_timeout(void)
{
    auth_sessions *s = NULL;
    char a[AUTH_SESSION_ID_LEN + 1], b[AUTH_SESSION_ID_LEN + 1];
    auth_session_info info;
    CHECK_OK(auth_sessions_new(&s, NULL));
    CHECK_OK(auth_sessions_open(s, "alice", "db1", T0, a));
    CHECK_OK(auth_sessions_open(s, "bob", "db1", T0, b));
    /* KeepAlive every minute for ten minutes keeps a alive; get does not
     * count as activity. */
    for (int i = 1; i <= 10; i++) {
        CHECK_OK(auth_sessions_touch(s, a, T0 + i * MIN, &info));
        CHECK_INT(info.last_activity_ms, T0 + i * MIN);
    }
    CHECK_OK(auth_sessions_get(s, a, T0 + 12 * MIN, &info));
    CHECK_INT(info.last_activity_ms, T0 + 10 * MIN);
    /* b was idle for 12 minutes: gone when next used. */
    CHECK_ERR(auth_sessions_get(s, b, T0 + 12 * MIN, NULL), SEAL_ENOTFOUND);
    CHECK_INT(auth_sessions_count(s), 1);
    auth_sessions_free(s);

    s = NULL;
    CHECK_OK(auth_sessions_new(&s, NULL));
    /* At exactly the timeout it is still there, past it gone. */
    CHECK_OK(auth_sessions_open(s, "bob", "db1", T0, b));
    CHECK_OK(auth_sessions_get(s, b, T0 + 2 * MIN, NULL));
    CHECK_ERR(auth_sessions_touch(s, b, T0 + 2 * MIN + 1, NULL), SEAL_ENOTFOUND);
    CHECK_INT(auth_sessions_count(s), 0);
    /* UseDatabase on a session. */
    CHECK_OK(auth_sessions_open(s, "bob", "db1", T0, b));
    CHECK_OK(auth_sessions_set_database(s, b, "db2", T0 + MIN));
    CHECK_OK(auth_sessions_get(s, b, T0 + MIN, &info));
    CHECK_STR(info.database, "db2");
    CHECK_INT(info.last_activity_ms, T0 + MIN);
    CHECK_ERR(auth_sessions_set_database(s, b, "", T0 + MIN), SEAL_EINVAL);
    CHECK_ERR(auth_sessions_set_database(s, "bogus", "db3", T0 + MIN), SEAL_ENOTFOUND);
    auth_sessions_free(s);
}

static void test_session_sweep(void)
{
    auth_sessions *s = NULL;
    auth_sweep_stats st;
    char a[AUTH_SESSION_ID_LEN + 1], b[AUTH_SESSION_ID_LEN + 1], c[AUTH_SESSION_ID_LEN + 1];
    /* immudb's defaults: idle sessions are closed after 2 minutes. */
    CHECK_OK(auth_sessions_new(&s, NULL));
    CHECK_OK(auth_sessions_open(s, "alice", "db1", T0, a));
    CHECK_OK(auth_sessions_open(s, "bob", "db1", T0, b));
    CHECK_OK(auth_sessions_touch(s, b, T0 + 90000, NULL));
    CHECK_INT(auth_sessions_sweep(s, T0 + MIN, &st), 0);
    CHECK_INT(st.remaining, 2);
    CHECK_INT(auth_sessions_sweep(s, T0 + 150000, &st), 1);
    CHECK_INT(st.closed_timeout, 1);
    CHECK_INT(st.closed_age, 0);
    CHECK_INT(st.remaining, 1);
    CHECK_ERR(auth_sessions_get(s, a, T0 + 150000, NULL), SEAL_ENOTFOUND);
    CHECK_OK(auth_sessions_get(s, b, T0 + 150000, NULL));
    auth_sessions_free(s);

    /* No timeout: idle sessions past max_inactivity are only counted; a
     * maximum age closes even busy sessions. */
    auth_sessions_options o = {.timeout_ms = AUTH_INFINITE, .max_age_ms = 10 * MIN};
    s = NULL;
    CHECK_OK(auth_sessions_new(&s, &o));
    CHECK_OK(auth_sessions_open(s, "alice", "db1", T0, a));
    CHECK_OK(auth_sessions_open(s, "bob", "db1", T0 + 5 * MIN, b));
    CHECK_OK(auth_sessions_open(s, "carol", "db1", T0 + 5 * MIN, c));
    CHECK_OK(auth_sessions_touch(s, a, T0 + 9 * MIN, NULL));
    CHECK_INT(auth_sessions_sweep(s, T0 + 9 * MIN, &st), 0);
    CHECK_INT(st.inactive, 2); /* b and c idle 4 min > 3 min */
    CHECK_INT(st.remaining, 3);
    CHECK_OK(auth_sessions_touch(s, b, T0 + 9 * MIN, NULL));
    CHECK_INT(auth_sessions_sweep(s, T0 + 10 * MIN + 1, &st), 1);
    CHECK_INT(st.closed_age, 1);
    CHECK_INT(st.inactive, 1); /* c */
    CHECK_INT(st.remaining, 2);
    CHECK_ERR(auth_sessions_touch(s, a, T0 + 10 * MIN + 1, NULL), SEAL_ENOTFOUND);
    /* Age is checked on use too, before the sweep runs. */
    CHECK_OK(auth_sessions_touch(s, b, T0 + 15 * MIN, NULL));
    CHECK_ERR(auth_sessions_touch(s, b, T0 + 15 * MIN + 1, NULL), SEAL_ENOTFOUND);
    CHECK_INT(auth_sessions_count(s), 1);
    auth_sessions_free(s);

    /* Everything infinite: nothing ever closes by time. */
    auth_sessions_options inf = {.timeout_ms = AUTH_INFINITE,
                                 .max_inactivity_ms = AUTH_INFINITE,
                                 .max_age_ms = AUTH_INFINITE};
    s = NULL;
    CHECK_OK(auth_sessions_new(&s, &inf));
    CHECK_OK(auth_sessions_open(s, "alice", "db1", T0, a));
    CHECK_INT(auth_sessions_sweep(s, T0 + 1000LL * 24 * 60 * MIN, &st), 0);
    CHECK_INT(st.inactive, 0);
    CHECK_OK(auth_sessions_get(s, a, T0 + 1000LL * 24 * 60 * MIN, NULL));
    auth_sessions_free(s);
}

/* ----------------------------------------------------------------- backoff */
static void test_backoff_grows_caps_resets(void)
{
    auth_backoff *b = NULL;
    int64_t w = -1, t = T0;
    CHECK_OK(auth_backoff_new(&b, NULL)); /* 3 free, 1 s doubling to 60 s */
    CHECK_INT(auth_backoff_wait(b, "alice", "10.0.0.1", t), 0);
    for (int i = 1; i <= 3; i++) {
        CHECK_OK(auth_backoff_failure(b, "alice", NULL, t, &w));
        CHECK_INT(w, 0);
    }
    int64_t expect[] = {1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000};
    for (size_t i = 0; i < SEAL_ARRAY_LEN(expect); i++) {
        CHECK_OK(auth_backoff_failure(b, "alice", NULL, t, &w));
        CHECK_INT(w, expect[i]);
        CHECK_INT(auth_backoff_wait(b, "alice", NULL, t), expect[i]);
        t += w; /* the client waits as told */
    }
    /* The wait runs down with time. */
    CHECK_OK(auth_backoff_failure(b, "alice", NULL, t, &w));
    CHECK_INT(w, 60000);
    CHECK_INT(auth_backoff_wait(b, "alice", NULL, t + 15000), 45000);
    CHECK_INT(auth_backoff_wait(b, "alice", NULL, t + 60000), 0);
    /* Other users are not slowed. */
    CHECK_INT(auth_backoff_wait(b, "bob", NULL, t), 0);
    /* A success starts over. */
    auth_backoff_success(b, "alice");
    CHECK_INT(auth_backoff_wait(b, "alice", NULL, t), 0);
    CHECK_OK(auth_backoff_failure(b, "alice", NULL, t, &w));
    CHECK_INT(w, 0);
    auth_backoff_free(b);
}

static void test_backoff_address_and_forget(void)
{
    auth_backoff *b = NULL;
    auth_backoff_options o = {.forget_ms = 10 * MIN};
    int64_t w = -1;
    char name[16];
    CHECK_OK(auth_backoff_new(&b, &o));
    /* Spraying one guess at many users from one address: the address
     * counter (10 free) catches it. */
    for (int i = 0; i < 10; i++) {
        snprintf(name, sizeof(name), "u%d", i);
        CHECK_OK(auth_backoff_failure(b, name, "192.0.2.7", T0, &w));
        CHECK_INT(w, 0);
    }
    CHECK_OK(auth_backoff_failure(b, "u10", "192.0.2.7", T0, &w));
    CHECK_INT(w, 1000);
    CHECK_INT(auth_backoff_wait(b, "fresh", "192.0.2.7", T0), 1000);
    CHECK_INT(auth_backoff_wait(b, "fresh", "198.51.100.1", T0), 0);
    CHECK_INT(auth_backoff_wait(b, "fresh", NULL, T0), 0);
    /* A success of one account does not clear the address. */
    auth_backoff_success(b, "u3");
    CHECK_INT(auth_backoff_wait(b, "u3", "192.0.2.7", T0), 1000);
    /* After forget_ms without failures both counters start over. */
    for (int i = 0; i < 5; i++)
        CHECK_OK(auth_backoff_failure(b, "zed", NULL, T0, NULL));
    CHECK(auth_backoff_wait(b, "zed", NULL, T0) > 0);
    CHECK_OK(auth_backoff_failure(b, "zed", "192.0.2.7", T0 + 10 * MIN, &w));
    CHECK_INT(w, 0);
    CHECK_INT(auth_backoff_wait(b, "other", "192.0.2.7", T0 + 10 * MIN), 0);
    auth_backoff_free(b);

    auth_backoff_options bad = {.base_ms = 5000, .max_ms = 1000};
    b = NULL;
    CHECK_ERR(auth_backoff_new(&b, &bad), SEAL_EINVAL);
    bad = (auth_backoff_options){.capacity = 1};
    CHECK_ERR(auth_backoff_new(&b, &bad), SEAL_EINVAL);
}

static void test_backoff_bounded(void)
{
    auth_backoff *b = NULL;
    auth_backoff_options o = {.capacity = 100, .free_user = 1};
    char name[32];
    int64_t w;
    CHECK_OK(auth_backoff_new(&b, &o));
    for (int i = 0; i < 5000; i++) {
        snprintf(name, sizeof(name), "user%d", i);
        CHECK_OK(auth_backoff_failure(b, name, NULL, T0 + i, NULL));
        CHECK_OK(auth_backoff_failure(b, name, NULL, T0 + i, NULL));
        CHECK(auth_backoff_count(b) <= 100);
    }
    CHECK_INT(auth_backoff_count(b), 100);
    /* The most recent are kept, the oldest evicted. */
    CHECK_INT(auth_backoff_wait(b, "user4999", NULL, T0 + 4999), 1000);
    CHECK_INT(auth_backoff_wait(b, "user4900", NULL, T0 + 4999), 1000 - 99);
    CHECK_INT(auth_backoff_wait(b, "user0", NULL, T0 + 4999), 0);
    /* A repeat offender moves to the front and survives new entries. */
    CHECK_OK(auth_backoff_failure(b, "user4900", NULL, T0 + 5000, &w));
    CHECK_INT(w, 2000);
    for (int i = 0; i < 99; i++) {
        snprintf(name, sizeof(name), "new%d", i);
        CHECK_OK(auth_backoff_failure(b, name, NULL, T0 + 5001, NULL));
    }
    CHECK_INT(auth_backoff_wait(b, "user4900", NULL, T0 + 5001), 1999);
    CHECK_INT(auth_backoff_wait(b, "user4999", NULL, T0 + 5001), 0);
    /* Allocation failure changes no count. */
    size_t n = auth_backoff_count(b);
    seal_alloc_fail_at(1, true);
    int rc = auth_backoff_failure(b, "brandnew", "203.0.113.9", T0 + 6000, &w);
    seal_alloc_fail_at(0, false);
    CHECK_ERR(rc, SEAL_ENOMEM);
    CHECK(auth_backoff_count(b) <= n);
    CHECK_INT(auth_backoff_wait(b, "brandnew", "203.0.113.9", T0 + 6000), 0);
    auth_backoff_free(b);
}

int main(void)
{
    t_init();
    RUN(test_token_issue_lookup);
    RUN(test_token_unique);
    RUN(test_token_expiry_revoke);
    RUN(test_token_use_database);
    RUN(test_token_limit);
    RUN(test_threads);
    RUN(test_session_defaults);
    RUN(test_session_open_limit);
    RUN(test_session_keepalive_timeout);
    RUN(test_session_sweep);
    RUN(test_backoff_grows_caps_resets);
    RUN(test_backoff_address_and_forget);
    RUN(test_backoff_bounded);
    return t_done();
}
