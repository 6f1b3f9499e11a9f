/* gtls.c - see gtls.h: forwards to cry_tls_* when the crypto layer provides
 * TLS (SEAL_HAVE_CRY_TLS, detected by the build), else SEAL_EUNSUPPORTED. */
#include "client/gtls.h"

#if SEAL_HAVE_CRY_TLS

bool gtls_available(void)
{
    return true;
}
int gtls_conn_new(cry_tls_conn **out, cry_tls_ctx *ctx)
{
    return cry_tls_conn_new(out, ctx);
}
void gtls_conn_free(cry_tls_conn *c)
{
    cry_tls_conn_free(c);
}
int gtls_feed(cry_tls_conn *c, const void *p, size_t n)
{
    return cry_tls_feed(c, p, n);
}
int gtls_handshake(cry_tls_conn *c)
{
    return cry_tls_handshake(c);
}
long gtls_read(cry_tls_conn *c, void *buf, size_t cap)
{
    return cry_tls_read(c, buf, cap);
}
int gtls_write(cry_tls_conn *c, const void *p, size_t n)
{
    return cry_tls_write(c, p, n);
}
long gtls_take_out(cry_tls_conn *c, void *buf, size_t cap)
{
    return cry_tls_take_out(c, buf, cap);
}
size_t gtls_out_pending(const cry_tls_conn *c)
{
    return cry_tls_out_pending(c);
}
const char *gtls_alpn(const cry_tls_conn *c)
{
    return cry_tls_alpn(c);
}
const char *gtls_error(const cry_tls_conn *c)
{
    return cry_tls_error(c);
}

#else

bool gtls_available(void)
{
    return false;
}
int gtls_conn_new(cry_tls_conn **out, cry_tls_ctx *ctx)
{
    (void)out;
    (void)ctx;
    return SEAL_EUNSUPPORTED;
}
void gtls_conn_free(cry_tls_conn *c)
{
    (void)c;
}
int gtls_feed(cry_tls_conn *c, const void *p, size_t n)
{
    (void)c;
    (void)p;
    (void)n;
    return SEAL_EUNSUPPORTED;
}
int gtls_handshake(cry_tls_conn *c)
{
    (void)c;
    return SEAL_EUNSUPPORTED;
}
long gtls_read(cry_tls_conn *c, void *buf, size_t cap)
{
    (void)c;
    (void)buf;
    (void)cap;
    return SEAL_EUNSUPPORTED;
}
int gtls_write(cry_tls_conn *c, const void *p, size_t n)
{
    (void)c;
    (void)p;
    (void)n;
    return SEAL_EUNSUPPORTED;
}
long gtls_take_out(cry_tls_conn *c, void *buf, size_t cap)
{
    (void)c;
    (void)buf;
    (void)cap;
    return SEAL_EUNSUPPORTED;
}
size_t gtls_out_pending(const cry_tls_conn *c)
{
    (void)c;
    return 0;
}
const char *gtls_alpn(const cry_tls_conn *c)
{
    (void)c;
    return "";
}
const char *gtls_error(const cry_tls_conn *c)
{
    (void)c;
    return "TLS is not available in this build";
}

#endif
