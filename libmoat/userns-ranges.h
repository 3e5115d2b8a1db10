/* Automatic id ranges for containers run by the host's root: blocks of
   65536 ids of the user `containers`'s subordinate ranges, recorded under
   the state root (userns-ranges.c).  */
#ifndef MOAT_USERNS_RANGES_H
#define MOAT_USERNS_RANGES_H

#include <stdint.h>
#include "error.h"

/* whose /etc/subuid and /etc/subgid ranges are handed out */
#define MOAT_USERNS_OWNER "containers"

/* Take a free block for the container ID (whose state directory exists
   under rootfd already): its first uid and gid.  */
int moat_userns_range_take (int rootfd, const char *id, uint32_t *uid_start,
                            uint32_t *gid_start, moat_error **err);
/* Give back every block ID holds (nothing if it holds none).  */
void moat_userns_range_release (int rootfd, const char *id);

#endif
