/* linux.resources as writes to cgroup v1 files (v1-resources.c).  */
#ifndef MOAT_CGROUP_V1_RESOURCES_H
#define MOAT_CGROUP_V1_RESOURCES_H

#include "v2-resources.h"

/* What r asks, in the order to write it, each file prefixed by its
   controller; bfq: blkio weights to blkio.bfq.*.  Refuses, naming the
   member, what v1 cannot do (unified keys).  */
int moat_v1_resource_writes (const struct moat_resources *r, bool bfq,
                             struct moat_cgroup_writes *w, moat_error **err);

#endif
