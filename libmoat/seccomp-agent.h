/* Giving a seccomp listener to the agent at linux.seccomp.listenerPath
   (SCMP_ACT_NOTIFY), with the container process state (seccomp-agent.c).  */
#ifndef MOAT_SECCOMP_AGENT_H
#define MOAT_SECCOMP_AGENT_H

#include <sys/types.h>
#include "error.h"
#include "spec/spec.h"

/* The container process state: ociVersion, fds ["seccompFd"], pid,
   metadata (linux.seccomp.listenerMetadata, when set) and state (the
   container's state as JSON).  */
char *moat_seccomp_process_state (const struct moat_seccomp *k, pid_t pid,
                                  const char *state);
/* Connect to the agent, send it the listener with that state, close.  */
int moat_seccomp_give_listener (const struct moat_seccomp *k, int listener, pid_t pid,
                                const char *state, moat_error **err);

#endif
