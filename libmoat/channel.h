/* The channel between the runtime and the processes it starts (the
   container's init, an exec'd process): one SOCK_SEQPACKET socketpair,
   typed messages, fds passed along, and a child's failure arriving in the
   parent as the child's own error (kind, errno and message).

   A message is a fixed header and a payload of at most
   MOAT_CHANNEL_MAX_PAYLOAD bytes.  Without an fd it is sent with write(2)
   and read with read(2): after a seccomp filter is loaded those are the
   only calls a child needs to talk to its parent.  */
#ifndef MOAT_CHANNEL_H
#define MOAT_CHANNEL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "error.h"

#define MOAT_CHANNEL_MAX_PAYLOAD 8192

enum moat_msg_kind
{
  MOAT_MSG_GO = 1,      /* parent -> child: ids mapped, set the container up */
  MOAT_MSG_HOOKS,       /* child -> parent: mounts ready, run createRuntime hooks */
  MOAT_MSG_HOOKS_DONE,  /* parent -> child: done; aux = the init's host pid */
  MOAT_MSG_PID,         /* child -> parent: aux = pid of the process that replaces it */
  MOAT_MSG_TERMINAL,    /* child -> parent: fd = the pty master, payload = its name */
  MOAT_MSG_LOG,         /* child -> parent: aux = level, payload = the message */
  MOAT_MSG_READY,       /* child -> parent: set up and finished, waiting for start */
  MOAT_MSG_COMMITTED,   /* parent -> child: the state is recorded; wait for start */
  MOAT_MSG_START,       /* parent -> child (run): execute the process now */
  MOAT_MSG_ERROR,       /* child -> parent: aux = error kind, errnum, payload = message */
  MOAT_MSG_PROCFS,      /* helper -> init: fd = a procfs context opened in a pid namespace */
  MOAT_MSG_SECCOMP,     /* child -> parent: fd = the seccomp listener (SCMP_ACT_NOTIFY) */
  MOAT_MSG_KIND_MAX,
};

struct moat_msg
{
  enum moat_msg_kind kind;
  int32_t errnum;
  uint32_t aux;
  size_t len;                           /* payload bytes (not NUL-terminated on the wire) */
  char data[MOAT_CHANNEL_MAX_PAYLOAD + 1];  /* payload, NUL-terminated on receipt */
  int fd;                               /* passed fd, -1 when none */
};

const char *moat_msg_kind_name (enum moat_msg_kind kind);

/* Send one message; fd < 0 for none.  EPIPE when the peer is gone.  */
int moat_channel_send (int sock, enum moat_msg_kind kind, uint32_t aux, const void *data,
                       size_t len, int fd, moat_error **err);
/* The same for a message without payload or fd.  */
int moat_channel_signal (int sock, enum moat_msg_kind kind, uint32_t aux, moat_error **err);
/* Report err as a MOAT_MSG_ERROR (best effort: the sender is about to exit).  */
void moat_channel_send_error (int sock, const moat_error *err);

/* Receive one message (m->fd is close-on-exec).  Returns 1 for a message,
   0 when the peer closed its end, -1 on error (a malformed message, a
   payload that does not fit, more than one fd).  */
int moat_channel_recv (int sock, struct moat_msg *m, moat_error **err);
/* Child side: wait for a message of this kind with read(2) only; any other
   message or the end of the channel is an error.  */
int moat_channel_expect (int sock, enum moat_msg_kind kind, struct moat_msg *m,
                         moat_error **err);
/* A received MOAT_MSG_ERROR as an error of the receiver's: same kind,
   errno and text.  Returns -1.  */
int moat_channel_error_from (const struct moat_msg *m, moat_error **err);

/* One datagram with a payload and exactly one SCM_RIGHTS fd: what an
   engine's --console-socket expects (the pty's name and its master).  */
int moat_send_fd (int sock, int fd, const void *payload, size_t len, moat_error **err);
/* sendmsg of payload with fd as its one SCM_RIGHTS fd (MSG_NOSIGNAL,
   retried on EINTR): the bytes sent (on a stream socket maybe fewer than
   len), or -1 with errno set.  */
ssize_t moat_sendmsg_with_fd (int sock, int fd, const void *payload, size_t len);

#endif
