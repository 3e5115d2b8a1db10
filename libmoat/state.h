/* Per-container state under the state root: <root>/<id>/state.json
   (written atomically), exec.fifo, and a lock on the directory.  */
#ifndef MOAT_STATE_H
#define MOAT_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "error.h"
#include "spec/spec.h"

enum moat_status
{
  MOAT_STATUS_CREATING = 0,
  MOAT_STATUS_CREATED,
  MOAT_STATUS_RUNNING,
  MOAT_STATUS_PAUSED,
  MOAT_STATUS_STOPPED,
};

const char *moat_status_name (enum moat_status s);

struct moat_state
{
  char *id;
  pid_t pid;                 /* host pid of the init process, 0 if none */
  unsigned long long start_time;  /* /proc/<pid>/stat field 22, detects pid reuse */
  char *bundle;
  char *rootfs;
  char *created;             /* RFC 3339 */
  char *owner;
  char *cgroup_driver;       /* the cgroup driver's name, or NULL */
  char *cgroup_path;         /* absolute host path of the container cgroup, or NULL */
  char *cgroup_created_from; /* first directory create made (removed at delete) */
  struct moat_annotation *annotations;
  size_t n_annotations;
  enum moat_status status;   /* as recorded; see moat_state_refresh */
  /* A process of the container may have held CAP_SYS_PTRACE over moat's
     processes: every later moat process in it runs from a sealed copy.  */
  bool ptrace_reachable;
};

/* A handle on <root>/<id> holding the lock.  */
struct moat_container_dir
{
  int dirfd;
  char *path;
  char *id;
};

/* Check a container id: 1..250 characters, no '/', no leading '.', no
   control characters or whitespace.  */
int moat_validate_id (const char *id, moat_error **err);

/* The default state root: /run/moat as root (euid 0 outside a user
   namespace), $XDG_RUNTIME_DIR/moat otherwise.  */
char *moat_default_state_root (void);

/* The state root must be moat's user's and not writable by others: its
   states name the processes and cgroups moat acts on.  */
int moat_check_state_root (int rootfd, const char *root, moat_error **err);

/* moat tells processes apart by their start time in /proc/<pid>/stat:
   /proc must be the procfs of moat's own pid namespace (a moat started by
   `unshare -pf` without a new /proc sees other processes under the same
   numbers).  */
int moat_check_proc (moat_error **err);

/* An error when <root>/<id> exists already: checked before anything is
   made, the rename of moat_container_dir_create is the real guard.  */
int moat_container_absent (const char *root, const char *id, moat_error **err);

/* Remove what creates killed half-way left under <root>/.tmp.  */
void moat_sweep_temporaries (const char *root);

/* Create <root>/<id> (refusing an existing id), locked, already holding
   state.json for `initial`.  */
int moat_container_dir_create (const char *root, const char *id,
                               const struct moat_state *initial,
                               struct moat_container_dir *out, moat_error **err);
/* Open and lock an existing container directory; exclusive or shared.
   ENOENT gives "container \"ID\" does not exist".  */
int moat_container_dir_open (const char *root, const char *id, bool exclusive,
                             struct moat_container_dir *out, moat_error **err);
/* Remove the container's directory (while holding its lock) and release.  */
int moat_container_dir_remove (struct moat_container_dir *d, moat_error **err);
void moat_container_dir_close (struct moat_container_dir *d);

int moat_state_write (struct moat_container_dir *d, const struct moat_state *st,
                      moat_error **err);
int moat_state_read (struct moat_container_dir *d, struct moat_state *st,
                     moat_error **err);
/* Serialize to JSON: `full` includes moat's private fields.  */
char *moat_state_to_json (const struct moat_state *st, bool full);
int moat_state_from_json (const char *json, size_t len, struct moat_state *st,
                          moat_error **err);
void moat_state_clear (struct moat_state *st);

/* Work out the live status from the recorded one, the process and the
   exec fifo.  */
void moat_state_refresh (struct moat_container_dir *d, struct moat_state *st);

/* Start time of a process, 0 if it does not exist (or is a zombie when
   zombie_is_dead).  */
unsigned long long moat_process_start_time (pid_t pid, bool zombie_is_dead);

#endif
