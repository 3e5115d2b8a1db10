/* Per-container state under the state root: <root>/<id>/state.json
   (written atomically), exec.fifo, and a lock on the directory.  */
#ifndef MOAT_STATE_H
#define MOAT_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "error.h"
#include "moat.h"
#include "spec/spec.h"

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
int moat_state_from_json (const char *json, size_t len, struct moat_state *st,
                          moat_error **err);

/* Work out the live status from the recorded one, the process and the
   exec fifo.  */
void moat_state_refresh (struct moat_container_dir *d, struct moat_state *st);

/* Start time of a process, 0 if it does not exist (or is a zombie when
   zombie_is_dead).  */
unsigned long long moat_process_start_time (pid_t pid, bool zombie_is_dead);

#endif
