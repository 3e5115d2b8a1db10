#include <config.h>
#include "notify.h"
#include "linux/linux.h"
#include "log.h"
#include "utils.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

/* The manager's address: a path, or "@name" for the abstract namespace
   (as systemd writes it).  */
static int
host_address (const char *host, struct sockaddr_un *a, socklen_t *len)
{
  size_t n = strlen (host);
  memset (a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  if (n < 2 || n >= sizeof a->sun_path || (host[0] != '/' && host[0] != '@'))
    return -1;
  memcpy (a->sun_path, host, n);
  if (host[0] == '@')
    a->sun_path[0] = '\0';
  *len = (socklen_t) (offsetof (struct sockaddr_un, sun_path) + n + (host[0] == '/'));
  return 0;
}

int
moat_notify_check_host (const char *host, moat_error **err)
{
  struct sockaddr_un a;
  socklen_t len;
  if (host_address (host, &a, &len) < 0)
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                            "NOTIFY_SOCKET: `%s` is not an absolute socket path or "
                            "an abstract @name", host);
  return 0;
}

int
moat_notify_plan (struct moat_plan *p, int state_dirfd, const char *state_path,
                  moat_error **err)
{
  struct moat_spec *s = p->spec;
  /* 0755: the container's users (any ids) reach the socket through it */
  if (mkdirat (state_dirfd, MOAT_NOTIFY_DIR, 0755) < 0
      || fchmodat (state_dirfd, MOAT_NOTIFY_DIR, 0755, 0) < 0)
    return moat_error_set (err, errno, "NOTIFY_SOCKET: make the state directory's `%s`",
                           MOAT_NOTIFY_DIR);
  /* a tree the init attaches: the state directory is root's alone, and
     the init may be a user namespace's root; a rootless moat may not
     clone mounts, but its init may walk its own state directory */
  int tree = -1;
  if (!p->host.rootless)
    {
      tree = moat_bind_tree_prepare (state_dirfd, MOAT_NOTIFY_DIR, err);
      if (tree < 0)
        return moat_error_prefix (err, "NOTIFY_SOCKET");
    }
  size_t n = s->n_mounts;
  s->mounts = xrealloc (s->mounts, (n + 1) * sizeof *s->mounts);
  memset (&s->mounts[n], 0, sizeof s->mounts[n]);
  s->mounts[n].destination = xstrdup (MOAT_NOTIFY_IN_CONTAINER);
  s->mounts[n].type = xstrdup ("bind");
  s->mounts[n].source = xstrdup (MOAT_NOTIFY_DIR);
  /* the plans point into the config's mounts, which may have moved */
  p->mounts = xrealloc (p->mounts, (n + 2) * sizeof *p->mounts);
  memset (&p->mounts[n], 0, 2 * sizeof *p->mounts);
  for (size_t i = 0; i <= n; i++)
    p->mounts[i].m = &s->mounts[i];
  struct moat_mount_plan *np = &p->mounts[n];
  np->bind = true;
  np->o.bind = true;
  np->o.flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  np->idmap_fd = tree;
  if (tree < 0)
    np->source = xasprintf ("%s/%s", state_path, MOAT_NOTIFY_DIR);
  s->n_mounts = n + 1;
  s->env = moat_env_set (s->env, "NOTIFY_SOCKET=" MOAT_NOTIFY_IN_CONTAINER "/"
                             MOAT_NOTIFY_SOCKET_NAME);
  return 0;
}

int
moat_notify_listen (int state_dirfd, moat_error **err)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/self/fd/%d/%s/%s", state_dirfd, MOAT_NOTIFY_DIR,
            MOAT_NOTIFY_SOCKET_NAME);
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  memcpy (a.sun_path, path, strlen (path));
  int sock = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (sock < 0)
    return moat_error_set (err, errno, "NOTIFY_SOCKET: socket");
  unlink (path);
  /* any of the container's users may send: 0777, as runc; made so by
     bind itself, never by a chmod of a path the container could have
     replaced with a symlink meanwhile */
  mode_t old = umask (0);
  int r = bind (sock, (struct sockaddr *) &a, sizeof a);
  umask (old);
  if (r < 0)
    {
      int e = errno;
      close (sock);
      return moat_error_set (err, e, "NOTIFY_SOCKET: bind the state directory's `%s/%s`",
                             MOAT_NOTIFY_DIR, MOAT_NOTIFY_SOCKET_NAME);
    }
  return sock;
}

static bool
says_ready (const char *msg)
{
  for (const char *l = msg; l && *l; l = strchr (l, '\n') ? strchr (l, '\n') + 1 : NULL)
    if (strncmp (l, "READY=1", 7) == 0 && (l[7] == '\n' || l[7] == '\0'))
      return true;
  return false;
}

bool
moat_notify_relay (int sock, const char *host, pid_t pid)
{
  char buf[4096];
  ssize_t n = recv (sock, buf, sizeof buf - 1, MSG_DONTWAIT | MSG_TRUNC);
  if (n <= 0 || (size_t) n >= sizeof buf)
    return false;  /* nothing, or more than any notification */
  buf[n] = '\0';
  if (!says_ready (buf))
    return false;
  struct sockaddr_un a;
  socklen_t len;
  char msg[64];
  int m = snprintf (msg, sizeof msg, "READY=1\nMAINPID=%d\n", (int) pid);
  autoclose int out = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (out < 0 || host_address (host, &a, &len) < 0
      || sendto (out, msg, (size_t) m, MSG_NOSIGNAL, (struct sockaddr *) &a, len) < 0)
    moat_warn ("NOTIFY_SOCKET: tell `%s` the container is ready: %s", host,
               strerror (errno));
  return true;
}

int
moat_notify_wait (int sock, int pidfd, const char *host, pid_t pid, moat_error **err)
{
  struct pollfd p[2] = { { sock, POLLIN, 0 }, { pidfd, POLLIN, 0 } };
  for (;;)
    {
      if (poll (p, 2, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          return moat_error_set (err, errno, "NOTIFY_SOCKET: wait for the container");
        }
      if ((p[0].revents & POLLIN) && moat_notify_relay (sock, host, pid))
        return 0;
      if (p[1].revents & (POLLIN | POLLHUP))
        return 0;  /* the init is gone: nothing will be ready */
    }
}
