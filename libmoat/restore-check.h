/* The restored processes held against the config before they run
   (restore-check.c).  */
#ifndef MOAT_RESTORE_CHECK_H
#define MOAT_RESTORE_CHECK_H

#include "plan/plan.h"
#include "error.h"
#include <sys/types.h>

/* Every process of the tree restored from root (stopped, before CRIU
   resumes it): its root mount first made read-only with root.readonly
   (CRIU brings it back writable), then held against the config: no
   capability the config does not give, no_new_privs and a seccomp
   filter where the config has them, the config's user where it could
   not have changed, the namespaces it asks for, the
   container's root filesystem (read-only with root.readonly), its masked
   paths covered, its read-only paths and `ro` mounts read-only, and label
   ("apparmor:NAME", "selinux:CONTEXT", or NULL: not checked).  On a
   failure every thread of the tree is left with a SIGSTOP, which stops
   it as CRIU lets it go, before it runs: the caller kills the cgroup.  */
int moat_restore_check (const struct moat_plan *p, const char *label, pid_t root,
                        moat_error **err);

#endif
