/* What create and exec hand to the engine that called them: the pid
   file (the decimal pid and nothing else, atomically: containerd parses
   it without trimming) and the pty master, through --console-socket (one
   message, the pty's name as payload, exactly one fd, before moat exits:
   conmon and the runc shim check each of these).  */
#include <config.h>
#include "internal.h"
#include "channel.h"
#include "utils.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
moat_write_pid_file (const char *path, pid_t pid, moat_error **err)
{
  /* Atomic, and nothing but the digits: containerd parses it with no trim.  */
  autofree char *abs = path[0] == '/' ? xstrdup (path) : NULL;
  if (abs == NULL)
    {
      char cwd[PATH_MAX];
      if (getcwd (cwd, sizeof cwd) == NULL)
        return moat_error_set (err, errno, "getcwd");
      abs = xasprintf ("%s/%s", cwd, path);
    }
  char *slash = strrchr (abs, '/');
  *slash = '\0';
  const char *dir = abs[0] ? abs : "/";
  autoclose int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return moat_error_set (err, errno, "pid file directory `%s`", dir);
  char num[16];
  snprintf (num, sizeof num, "%d", pid);
  if (moat_write_file_atomic_at (dfd, slash + 1, num, strlen (num), 0644, err) < 0)
    return moat_error_prefix (err, "pid file `%s`", path);
  return 0;
}

/* Hand the pty master to the engine: one message, a non-empty payload
   (the pty's name) and exactly one fd, before create returns.  */
int
moat_send_console (const char *path, int master, const char *name, moat_error **err)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  if (strlen (path) >= sizeof sa.sun_path)
    return moat_error_set (err, 0, "--console-socket: path `%s` is too long", path);
  strcpy (sa.sun_path, path);
  autoclose int sock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0)
    return moat_error_set (err, errno, "--console-socket: socket");
  if (connect (sock, (struct sockaddr *) &sa, sizeof sa) < 0)
    return moat_error_set (err, errno, "--console-socket: connect to `%s`", path);
  if (moat_send_fd (sock, master, name, strlen (name), err) < 0)
    return moat_error_prefix (err, "--console-socket `%s`", path);
  return 0;
}

