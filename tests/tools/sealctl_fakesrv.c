/* sealctl_fakesrv.c - the libsealclient tests' fake ImmuService
 * (tests/unit/client_fakesrv.h: real gRPC transport, real engine store,
 * real proofs) as a program, so that shell tests can run sealctl against a
 * server that can be made to lie.
 * Usage: sealctl_fakesrv VERSION [--sign] [--auth]
 *   VERSION   tx header version of the served store (0 or 1)
 *   --sign    sign states (prints "PUBKEY <path>" of the public key)
 *   --auth    require a login (any user, password "secret")
 * The store lives under $TMPDIR. Prints "PORT <n>" once listening, then
 * reads commands on stdin, one per line, answering "OK" (or "ERR ..."):
 *   tamper none|value|proof|txhdr|state|sig   lie in the answers from now on
 *   rewind N       CurrentState reports N txs fewer
 *   fork           serve another history with as many txs as the real one
 *   fill PREFIX N  commit N txs "<PREFIX><i>" = "v<i>" straight to the store
 *   quit           (or end of input) stop; exit 0 unless a check failed */
#include "../unit/client_fakesrv.h"

static int tamper_code(const char *s)
{
    static const char *names[] = {"none", "value", "proof", "txhdr", "state", "sig"};
    for (int i = 0; i < (int)SEAL_ARRAY_LEN(names); i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

int main(int argc, char **argv)
{
    t_init();
    if (argc < 2 || (strcmp(argv[1], "0") != 0 && strcmp(argv[1], "1") != 0)) {
        fprintf(stderr, "usage: sealctl_fakesrv 0|1 [--sign] [--auth]\n");
        return 2;
    }
    int version = atoi(argv[1]);
    bool sign = false, auth = false;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--sign") == 0)
            sign = true;
        else if (strcmp(argv[i], "--auth") == 0)
            auth = true;
        else {
            fprintf(stderr, "sealctl_fakesrv: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    static fk_server f;
    fk_start(&f, "srv", version, sign);
    atomic_store(&f.require_auth, auth ? 1 : 0);
    printf("PORT %d\n", f.port);
    if (sign)
        printf("PUBKEY %s\n", f.pub_path);
    printf("READY\n");
    fflush(stdout);

    char line[512];
    int forks = 0;
    while (fgets(line, sizeof(line), stdin)) {
        line[strcspn(line, "\r\n")] = 0;
        char a[128] = "", b[128] = "", d[128] = "";
        int n = sscanf(line, "%127s %127s %127s", a, b, d);
        if (n <= 0)
            continue;
        if (strcmp(a, "quit") == 0)
            break;
        if (strcmp(a, "tamper") == 0 && n >= 2 && tamper_code(b) >= 0) {
            atomic_store(&f.tamper, tamper_code(b));
        } else if (strcmp(a, "rewind") == 0 && n >= 2) {
            atomic_store(&f.rewind, atoi(b));
        } else if (strcmp(a, "fork") == 0) {
            uint64_t tx;
            uint8_t alh[32];
            FK_LOCK(&f);
            CHECK_OK(seal_state(f.main, &tx, alh));
            char name[32];
            snprintf(name, sizeof(name), "fork%d", ++forks);
            if (f.alt)
                CHECK_OK(seal_close(f.alt));
            f.alt = fk_open_store(t_path(name), version);
            if (tx)
                fk_fill(f.alt, "fork", (int)tx, 0);
            f.st = f.alt;
            FK_UNLOCK(&f);
        } else if (strcmp(a, "fill") == 0 && n >= 3) {
            FK_LOCK(&f);
            fk_fill(f.st, b, atoi(d), 0);
            FK_UNLOCK(&f);
        } else {
            printf("ERR unknown command: %s\n", line);
            fflush(stdout);
            continue;
        }
        printf("OK\n");
        fflush(stdout);
    }
    fk_stop(&f);
    if (t_failures)
        fprintf(stderr, "sealctl_fakesrv: %d check(s) failed\n", t_failures);
    return t_failures ? 1 : 0;
}
