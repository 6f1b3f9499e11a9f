/* gtls.h - the TLS layer of the gRPC transports (server and client): a thin
 * pass-through to the cry_tls memory-BIO API of the FIPS boundary. It exists
 * so that the transports build while the crypto layer does not provide TLS
 * yet: then every function reports SEAL_EUNSUPPORTED and gtls_available()
 * is false. Same contracts as the cry_tls_* functions in crypto/cry.h. */
#ifndef SEAL_GTLS_H
#define SEAL_GTLS_H

#include <stdbool.h>

#include "crypto/cry.h"

bool gtls_available(void);
int gtls_conn_new(cry_tls_conn **out, cry_tls_ctx *ctx);
void gtls_conn_free(cry_tls_conn *c);
int gtls_feed(cry_tls_conn *c, const void *p, size_t n);
int gtls_handshake(cry_tls_conn *c);
long gtls_read(cry_tls_conn *c, void *buf, size_t cap);
int gtls_write(cry_tls_conn *c, const void *p, size_t n);
long gtls_take_out(cry_tls_conn *c, void *buf, size_t cap);
size_t gtls_out_pending(const cry_tls_conn *c);
const char *gtls_alpn(const cry_tls_conn *c);
const char *gtls_error(const cry_tls_conn *c);

#endif
