/* sessions.h - login tokens (Login/UseDatabase/Logout with the
 * "authorization: Bearer" metadata), sessions (OpenSession/CloseSession/
 * KeepAlive with the "sessionid" metadata) and the failed-login slowdown.
 *
 * Pure logic, thread-safe (one mutex per object), no threads inside: the
 * caller passes the time (|now_ms|, milliseconds since the epoch) to every
 * call and drives expiry with the sweep functions, so behaviour is
 * deterministic under test. Token and session-id secrets come from the FIPS
 * DRBG (cry_random); the tables keep only SHA-256 of them, compared in
 * constant time, and wipe what they free. See docs/auth.md. */
#ifndef SEAL_DB_SESSIONS_H
#define SEAL_DB_SESSIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/users.h"

#define AUTH_SECRET_BYTES 32
/* A token: base64url without padding of 32 random bytes. */
#define AUTH_TOKEN_LEN 43
/* A session id: base64url with padding of 32 random bytes (immudb's form). */
#define AUTH_SESSION_ID_LEN 44

/* immudb's messages. */
#define AUTH_MSG_NOT_LOGGED_IN "not logged in"
#define AUTH_MSG_TOKEN_EXPIRED "token has expired"
#define AUTH_MSG_NO_SESSION    "no session found"
#define AUTH_MSG_MAX_SESSIONS  "can not create new session: max sessions number reached"

/* ------------------------------------------------------------------ tokens */
typedef struct auth_tokens auth_tokens;

typedef struct auth_tokens_options {
    uint32_t expiry_minutes; /* immudb's --token-expiry-time; 0 = 1440 */
    size_t max_tokens;       /* live tokens kept at most; 0 = 100000 */
} auth_tokens_options;

/* Who a token belongs to. */
typedef struct auth_token_info {
    char username[USERS_NAME_MAX + 1];
    char database[USERS_DB_NAME_MAX + 1]; /* "" = none selected yet */
    int64_t issued_ms;
    int64_t expires_ms;
} auth_token_info;

/* |o| may be NULL. *out owned by the caller (auth_tokens_free). */
int auth_tokens_new(auth_tokens **out, const auth_tokens_options *o);
void auth_tokens_free(auth_tokens *t);

/* Login: a new token for |username|, bound to |database| (NULL or "" for
 * none), valid for the expiry time from |now_ms|. Writes AUTH_TOKEN_LEN
 * characters and a NUL into |out| (the caller wipes it when done).
 * SEAL_ELIMIT when max_tokens live tokens exist (after dropping expired
 * ones), SEAL_EINVAL for a bad name. */
int auth_tokens_issue(auth_tokens *t, const char *username, const char *database, int64_t now_ms,
                      char out[AUTH_TOKEN_LEN + 1]);

/* Resolves |token| (with or without the "Bearer " prefix). SEAL_EAUTH
 * (AUTH_MSG_NOT_LOGGED_IN) if unknown or revoked, SEAL_ETIMEOUT
 * (AUTH_MSG_TOKEN_EXPIRED) if expired (it is then dropped). The lookup
 * hashes the token and compares digests in constant time. |out| may be
 * NULL. */
int auth_tokens_lookup(auth_tokens *t, const char *token, int64_t now_ms, auth_token_info *out);

/* UseDatabase: a new token for the owner of |token| bound to |database|,
 * with a fresh expiry (the old token stays valid, as in immudb). The
 * caller checks the user's permission on |database| first. Errors as
 * auth_tokens_lookup and auth_tokens_issue. */
int auth_tokens_use_database(auth_tokens *t, const char *token, const char *database,
                             int64_t now_ms, char out[AUTH_TOKEN_LEN + 1]);

/* Logout: revokes |token|. SEAL_EAUTH if it is not live. */
int auth_tokens_revoke(auth_tokens *t, const char *token);
/* Revokes every token of |username| (password, permission or active flag
 * changed); returns how many. */
size_t auth_tokens_revoke_user(auth_tokens *t, const char *username);
/* Drops expired tokens; returns how many. */
size_t auth_tokens_sweep(auth_tokens *t, int64_t now_ms);
size_t auth_tokens_count(auth_tokens *t);

/* ---------------------------------------------------------------- sessions */
typedef struct auth_sessions auth_sessions;

/* Durations in milliseconds: 0 = immudb's default, AUTH_INFINITE = never. */
#define AUTH_INFINITE (-1)
typedef struct auth_sessions_options {
    uint32_t max_sessions;     /* 0 = 100 (immudb's MaxSessions) */
    int64_t max_inactivity_ms; /* 0 = 3 min: idle sessions are counted as inactive */
    int64_t max_age_ms;        /* 0 = infinite: sessions older are closed */
    int64_t timeout_ms;        /* 0 = 2 min: sessions idle this long are closed */
    int64_t guard_interval_ms; /* 0 = 1 min: how often the server should sweep */
} auth_sessions_options;

typedef struct auth_session_info {
    char username[USERS_NAME_MAX + 1];
    char database[USERS_DB_NAME_MAX + 1];
    int64_t created_ms;
    int64_t last_activity_ms;
} auth_session_info;

/* |o| may be NULL; negative durations other than AUTH_INFINITE are
 * SEAL_EINVAL. *out owned by the caller (auth_sessions_free, which closes
 * every session). */
int auth_sessions_new(auth_sessions **out, const auth_sessions_options *o);
void auth_sessions_free(auth_sessions *s);
/* The options in force (defaults filled in; infinite = AUTH_INFINITE), for
 * the server's guard timer and the expiration/inactivity timestamps of
 * the v2 OpenSession response. */
void auth_sessions_get_options(const auth_sessions *s, auth_sessions_options *out);

/* OpenSession (after users_authenticate and the database check): a new
 * session of |username| on |database|. Writes AUTH_SESSION_ID_LEN chars and
 * a NUL into |id_out|. SEAL_ELIMIT (AUTH_MSG_MAX_SESSIONS) when
 * max_sessions are open. */
int auth_sessions_open(auth_sessions *s, const char *username, const char *database, int64_t now_ms,
                       char id_out[AUTH_SESSION_ID_LEN + 1]);
/* Looks a session up without touching it. SEAL_ENOTFOUND
 * (AUTH_MSG_NO_SESSION) if unknown, closed, or past its timeout or maximum
 * age at |now_ms| (then it is closed at once, without waiting for the
 * sweep). |out| may be NULL. */
int auth_sessions_get(auth_sessions *s, const char *id, int64_t now_ms, auth_session_info *out);
/* KeepAlive, and every call made with the session: as auth_sessions_get,
 * then sets the last activity to |now_ms|. */
int auth_sessions_touch(auth_sessions *s, const char *id, int64_t now_ms, auth_session_info *out);
/* UseDatabase in session mode. */
int auth_sessions_set_database(auth_sessions *s, const char *id, const char *database,
                               int64_t now_ms);
/* CloseSession. SEAL_ENOTFOUND if unknown. */
int auth_sessions_close(auth_sessions *s, const char *id);
/* Closes every session of |username|; returns how many. */
size_t auth_sessions_close_user(auth_sessions *s, const char *username);

typedef struct auth_sweep_stats {
    size_t closed_age;     /* older than max_age */
    size_t closed_timeout; /* idle longer than timeout */
    size_t inactive;       /* kept, but idle longer than max_inactivity */
    size_t remaining;
} auth_sweep_stats;
/* The session guard: call every guard_interval_ms. |st| may be NULL.
 * Returns the number of sessions closed. */
size_t auth_sessions_sweep(auth_sessions *s, int64_t now_ms, auth_sweep_stats *st);
size_t auth_sessions_count(auth_sessions *s);

/* ----------------------------------------------------- failed-login backoff */
typedef struct auth_backoff auth_backoff;

typedef struct auth_backoff_options {
    uint32_t free_user; /* failures per username before any delay; 0 = 3 */
    uint32_t free_addr; /* failures per client address before any delay; 0 = 10 */
    int64_t base_ms;    /* first delay; doubles with each further failure; 0 = 1000 */
    int64_t max_ms;     /* delay cap; 0 = 60000 */
    int64_t forget_ms;  /* a counter with no failure for this long starts over; 0 = 15 min */
    size_t capacity;    /* counters kept (users and addresses together, least recently
                           failed evicted first); 0 = 10000, at least 2 */
} auth_backoff_options;

int auth_backoff_new(auth_backoff **out, const auth_backoff_options *o);
void auth_backoff_free(auth_backoff *b);
/* Before checking a password: how many milliseconds the caller must still
 * refuse logins of |username| from |addr| (either may be NULL); 0 = go on.
 * The server answers at once with an error rather than sleeping. */
int64_t auth_backoff_wait(auth_backoff *b, const char *username, const char *addr, int64_t now_ms);
/* After a failed login: counts it for both and writes the new wait into
 * |*wait_ms| (may be NULL). SEAL_ENOMEM leaves the counters as they were. */
int auth_backoff_failure(auth_backoff *b, const char *username, const char *addr, int64_t now_ms,
                         int64_t *wait_ms);
/* After a successful login: the username's counter starts over. The
 * address counter does not (a valid account must not launder guesses at
 * other accounts from the same address); it is forgotten after forget_ms. */
void auth_backoff_success(auth_backoff *b, const char *username);
/* Counters held (tests). */
size_t auth_backoff_count(auth_backoff *b);

#endif
