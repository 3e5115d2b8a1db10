/* Learning a seccomp profile from a run: the learner that answers the
   container's notifications and writes the profile (docs/policy.md).  */
#ifndef MOAT_SECCOMP_LEARN_H
#define MOAT_SECCOMP_LEARN_H

#include <sys/types.h>
#include "error.h"
#include "spec/spec.h"

/* The container's filter while learning: every call notified but
   sendmsg (the listener goes to moat with it), for the native
   architecture.  Replaces whatever s->seccomp was.  */
void moat_seccomp_learn_filter (struct moat_spec *s);

/* Fork the learner holding listener; it writes the profile to out when
   the last process under the filter is gone (merge: with what an earlier
   profile in out allows).  Its pid, or -1.  */
pid_t moat_seccomp_learn_start (int listener, const char *out, bool merge,
                                moat_error **err);

/* A foreground run: wait for the learner to write (at once with a pid
   namespace of the container's own; a while when processes under the
   filter outlive the container's init), warning when it could not.  */
void moat_seccomp_learn_wait (pid_t learner, const char *out);

#endif
