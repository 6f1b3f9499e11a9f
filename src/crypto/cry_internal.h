/* cry_internal.h - shared between the files of src/crypto only. */
#ifndef SEAL_CRY_INTERNAL_H
#define SEAL_CRY_INTERNAL_H

#include "common/common.h"
#include "crypto/cry.h"

#include <openssl/evp.h>

/* SHA2-256 fetched once from the fips provider at start-up. */
extern EVP_MD *cry_g_sha256;

/* Policy checks run at the end of seal_fips_init (policy.c). */
int cry_policy_init(void);

/* Drain OpenSSL's error queue into the log; returns SEAL_ECRYPTO. */
int cry_fail(const char *what);

#endif
