/* Parent-side helpers shared by create/run (launch.c) and exec (exec.c).  */
#ifndef MOAT_INTERNAL_H
#define MOAT_INTERNAL_H

#include <signal.h>
#include <stdbool.h>
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
/* True when pid is a child of this process (alive or not yet reaped): a
   pid the runtime learns over a channel a container process could reach
   is accepted only if it is.  */
bool moat_is_own_child (pid_t pid);

/* Receive one message, waiting at most until deadline (a CLOCK_MONOTONIC
   time in milliseconds; 0: no limit).  Returns as moat_channel_recv,
   with a timeout an error that says so.  */
struct moat_msg;
int moat_channel_recv_until (int sock, struct moat_msg *m, long long deadline,
                             moat_error **err);
/* Now plus ms, as such a deadline.  */
long long moat_deadline_in (int ms);

/* Block the signals a foreground moat forwards; returns a signalfd.  */
int moat_block_forwarded_signals (sigset_t *old);
/* Forward signals to pid until it exits (proxying the pty master, if
   any, to stdio, and relaying the container's READY=1 when notify is
   given); reap it and return its status (128+N for signal N).  */
struct moat_notify_relay;
int moat_wait_forwarding (pid_t pid, int pidfd, int sigfd, int master,
                          const struct moat_notify_relay *notify);

#endif
