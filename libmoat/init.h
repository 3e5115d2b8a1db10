/* The container side of create: runs in the child born from clone3, sets
   the container up from the plan, finishes the process, reports ready,
   waits for start and execs the user's program.  */
#ifndef MOAT_INIT_H
#define MOAT_INIT_H

#include "plan/plan.h"
#include "state.h"

struct moat_init_args
{
  const struct moat_plan *plan;
  const struct moat_state *state;  /* as hooks see it; the pid comes from the parent */
  int sock;                 /* the child's end of the channel */
  int fifo_fd;              /* exec.fifo opened O_RDWR (create), -1 for run */
  /* with a user namespace joined by path: the namespaces to create once
     in it (clone3 made none) */
  unsigned long long unshare_flags;
  /* the runtime moves the init into its cgroup after clone3: the new
     cgroup namespace is made after GO, so that it is rooted there */
  bool cgroupns_after_go;
  int parent_fds[16];       /* the parent's own fds, closed first; -1 for none */
};

/* Never returns.  */
void moat_init_main (const struct moat_init_args *a) __attribute__ ((noreturn));

/* Go on in a sibling (made by moat_clone_sibling): the calling process
   tells the runtime over the channel the sibling's pid (and, with ready,
   that it is set up) and exits; the sibling waits until that is said, so
   that nothing it sends arrives first.  moat_sibling_prepare makes the
   pipe that orders them, before a seccomp filter may forbid pipe2.
   moat_continue_in_sibling returns 0 in the sibling, -1 when the sibling
   cannot be made.  */
struct moat_sibling
{
  int order[2];
};
int moat_sibling_prepare (struct moat_sibling *sib, moat_error **err);
int moat_continue_in_sibling (struct moat_sibling *sib, int sock, bool ready,
                              moat_error **err);

/* Start a sibling (CLONE_PARENT: the runtime stays its parent), also
   under a seccomp filter that refuses clone3.  Returns its pid in the
   caller, 0 in it, -1 on error.  */
pid_t moat_clone_sibling (void);

#endif
