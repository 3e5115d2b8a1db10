/* The container side of create: runs in the child born from clone3, sets
   up the container in order, reports to the parent, waits for start and
   execs the user's process.  */
#ifndef MOAT_INIT_H
#define MOAT_INIT_H

#include <stdbool.h>
#include "spec/spec.h"

/* Messages on the parent/child socket (SOCK_SEQPACKET): one byte of kind,
   then for SYNC_ERROR the message text.  */
enum
{
  SYNC_GO = 'G',      /* parent -> child: namespaces mapped, set up now */
  SYNC_START = 'S',   /* parent -> child (run): exec the process */
  SYNC_READY = 'R',   /* child -> parent: set up, waiting for start */
  SYNC_ERROR = 'E',   /* child -> parent: setup failed, text follows */
  SYNC_HOOKS = 'H',   /* child -> parent: run createRuntime hooks now */
  SYNC_HOOKS_DONE = 'h',  /* parent -> child: done, the state JSON follows */
  SYNC_PID = 'P',     /* child -> parent: the init is this pid (joined userns) */
  SYNC_WARNING = 'W',  /* child -> parent: a log message, "W<level><text>" */
  SYNC_TERMINAL = 'T',  /* child -> parent: pty master (SCM_RIGHTS), name follows */
};

struct moat_init_args
{
  const struct moat_spec *spec;
  const char *id;
  const char *rootfs;
  const char *bundle;
  int sync_fd;           /* child's end of the socket */
  int parent_sync_fd;    /* parent's end, closed in the child */
  int fifo_fd;           /* exec.fifo opened O_RDWR (create), -1 for run */
  int userns_fd;         /* user namespace to join, -1 if none */
  unsigned long long unshare_flags;  /* namespaces to create after joining it */
  bool in_userns;        /* new or joined user namespace */
  bool no_pivot;
  bool no_new_keyring;
  unsigned preserve_fds;
  const int *idmap_fds;  /* prepared idmapped mounts, per mount (or NULL) */
  int close_fds[MOAT_NS_COUNT + 4];  /* parent-only fds, -1 terminated slots */
};

/* Never returns.  */
void moat_init_main (const struct moat_init_args *a) __attribute__ ((noreturn));

#endif
