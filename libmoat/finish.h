/* The finish sequence: what turns a process that moat has set up inside
   the container into the container's process.  The container's init and
   every exec'd process go through exactly these steps, in this order
   (finish.c says why):

     moat_finish_prepare      in the container's root: rlimits, scheduling,
                              working directory, the program to run, umask
     moat_finish_privileges   inherited fds close-on-exec, signals reset,
                              [seccomp when no_new_privs is off], groups and
                              ids, capabilities, non-dumpable, no_new_privs
     (the caller reports ready and waits for start)
     moat_finish_exec         [seccomp when no_new_privs is on],
                              startContainer hooks, execve

   After moat_finish_privileges the process holds nothing the container's
   process would not hold, so it may become visible to the container (a
   shared pid namespace, an exec'd process).  With no_new_privs the user's
   filter sees only execve (and the startContainer hooks).  Without it,
   the filter is loaded before the privileges drop, so it also sees the
   privilege-dropping calls (prctl, setgroups, setres[ug]id, capset), the
   read/write/close of the wait for start and, in the cases that need
   them, the making of a sibling (clone), setsid and TIOCSCTTY for a
   terminal, and rt_sigaction for startContainer hooks.  */
#ifndef MOAT_FINISH_H
#define MOAT_FINISH_H

#include "error.h"
#include "plan/plan.h"

/* The exit status of a setup process (the init, an exec'd process) that
   failed before its execve: it has sent the reason on its channel, which
   is what the runtime reports.  */
#define MOAT_SETUP_FAILED 1

/* The first step of every setup process, before anything is resolved in
   the container: close every inherited fd at or above `from`, except the
   n in keep (in any order; negative ones ignored).  A leaked host
   directory fd must not be reachable as /proc/self/fd/N, e.g. through
   process.cwd (CVE-2024-21626).  keep is sorted in place.  */
void moat_finish_close_inherited (unsigned from, int *keep, size_t n);

/* What execve gets.  */
struct moat_program
{
  char *exe;     /* the path to execute */
  char **env;    /* process.env, with HOME added when it has none */
};

/* Find the program and enter the working directory.  Errors use the
   words engines map to exit codes 127 ("no such file or directory",
   "executable file not found in $PATH") and 126 ("permission denied").  */
/* Before the process enters the container's mount namespace (or pivots):
   open what the labels are written through later (AppArmor's or
   SELinux's exec attribute, in a /proc that shows this process), and
   set SELinux's keycreate context, for the session keyring.  */
int moat_finish_open_labels (const struct moat_process_plan *p, moat_error **err);
/* Write them (the profile of the next execve, inherited by a child made
   before it), and close what was opened; moat_finish_prepare does it,
   after the createContainer hooks, unless done already.  */
int moat_finish_write_labels (const struct moat_process_plan *p, moat_error **err);
int moat_finish_prepare (const struct moat_process_plan *p, struct moat_program *prog,
                         moat_error **err);

/* Drop to the container's privileges.  own_fds (count n) are moat's
   fds that must survive until execve; they are moved above the preserved
   range first.  */
int moat_finish_privileges (const struct moat_process_plan *p, int *own_fds, size_t n,
                            const struct moat_host *h, moat_error **err);

/* Before moat_finish_privileges, in the runtime: note where its command
   line and environment are, from its own /proc (the finish sequence
   zeroes them in processes the container can see).  */
void moat_finish_note_runtime (void);
/* Zero the runtime's command line and environment in this process (done
   by moat_finish_privileges; earlier for a process that becomes visible
   before it is finished).  */
void moat_finish_scrub_runtime (void);

/* Load the filter now, if it is still to load (no_new_privs): for a
   process that makes the one the container will see, which is then born
   under it, never without.  With SCMP_ACT_NOTIFY its listener goes to
   the runtime on sock (which gives it to the agent).  */
int moat_finish_seccomp (const struct moat_process_plan *p, int sock, moat_error **err);

/* Load the filter (no_new_privs) unless loaded already, run the startContainer hooks of
   `hooks` (NULL for none: an exec'd process) with hook_state on their
   stdin, execve.  Returns only
   on failure, with the status the process should exit with (127: the
   program is missing, 126: it cannot be executed, 1 otherwise).  */
int moat_finish_exec (const struct moat_process_plan *p, const struct moat_program *prog,
                      const struct moat_hooks *hooks, const char *hook_state,
                      moat_error **err);

#endif
