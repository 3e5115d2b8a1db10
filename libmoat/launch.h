/* The parent side of create and run (launch.c), as far as restore
   (restore.c) shares it: the plan, the state directory and the cgroup
   made as create makes them, and undone as create undoes them.  */
#ifndef MOAT_LAUNCH_H
#define MOAT_LAUNCH_H

#include "moat.h"
#include "cgroup/cgroup.h"
#include "policy/policy.h"
#include "state.h"

struct launch
{
  const struct moat_context *ctx;
  const struct moat_create_options *opts;
  struct moat_plan *plan;
  struct moat_container_dir dir;
  bool have_dir;
  struct moat_cgroup cgroup;
  struct moat_state state;
  int fifo_fd;
  int sock[2];
  int pidfd;
  pid_t pid;
  int pty_master;          /* process.terminal: the master, until handed on */
  char pty_name[64];
  bool cgroup_made;        /* the cgroup is this create's: abort removes it */
  bool pid_file_written;   /* abort removes it: it would name a dead init */
  struct moat_policy_decision decision;  /* the policy's, for the audit trail */
  bool policy_applied;     /* moat_launch_policy done */
  bool audited;            /* the create line is written */
  pid_t learner;           /* --seccomp-learn's learner, 0: none */
  bool audit_failed;       /* it could not be: no second try */
  char config_sha256[65];  /* of the config read, "" before */
};

void moat_launch_init (struct launch *l, const struct moat_context *ctx,
                       const struct moat_create_options *o);
/* The plan (moat_plan_build), nothing made on the host.  */
int moat_launch_plan (struct launch *l, bool foreground, moat_error **err);
/* The policy's word on the plan, nothing made (restore asks before it
   deletes the stopped container it replaces).  */
int moat_launch_policy (struct launch *l, moat_error **err);
/* The policy applied (once), the state directory and the cgroup made.  */
int moat_launch_take (struct launch *l, moat_error **err);
/* The config kept in the state directory.  */
int moat_launch_keep_config (struct launch *l, moat_error **err);
/* Undo everything made: the process, the cgroup, the pid file, the
   state directory.  */
void moat_launch_abort (struct launch *l);
void moat_launch_free (struct launch *l);

#endif
