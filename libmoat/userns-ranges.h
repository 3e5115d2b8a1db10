/* Automatic id ranges for containers run by the host's root: blocks of
   65536 ids of the user `containers`'s subordinate ranges, recorded in
   one registry for the host (userns-ranges.c).  */
#ifndef MOAT_USERNS_RANGES_H
#define MOAT_USERNS_RANGES_H

#include <stdint.h>
#include "error.h"

/* whose /etc/subuid and /etc/subgid ranges are handed out */
#define MOAT_USERNS_OWNER "containers"
/* where the blocks in use are recorded, for every state root */
#define MOAT_USERNS_REGISTRY "/run/moat-userns"

/* Take a free block for the container whose state directory (absolute,
   existing) is STATE_DIR: its first uid and gid.  */
int moat_userns_range_take (const char *state_dir, uint32_t *uid_start,
                            uint32_t *gid_start, moat_error **err);
/* Give back every block STATE_DIR holds (nothing if it holds none).  */
void moat_userns_range_release (const char *state_dir);

#endif
