/* The init of a container that joins namespaces by path, cloned by a
   short-lived process of moat's that has entered them (joined-ns.c).  */
#ifndef MOAT_JOINED_NS_H
#define MOAT_JOINED_NS_H

#include <stdbool.h>
#include <stddef.h>
#include "init.h"
#include "linux/syscalls.h"
#include "plan/plan.h"

/* True when the plan joins a net, ipc, uts, cgroup or time namespace by
   path, or makes a time namespace with offsets: the init is then cloned
   by the joiner.  */
bool moat_init_needs_joiner (const struct moat_plan *p);
/* Append the fds of those namespaces to fds at *k (the init closes
   them).  */
void moat_joined_ns_fds (const struct moat_plan *p, int *fds, size_t *k);
/* Enter them in a new process and clone3 the init there with ca (made
   CLONE_PARENT: the init is the caller's child), running
   moat_init_main (a); the init's pid in *pid.  The caller opens its
   pidfd (its own child: the pid cannot be reused before it reaps it).  */
int moat_clone_init_via_joiner (const struct moat_plan *p, struct clone_args *ca,
                                struct moat_init_args *a, pid_t *pid, moat_error **err);

#endif
