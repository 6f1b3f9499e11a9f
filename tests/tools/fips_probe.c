/* fips_probe.c - start the FIPS module like every SealDB program does and
 * report: prints the status JSON and exits 0, or prints why start-up was
 * refused (seal_fips_last_error) and exits 1. With --sleep N it stays up for
 * up to N seconds after a successful start, so that scripts/fips-check.sh
 * --pid can look at the running process. */
#include "seal/seal_fips.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    long sleep_s = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--sleep") == 0 && i + 1 < argc) {
            sleep_s = strtol(argv[++i], NULL, 10);
        } else {
            fprintf(stderr, "usage: %s [--sleep SECONDS]\n", argv[0]);
            return 2;
        }
    }
    if (seal_fips_init(NULL) != 0) {
        printf("FIPS start-up refused: %s\n", seal_fips_last_error());
        return 1;
    }
    char json[4096];
    seal_fips_status_json(json, sizeof(json));
    printf("%s\n", json);
    fflush(stdout);
    for (long s = 0; s < sleep_s; s++)
        sleep(1);
    return 0;
}
