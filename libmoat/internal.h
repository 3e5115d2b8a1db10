/* Parent-side helpers shared by create/run (launch.c) and exec (exec.c).  */
#ifndef MOAT_INTERNAL_H
#define MOAT_INTERNAL_H

#include <signal.h>
#include <sys/types.h>
#include "error.h"
#include "moat.h"

/* Run from a sealed copy of the binary (sealed.c): re-execute through
   ctx->reexec_sealed unless already sealed; refused when the program
   gave no way to.  Does not return when it re-executes.  */
int moat_ensure_sealed (const struct moat_context *ctx, moat_error **err);

/* The decimal pid and nothing else, written atomically.  */
int moat_write_pid_file (const char *path, pid_t pid, moat_error **err);
/* Send a pty master to an engine's --console-socket: one message, the
   pty's name as payload, exactly one fd.  */
int moat_send_console (const char *path, int master, const char *name, moat_error **err);
/* Block the signals a foreground moat forwards; returns a signalfd.  */
int moat_block_forwarded_signals (sigset_t *old);
/* Forward signals to pid until it exits (proxying the pty master, if
   any, to stdio); reap it and return its status (128+N for signal N).  */
int moat_wait_forwarding (pid_t pid, int pidfd, int sigfd, int master);

#endif
