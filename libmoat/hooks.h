/* OCI hooks: each runs with the container's state JSON on stdin, its own
   args and env, and an optional timeout.  */
#ifndef MOAT_HOOKS_H
#define MOAT_HOOKS_H

#include <stddef.h>
#include "error.h"
#include "spec/spec.h"

/* Run hooks[0..n) in order; the first failure stops and is returned,
   naming the hook as "hooks.<kind>[i] (`path`)".  */
int moat_hooks_run (const char *kind, const struct moat_hook *hooks, size_t n,
                    const char *state_json, moat_error **err);
/* Run every one of hooks[0..n), whatever the others did; each failure is
   a warning (poststart and poststop: the spec asks that the remaining
   hooks and the lifecycle go on).  */
void moat_hooks_run_all (const char *kind, const struct moat_hook *hooks, size_t n,
                         const char *state_json);

#endif
