/* immu_service.c - registration of immudb.schema.ImmuService methods on the
 * gRPC server: paths and message descriptors come from the generated service
 * descriptor; streaming kinds (which protobuf-c does not record) from the
 * table below, which a unit test checks against proto/schema.proto. */
#include <stdio.h>

#include "common/common.h"
#include "server/immu_service.h"

static const struct {
    const char *name;
    gs_kind kind;
} streaming[] = {
    {"TxSQLQuery", GS_SERVER_STREAM},
    {"streamGet", GS_SERVER_STREAM},
    {"streamSet", GS_CLIENT_STREAM},
    {"streamVerifiableGet", GS_SERVER_STREAM},
    {"streamVerifiableSet", GS_CLIENT_STREAM},
    {"streamScan", GS_SERVER_STREAM},
    {"streamZScan", GS_SERVER_STREAM},
    {"streamHistory", GS_SERVER_STREAM},
    {"streamExecAll", GS_CLIENT_STREAM},
    {"exportTx", GS_SERVER_STREAM},
    {"replicateTx", GS_CLIENT_STREAM},
    {"streamExportTx", GS_BIDI_STREAM},
    {"SQLQuery", GS_SERVER_STREAM},
};

const ProtobufCMethodDescriptor *immu_method(const char *name)
{
    const ProtobufCServiceDescriptor *sd = &immudb__schema__immu_service__descriptor;
    for (unsigned i = 0; i < sd->n_methods; i++)
        if (strcmp(sd->methods[i].name, name) == 0)
            return &sd->methods[i];
    return NULL;
}

int immu_method_kind(const char *name)
{
    if (!immu_method(name))
        return -1;
    for (size_t i = 0; i < SEAL_ARRAY_LEN(streaming); i++)
        if (strcmp(streaming[i].name, name) == 0)
            return (int)streaming[i].kind;
    return GS_UNARY;
}

int immu_service_set(gs_server *s, const char *name, gs_handler_fn fn, void *ud)
{
    return immu_service_set_ex(s, name, fn, ud, false);
}

int immu_service_set_ex(gs_server *s, const char *name, gs_handler_fn fn, void *ud, bool io_inline)
{
    const ProtobufCMethodDescriptor *md = immu_method(name);
    if (!md)
        return SEAL_ENOTFOUND;
    char path[160];
    snprintf(path, sizeof(path), "/%s/%s", IMMU_SERVICE_NAME, md->name);
    gs_method m = {
        .path = path,
        .kind = (gs_kind)immu_method_kind(name),
        .req_desc = md->input,
        .resp_desc = md->output,
        .fn = fn,
        .ud = ud,
        .io_inline = io_inline,
    };
    return gs_server_register(s, &m);
}

int immu_health_handler(gs_call *call, const ProtobufCMessage *req, void *ud)
{
    SEAL_UNUSED(req);
    SEAL_UNUSED(ud);
    Immudb__Schema__HealthResponse r;
    immudb__schema__health_response__init(&r); /* the INIT macro casts away const */
    char version[64];
    snprintf(version, sizeof(version), "%s", seal_version());
    r.status = 1;
    r.version = version;
    return gs_send(call, &r.base);
}

int immu_service_register_all(gs_server *s)
{
    const ProtobufCServiceDescriptor *sd = &immudb__schema__immu_service__descriptor;
    for (unsigned i = 0; i < sd->n_methods; i++) {
        int rc = immu_service_set(s, sd->methods[i].name, NULL, NULL);
        if (rc != 0)
            return rc;
    }
    return immu_service_set(s, "Health", immu_health_handler, NULL);
}
