/* seccomp-agent SOCKET LOG: a seccomp agent for the tests.

   Listens on the unix socket SOCKET; for each connection, reads the
   container process state the runtime sends (JSON, with the listener as
   its one SCM_RIGHTS fd) and appends it to LOG as one line "state
   JSON".  Then answers the notifications of every listener it holds:
   mkdir and mkdirat "succeed" without making anything (an emulated
   result the container can tell apart from the kernel's), anything else
   goes on as if not notified (SECCOMP_USER_NOTIF_FLAG_CONTINUE); each one
   is logged as "notify NR PID".  Runs until killed.  */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_LISTENERS 16

static FILE *logf;

/* one connection: the state and the fd */
static int
take_state (int conn)
{
  char buf[65536];
  size_t len = 0;
  int fd = -1;
  for (;;)
    {
      char cbuf[CMSG_SPACE (sizeof (int))];
      struct iovec iov = { buf + len, sizeof buf - 1 - len };
      struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                            .msg_controllen = sizeof cbuf };
      ssize_t n = recvmsg (conn, &msg, MSG_CMSG_CLOEXEC);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      struct cmsghdr *c = CMSG_FIRSTHDR (&msg);
      if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && fd < 0)
        memcpy (&fd, CMSG_DATA (c), sizeof fd);
      len += n;
      if (len >= sizeof buf - 1)
        break;
    }
  buf[len] = 0;
  fprintf (logf, "state %s%s\n", buf, fd < 0 ? " (no fd)" : "");
  fflush (logf);
  return fd;
}

static void
answer (int listener, struct seccomp_notif *req, struct seccomp_notif_resp *resp)
{
  if (ioctl (listener, SECCOMP_IOCTL_NOTIF_RECV, req) < 0)
    return;
  fprintf (logf, "notify %d %u\n", req->data.nr, req->pid);
  fflush (logf);
  resp->id = req->id;
  resp->flags = 0;
  if (req->data.nr == SYS_mkdir || req->data.nr == SYS_mkdirat)
    {
      resp->val = 0;
      resp->error = 0;
    }
  else
    {
      resp->val = 0;
      resp->error = 0;
      resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    }
  ioctl (listener, SECCOMP_IOCTL_NOTIF_SEND, resp);
}

int
main (int argc, char **argv)
{
  if (argc != 3)
    {
      fprintf (stderr, "usage: seccomp-agent SOCKET LOG\n");
      return 2;
    }
  logf = fopen (argv[2], "a");
  if (logf == NULL)
    return 1;
  int srv = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  snprintf (addr.sun_path, sizeof addr.sun_path, "%s", argv[1]);
  unlink (argv[1]);
  if (srv < 0 || bind (srv, (struct sockaddr *) &addr, sizeof addr) < 0 || listen (srv, 8) < 0)
    {
      perror ("seccomp-agent: listen");
      return 1;
    }
  struct seccomp_notif_sizes sizes;
  if (syscall (SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
    {
      perror ("seccomp-agent: SECCOMP_GET_NOTIF_SIZES");
      return 1;
    }
  struct seccomp_notif *req = calloc (1, sizes.seccomp_notif);
  struct seccomp_notif_resp *resp = calloc (1, sizes.seccomp_notif_resp);
  struct pollfd p[1 + MAX_LISTENERS];
  int n = 0;
  p[0] = (struct pollfd) { srv, POLLIN, 0 };
  for (;;)
    {
      if (poll (p, 1 + n, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          return 1;
        }
      if (p[0].revents & POLLIN)
        {
          int conn = accept4 (srv, NULL, NULL, SOCK_CLOEXEC);
          if (conn >= 0)
            {
              int fd = take_state (conn);
              close (conn);
              if (fd >= 0 && n < MAX_LISTENERS)
                p[1 + n++] = (struct pollfd) { fd, POLLIN, 0 };
            }
        }
      for (int i = 1; i <= n; i++)
        {
          if (p[i].revents & POLLIN)
            {
              memset (req, 0, sizes.seccomp_notif);
              memset (resp, 0, sizes.seccomp_notif_resp);
              answer (p[i].fd, req, resp);
            }
          else if (p[i].revents & (POLLHUP | POLLERR))
            {
              /* every process under that filter is gone */
              close (p[i].fd);
              p[i] = p[n--];
              i--;
            }
        }
    }
}
