/* h2_frame_fuzz.c - libFuzzer target: feeds arbitrary bytes, after the
 * HTTP/2 client preface, to a server-side connection of the gRPC transport
 * (nghttp2 session, request validation, gRPC framing, dispatch of the
 * ImmuService table) without sockets: output frames are discarded.
 *
 * Build (clang):
 *   cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DSEAL_FUZZ=ON \
 *         -DSEAL_FIPS_DIR=<fips dir> -DCMAKE_BUILD_TYPE=Debug
 *   cmake --build build-fuzz --target h2_frame_fuzz
 *   ./build-fuzz/src/h2_frame_fuzz -max_total_time=600 corpus/
 * tests/unit/grpc_fuzz_smoke_test.c runs the same entry point on generated
 * inputs in the normal test suite. */
#include <stdint.h>
#include <stdlib.h>

#include "common/common.h"
#include "server/gs_internal.h"
#include "server/immu_service.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static gs_server *fz_srv;

static gs_server *fz_server(void)
{
    if (fz_srv)
        return fz_srv;
    gs_config cfg;
    gs_config_default(&cfg);
    cfg.workers_min = 1;
    cfg.workers_max = 2;
    cfg.max_recv_msg = 1u << 20;
    if (gs_server_new(&fz_srv, &cfg) != 0 || immu_service_register_all(fz_srv) != 0)
        abort();
    return fz_srv;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    gs_server *s = fz_server();
    struct gs_conn *cn;
    if (gs_conn_new(&cn, s, -1, "fuzz") != 0)
        return 0;
    gs_conn_flush(cn);
    if (gs_conn_feed(cn, (const uint8_t *)preface, 24) == 0) {
        /* Feed in two pieces, split where the first byte says, to exercise
         * frames that straddle reads. */
        size_t cut = size ? (size_t)data[0] % (size + 1) : 0;
        if (gs_conn_feed(cn, data, cut) == 0) {
            gs_conn_flush(cn);
            if (gs_conn_feed(cn, data + cut, size - cut) == 0)
                gs_conn_flush(cn);
        }
    }
    gs_server_process_notifications(s, true);
    gs_conn_flush(cn);
    gs_conn_close(cn);
    gs_server_reap(s);
    gs_server_process_notifications(s, false);
    return 0;
}
