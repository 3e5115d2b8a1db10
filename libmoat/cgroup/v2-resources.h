/* linux.resources as writes to cgroup v2 files (v2-resources.c).  */
#ifndef MOAT_CGROUP_V2_RESOURCES_H
#define MOAT_CGROUP_V2_RESOURCES_H

#include <stdbool.h>
#include <stdint.h>
#include "../spec/spec.h"

struct moat_cgroup_write
{
  const char *field;   /* the config's member, for errors; NULL: written only
                          where the kernel has the file */
  char *file;          /* in the container's cgroup directory */
  char *value;
};

struct moat_cgroup_writes
{
  struct moat_cgroup_write *w;
  size_t n, cap;
};

/* What r asks, in the order to write it; bfq: the I/O weights go to
   io.bfq.weight (unconverted) rather than io.weight.  Refuses, naming the
   member, what cgroup v2 cannot do.  */
int moat_v2_resource_writes (const struct moat_resources *r, bool bfq,
                             struct moat_cgroup_writes *w, moat_error **err);
void moat_cgroup_writes_clear (struct moat_cgroup_writes *w);
/* Append a write; file and value are taken (freed by clear).  */
void moat_cgroup_writes_add (struct moat_cgroup_writes *w, const char *field, char *file,
                             char *value);
/* cpuset.cpus and cpuset.mems, the same on v1 and v2.  */
void moat_cgroup_cpuset_writes (const struct moat_resources *r, struct moat_cgroup_writes *w);
/* rdma.max lines, the same on v1 and v2.  */
void moat_cgroup_rdma_writes (const struct moat_resources *r, struct moat_cgroup_writes *w);
/* v as text, "max" when negative.  */
char *moat_cgroup_num_or_max (int64_t v);

/* The controller a cgroup file belongs to: "memory" of "memory.max",
   "io" of "io.bfq.weight", "blkio" of "blkio.weight" (free it).  */
char *moat_cgroup_controller_of (const char *file);
/* True when the space-separated list (cgroup.controllers) has word.  */
bool moat_cgroup_list_has (const char *list, const char *word);

/* Write x to the cgroup directory dirfd (path, for messages): an
   optional file (no field) that is not there is skipped; a refused value
   is an error naming the member, the file and the kernel's reason.  */
int moat_cgroup_write_at (int dirfd, const char *path, const struct moat_cgroup_write *x,
                          moat_error **err);

/* memory.checkBeforeUpdate: when r asks for it, a new memory limit below
   what usage_file (memory.current, memory.usage_in_bytes) says is in use
   is refused.  */
int moat_cgroup_check_memory_usage (const char *usage_file, const struct moat_resources *r,
                                    moat_error **err);

/* Enable the controllers r needs down from mount to path's parent, then
   write every file of r to the cgroup dirfd (path, for messages).  */
int moat_v2_apply_resources (const char *mount, const char *path, int dirfd,
                             const struct moat_resources *r, moat_error **err);

/* The conversions, as runc and crun make them.  */
uint64_t moat_cpu_shares_to_weight (uint64_t shares);
uint64_t moat_blkio_weight_to_io_weight (uint64_t weight);

#endif
