/* sd_notify through the container, as runc does it.  When moat is given
   NOTIFY_SOCKET (a service manager's socket), create makes `notify/` in
   the state directory, binds it read-only at /run/notify in the
   container and sets NOTIFY_SOCKET=/run/notify/notify.sock for the
   container's process; start (or run) binds that socket and, when the
   container says READY=1, tells the manager READY=1 and MAINPID (the
   init's host pid), so that the manager follows the container, not
   moat.  Other messages are not relayed (runc's rule).  */
#ifndef MOAT_NOTIFY_H
#define MOAT_NOTIFY_H

#include <stdbool.h>
#include <sys/types.h>
#include "error.h"
#include "plan/plan.h"

#define MOAT_NOTIFY_DIR "notify"
#define MOAT_NOTIFY_IN_CONTAINER "/run/notify"
#define MOAT_NOTIFY_SOCKET_NAME "notify.sock"

/* create: the host's NOTIFY_SOCKET must be one moat can send to (an
   absolute path or an abstract "@name").  */
int moat_notify_check_host (const char *host, moat_error **err);
/* create: make notify/ in the state directory and add its mount (a
   prepared tree, last of the mounts) and the variable to the plan.  */
int moat_notify_plan (struct moat_plan *p, int state_dirfd, const char *state_path,
                      moat_error **err);
/* start, run: bind notify/notify.sock; the socket's fd.  */
int moat_notify_listen (int state_dirfd, moat_error **err);
/* One datagram from the container on sock: true once READY=1 was in it
   and was relayed to host with MAINPID=pid.  */
bool moat_notify_relay (int sock, const char *host, pid_t pid);
/* run in the foreground: what moat_wait_forwarding relays (sock -1:
   nothing) while it waits for the container.  */
struct moat_notify_relay
{
  int sock;
  const char *host;
  pid_t pid;
};

/* start, run -d: relay until the container is ready, or its init is
   gone (pidfd readable).  */
int moat_notify_wait (int sock, int pidfd, const char *host, pid_t pid, moat_error **err);

#endif
