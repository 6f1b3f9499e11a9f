/* sealdb_main.c - the sealdb program: start-up, FIPS status, flags.
 * It uses only the public headers. */
#include "seal/seal_common.h"
#include "seal/seal_fips.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: sealdb [options]\n"
               "  --dir DIR            data directory (default ./data; env SEALDB_DIR)\n"
               "  --fips-config FILE   OpenSSL FIPS config (env SEALDB_FIPS_CONFIG)\n"
               "  --fips-status        print the FIPS module status as JSON and exit\n"
               "  --version            print version and FIPS status and exit\n"
               "  --help               this text\n");
}

static void print_banner(void)
{
    seal_fips_status st;
    seal_fips_get_status(&st);
    printf("SealDB %s\n", seal_version());
    printf("FIPS module: %s %s (%s)\n", st.name, st.version,
           st.selftest_ok ? "self-tests passed" : "self-tests FAILED");
    printf("FIPS validation: %s\n", st.validation);
    printf("FIPS module file: %s\n", st.module_path);
    printf("libcrypto: %s\n", st.libcrypto);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"dir", required_argument, NULL, 'd'},
        {"fips-config", required_argument, NULL, 'f'},
        {"fips-status", no_argument, NULL, 's'},
        {"version", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *dir = getenv("SEALDB_DIR");
    const char *fips_config = NULL;
    int want_version = 0, want_status = 0, c;

    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            dir = optarg;
            break;
        case 'f':
            fips_config = optarg;
            break;
        case 's':
            want_status = 1;
            break;
        case 'v':
            want_version = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (dir == NULL || dir[0] == '\0')
        dir = "./data";

    if (seal_fips_init(fips_config) != 0) {
        fprintf(stderr, "sealdb: refusing to start: %s\n", seal_fips_last_error());
        return 1;
    }
    if (want_status) {
        char buf[4096];
        seal_fips_status_json(buf, sizeof(buf));
        printf("%s\n", buf);
        return 0;
    }
    print_banner();
    if (want_version)
        return 0;
    fprintf(stderr, "sealdb: data directory %s; the gRPC server is not implemented yet "
                    "(see the status table in README.md)\n", dir);
    return 0;
}
