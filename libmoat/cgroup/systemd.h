/* The systemd driver's names and conversions (systemd.c), exposed for
   its unit tests.  */
#ifndef MOAT_CGROUP_SYSTEMD_H
#define MOAT_CGROUP_SYSTEMD_H

#include <stdbool.h>
#include "systemd-bus.h"
#include "v2-resources.h"

/* "a-b-c.slice" as the path systemd gives it, "a.slice/a-b.slice/
   a-b-c.slice"; "-.slice" (the root slice) as "".  NULL for a name that
   is not a slice.  */
char *moat_systemd_expand_slice (const char *slice);

/* The unit and the slice of a cgroupsPath "slice:prefix:name" (an empty
   slice is system.slice, or user.slice for a user's manager; no path at
   all is ":moat:<id>"); what systemd could not take is refused.  */
int moat_systemd_parse_path (const char *cgroups_path, const char *id, bool user,
                             char **unit, char **slice, moat_error **err);

/* The unit properties for what w writes, where systemd has one (path:
   the scope's directory, whose cpu.max period a quota alone keeps).  */
int moat_systemd_properties (const struct moat_cgroup_writes *w, const char *path,
                             struct moat_sd_properties *p, moat_error **err);

#endif
