/* SHA-256 (FIPS 180-4), for the audit trail's digest of a config: moat
   links no crypto library, and the kernel's (AF_ALG) is not on every
   host.  */
#ifndef MOAT_SHA256_H
#define MOAT_SHA256_H

#include <stddef.h>
#include <stdint.h>

/* The digest of data[0..len) as 64 lowercase hex digits and a NUL.  */
void moat_sha256_hex (const void *data, size_t len, char out[65]);

#endif
