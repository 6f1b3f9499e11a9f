/* immu_service.h - the dispatch table of immudb.schema.ImmuService: every
 * method of the service (taken from the generated protobuf-c service
 * descriptor, so the table cannot drift from proto/schema.proto) with its
 * streaming kind and message descriptors. Handlers plug into it by name. */
#ifndef SEAL_IMMU_SERVICE_H
#define SEAL_IMMU_SERVICE_H

#include "schema.pb-c.h"
#include "server/grpc_server.h"

#define IMMU_SERVICE_NAME "immudb.schema.ImmuService"

/* Registers every ImmuService method on |s|. Each answers UNIMPLEMENTED
 * ("method X not implemented", as immudb's generated Go stubs do) until a
 * handler is set, except Health, which gets immu_health_handler.
 * Returns 0 or SEAL_ENOMEM. */
int immu_service_register_all(gs_server *s);

/* Sets the handler of method |name| ("Get", "streamSet"); NULL restores
 * UNIMPLEMENTED. Returns 0, SEAL_ENOTFOUND (no such method) or SEAL_ENOMEM. */
int immu_service_set(gs_server *s, const char *name, gs_handler_fn fn, void *ud);
/* Same, optionally with the handler run first on the I/O thread
 * (gs_method.io_inline; unary methods only). */
int immu_service_set_ex(gs_server *s, const char *name, gs_handler_fn fn, void *ud, bool io_inline);

/* The kind of method |name| (GS_UNARY...), or -1 if the service has none. */
int immu_method_kind(const char *name);
/* The protobuf-c descriptor of method |name|, or NULL. Static. */
const ProtobufCMethodDescriptor *immu_method(const char *name);

/* Health: {status: true, version: seal_version()}. */
int immu_health_handler(gs_call *call, const ProtobufCMessage *req, void *ud);

#endif
