/* cgroup v2 placement (cgroupfs driver).  On a hybrid host the unified
   hierarchy at /sys/fs/cgroup/unified is used.  */
#ifndef MOAT_CGROUP_H
#define MOAT_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include "../error.h"
#include "../spec/spec.h"

enum moat_cgroup_manager
{
  MOAT_CGROUP_CGROUPFS = 0,
  MOAT_CGROUP_SYSTEMD,
  MOAT_CGROUP_DISABLED,
};

struct moat_cgroup
{
  char *path;          /* absolute host path of the container's cgroup */
  char *created_from;  /* first directory created by us, NULL if it existed */
  int dirfd;           /* O_RDONLY|O_DIRECTORY, for CLONE_INTO_CGROUP */
};

/* Mount point of the cgroup v2 hierarchy, or NULL when there is none.  */
const char *moat_cgroup_v2_mount (void);

/* Create (or reuse an empty) cgroup for the container.  A NULL result
   with no error means cgroups are unavailable and the container runs
   without one (a warning is logged).  */
int moat_cgroup_create (const char *cgroups_path, const char *id,
                        struct moat_cgroup *out, moat_error **err);
/* Kill what is left in the cgroup and remove what create made.  */
int moat_cgroup_destroy (const char *path, const char *created_from, moat_error **err);
/* Send sig to every process of the cgroup (cgroup.kill for SIGKILL).  */
int moat_cgroup_signal_all (const char *path, int sig, moat_error **err);
/* Host pids of the processes in the cgroup.  */
int moat_cgroup_pids (const char *path, int **pids, size_t *n, moat_error **err);
void moat_cgroup_release (struct moat_cgroup *cg);
/* True when cgroup.events of path has this line ("frozen 1", ...).  */
bool moat_cgroup_event (const char *path, const char *line);
/* cgroup.freeze, waiting until cgroup.events says it is done.  */
int moat_cgroup_freeze (const char *path, bool freeze, moat_error **err);

/* devices.c: allow only the devices the rules allow (plus the standard
   ones every container needs) to the processes of the cgroup.  */
int moat_cgroup_devices_attach (int cgroup_fd, const struct moat_device_rule *rules,
                                size_t n, moat_error **err);

#endif
