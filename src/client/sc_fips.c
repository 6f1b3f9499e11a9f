/* sc_fips.c - libsealclient: the server's FIPS module status. SealDB sends
 * it in sealdb-fips-* response headers of ServerInfo (docs/server.md), where
 * immudb clients ignore it; seal_client_server_fips reads them. */
#include <stdio.h>

#include "client/sc_internal.h"

static void copy_hdr(const gw_md *h, const char *name, char *out, size_t cap, int *found)
{
    const char *v = gw_md_get(h, name);
    out[0] = 0;
    if (v) {
        snprintf(out, cap, "%s", v);
        *found = 1;
    }
}

int seal_client_server_fips(seal_client *c, seal_server_info *info, seal_server_fips *out)
{
    sc_begin(c);
    if (!out)
        return sc_fail(c, SEAL_EINVAL, "server fips: no output");
    Immudb__Schema__ServerInfoRequest r;
    immudb__schema__server_info_request__init(&r);
    Immudb__Schema__ServerInfoResponse *resp = NULL;
    gw_md hdrs = {0};
    int rc = sc_call(c, "ServerInfo", &r.base, &immudb__schema__server_info_response__descriptor,
                     (ProtobufCMessage **)&resp, &hdrs);
    if (rc)
        return rc;
    seal_server_fips f;
    memset(&f, 0, sizeof(f));
    copy_hdr(&hdrs, "sealdb-fips-status", f.status, sizeof(f.status), &f.reported);
    copy_hdr(&hdrs, "sealdb-fips-module", f.module, sizeof(f.module), &f.reported);
    copy_hdr(&hdrs, "sealdb-fips-validation", f.validation, sizeof(f.validation), &f.reported);
    copy_hdr(&hdrs, "sealdb-fips-selftest", f.selftest, sizeof(f.selftest), &f.reported);
    if (info) {
        memset(info, 0, sizeof(*info));
        snprintf(info->version, sizeof(info->version), "%s", resp->version ? resp->version : "");
        info->started_at = resp->startedat;
        info->num_transactions = resp->numtransactions;
        info->num_databases = resp->numdatabases;
        info->databases_disk_size = resp->databasesdisksize;
    }
    *out = f;
    gw_md_free(&hdrs);
    sc_msg_free(resp);
    return 0;
}
