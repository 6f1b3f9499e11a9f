/* sc_token.c - libsealclient: reading and restoring the Login token, so that
 * a command-line client can keep a session across processes (sealctl's token
 * file): seal_client_token and seal_client_set_token. */
#include "client/sc_internal.h"

const char *seal_client_token(const seal_client *c)
{
    return c && c->token ? c->token : "";
}

int seal_client_set_token(seal_client *c, const char *token, const char *db)
{
    if (!c)
        return SEAL_EINVAL;
    sc_begin(c);
    if (!token || !*token || strchr(token, '\n') || strchr(token, '\r'))
        return sc_fail(c, SEAL_EINVAL, "set token: empty or malformed token");
    if (db && (!*db || strlen(db) > 200 || strchr(db, ':') || strchr(db, '\n')))
        return sc_fail(c, SEAL_EINVAL, "set token: invalid database name");
    char *t = seal_strdup(token);
    char *d = db ? seal_strdup(db) : NULL;
    if (!t || (db && !d)) {
        seal_free(t);
        seal_free(d);
        return SEAL_ENOMEM;
    }
    if (c->token) {
        cry_cleanse(c->token, strlen(c->token));
        seal_free(c->token);
    }
    c->token = t;
    if (d) {
        seal_free(c->db);
        c->db = d;
    }
    return 0;
}
