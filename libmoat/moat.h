/* libmoat public API: everything a runtime does, no argv parsing.  The
   `moat` command is a thin client of it.  */
#ifndef MOAT_H
#define MOAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "error.h"
#include "log.h"
#include "state.h"
#include "cgroup/cgroup.h"
#include "spec/spec.h"

struct moat_context
{
  const char *state_root;                 /* --root */
  enum moat_cgroup_manager cgroup_manager;
  /* Re-execute the whole command from a sealed in-memory copy of the
     binary; does not return on success.  Called before anything is
     changed when a container's processes could reach the runtime's
     /proc/<pid>/exe (see moat_spec_needs_sealed_exe).  NULL: never.  */
  int (*reexec_sealed) (moat_error **err);
};

/* True when this process already runs from a sealed copy.  */
bool moat_running_sealed (void);
/* Copy /proc/self/exe into a memfd, seal it against every change, and
   fexecve it with argv; does not return on success.  */
int moat_reexec_from_sealed_copy (char **argv, moat_error **err);

struct moat_create_options
{
  const char *id;
  const char *bundle;          /* NULL: current directory */
  const char *pid_file;        /* NULL: none */
  const char *console_socket;  /* NULL: none */
  bool no_pivot;
  bool no_new_keyring;
  unsigned preserve_fds;
};

/* create: the container's init waits for `start` in status created.  */
int moat_create (const struct moat_context *ctx, const struct moat_create_options *o,
                 moat_error **err);
/* start: make a created container run its process.  */
int moat_start (const struct moat_context *ctx, const char *id, moat_error **err);
/* run: create and start.  With detach, return once it runs; otherwise wait
   for it, store its exit status (128+N for signal N) in *status and, unless
   keep, delete it.  */
int moat_run (const struct moat_context *ctx, const struct moat_create_options *o,
              bool detach, bool keep, int *status, moat_error **err);
struct moat_exec_options
{
  const char *id;
  const char *process_file;    /* --process: a process object */
  char **args;                 /* the command; NULL to take it from --process */
  bool tty, tty_set;           /* -t */
  bool detach;
  const char *pid_file;
  const char *console_socket;
  const char *cwd;
  char **env;                  /* -e: added to the process's env */
  bool has_user, has_gid;
  uint32_t uid, gid;
  uint32_t *additional_gids;
  size_t n_additional_gids;
  char **caps;                 /* --cap: added to bounding/effective/permitted */
  bool no_new_privs;
  const char *process_label, *apparmor;
  unsigned preserve_fds;
};

/* exec: run a process in a running container (all its namespaces and
   its cgroup).  Detached: write the pid file and return; otherwise wait
   and store its status in *status.  */
int moat_exec (const struct moat_context *ctx, const struct moat_exec_options *o,
               int *status, moat_error **err);
/* ps: the host pids of the container's processes.  */
int moat_ps (const struct moat_context *ctx, const char *id, int **pids, size_t *n,
             moat_error **err);

/* pause (freeze the cgroup) a running container, or resume a paused one.  */
int moat_pause (const struct moat_context *ctx, const char *id, bool pause,
                moat_error **err);
int moat_kill (const struct moat_context *ctx, const char *id, int sig, bool all,
               moat_error **err);
/* delete: force kills a running container first; force on a missing id
   succeeds.  */
int moat_delete (const struct moat_context *ctx, const char *id, bool force,
                 moat_error **err);
/* Current state of one container (status refreshed).  */
int moat_state (const struct moat_context *ctx, const char *id, struct moat_state *out,
                moat_error **err);
/* Every container under the state root, sorted by id.  */
int moat_list (const struct moat_context *ctx, struct moat_state **out, size_t *n,
               moat_error **err);
/* JSON for `moat features`.  */
char *moat_features_json (void);

#endif
