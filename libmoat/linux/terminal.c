/* The container's terminal.  The pty is made from the container's own
   devpts (resolved inside the root), the slave is opened from the master
   with TIOCGPTPEER (no path to swap) and bound on /dev/console by fd.  */
#include <config.h>
#include "linux.h"
#include "syscalls.h"
#include "../utils.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <signal.h>
#include <termios.h>
#include <time.h>

#ifndef TIOCGPTPEER
# define TIOCGPTPEER _IO ('T', 0x41)
#endif

int
moat_terminal_create (int rootfd, const struct moat_spec *s, bool bind_console,
                      struct moat_terminal *t, moat_error **err)
{
  t->master = t->slave = -1;
  t->master = moat_open_in_root (rootfd, "/dev/pts/ptmx", O_RDWR | O_NOCTTY);
  if (t->master < 0)
    return moat_error_set (err, errno, "process.terminal: open /dev/pts/ptmx in the "
                           "container (is devpts mounted on /dev/pts?)");
  int unlock = 0, n = 0;
  if (ioctl (t->master, TIOCSPTLCK, &unlock) < 0 || ioctl (t->master, TIOCGPTN, &n) < 0)
    return moat_error_set (err, errno, "process.terminal: unlock pty");
  snprintf (t->name, sizeof t->name, "/dev/pts/%d", n);
  t->slave = ioctl (t->master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (t->slave < 0)
    return moat_error_set (err, errno, "process.terminal: open the pty's slave");
  if (s->console_height || s->console_width)
    {
      struct winsize ws = { .ws_row = s->console_height, .ws_col = s->console_width };
      if (ioctl (t->master, TIOCSWINSZ, &ws) < 0)
        return moat_error_set (err, errno, "process.consoleSize: set window size");
    }
  if (!bind_console)
    return 0;
  /* /dev/console is the slave: an empty file bound over by fd, never a
     path the image could have replaced with a symlink.  */
  autoclose int dev = moat_open_in_root (rootfd, "/dev", O_PATH | O_DIRECTORY);
  if (dev < 0)
    return moat_error_set (err, errno, "open /dev in the container");
  autoclose int devdir = openat (dev, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (devdir < 0)
    return moat_error_set (err, errno, "open /dev in the container");
  if (unlinkat (devdir, "console", 0) < 0 && errno != ENOENT)
    return moat_error_set (err, errno, "remove /dev/console");
  autoclose int target = openat (devdir, "console", O_CREAT | O_EXCL | O_WRONLY
                                 | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (target < 0)
    return moat_error_set (err, errno, "create /dev/console");
  autoclose int tree = sys_open_tree (t->slave, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC
                                      | AT_EMPTY_PATH);
  if (tree < 0 || sys_move_mount (tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH
                                  | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return moat_error_set (err, errno, "bind the pty on /dev/console");
  return 0;
}

/* The process that execs takes the pty as its controlling terminal: a
   session leader that passed it on and exited would hang it up (SIGHUP
   to the foreground group).  */
int
moat_terminal_take_control (moat_error **err)
{
  if (setsid () < 0)
    return moat_error_set (err, errno, "setsid");
  if (ioctl (0, TIOCSCTTY, 0) < 0)
    return moat_error_set (err, errno, "make the pty the controlling terminal");
  return 0;
}

void
moat_terminal_wait_size (int fd, int max_ms)
{
  struct winsize ws;
  if (ioctl (fd, TIOCGWINSZ, &ws) < 0 || (ws.ws_row && ws.ws_col))
    return;
  sigset_t winch, old;
  sigemptyset (&winch);
  sigaddset (&winch, SIGWINCH);
  if (sigprocmask (SIG_BLOCK, &winch, &old) < 0)
    return;
  struct timespec now, end;
  clock_gettime (CLOCK_MONOTONIC, &end);
  end.tv_sec += max_ms / 1000;
  end.tv_nsec += (long) (max_ms % 1000) * 1000000;
  if (end.tv_nsec >= 1000000000)
    end.tv_sec++, end.tv_nsec -= 1000000000;
  /* checked again once SIGWINCH is blocked: a size set meanwhile sent
     its signal before it could be waited for */
  while (ioctl (fd, TIOCGWINSZ, &ws) == 0 && !(ws.ws_row && ws.ws_col)
         && clock_gettime (CLOCK_MONOTONIC, &now) == 0)
    {
      struct timespec left = { end.tv_sec - now.tv_sec, end.tv_nsec - now.tv_nsec };
      if (left.tv_nsec < 0)
        left.tv_sec--, left.tv_nsec += 1000000000;
      if (left.tv_sec < 0 || (sigtimedwait (&winch, NULL, &left) < 0 && errno != EINTR))
        break;
    }
  sigprocmask (SIG_SETMASK, &old, NULL);
}

/* Make the slave the stdio of this process and, with control, its
   controlling terminal.  */
int
moat_terminal_attach (struct moat_terminal *t, bool control, moat_error **err)
{
  for (int fd = 0; fd < 3; fd++)
    if (dup2 (t->slave, fd) < 0)
      return moat_error_set (err, errno, "dup the pty to fd %d", fd);
  close (t->slave);
  t->slave = -1;
  return control ? moat_terminal_take_control (err) : 0;
}
