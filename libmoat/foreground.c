/* A container (or exec'd process) in the foreground: moat stays, passes
   the signals it gets on to the process, proxies its terminal, and exits
   with its status.  */
#include <config.h>
#include "internal.h"
#include "notify.h"
#include "channel.h"
#include "linux/syscalls.h"
#include "utils.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <time.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

/* Copy what is readable on `from` to `to`; false at end of input.  */
static bool
pump (int from, int to)
{
  char buf[8192];
  ssize_t n = read (from, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (n <= 0)
    return false;  /* EOF, or EIO once the last slave is closed */
  return moat_write_all (to, buf, n) == 0;
}

static void
copy_window_size (int from, int to)
{
  struct winsize ws;
  if (ioctl (from, TIOCGWINSZ, &ws) == 0)
    ioctl (to, TIOCSWINSZ, &ws);
}

/* Forward signals to the container until it exits (and, with a terminal,
   copy stdin to the pty and the pty to stdout); return its status.  */
int
moat_wait_forwarding (pid_t pid, int pidfd, int sigfd, int master,
                      const struct moat_notify_relay *notify)
{
  struct termios saved;
  bool restore = false;
  if (master >= 0 && isatty (0) && tcgetattr (0, &saved) == 0)
    {
      struct termios raw = saved;
      cfmakeraw (&raw);
      restore = tcsetattr (0, TCSANOW, &raw) == 0;
      copy_window_size (0, master);
    }
  struct pollfd p[5] = {
    { pidfd, POLLIN, 0 }, { sigfd, POLLIN, 0 },
    { master, POLLIN, 0 }, { master >= 0 ? 0 : -1, POLLIN, 0 },
    { notify ? notify->sock : -1, POLLIN, 0 },
  };
  for (;;)
    {
      if (poll (p, 5, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      if (p[1].revents & POLLIN)
        {
          struct signalfd_siginfo si;
          if (read (sigfd, &si, sizeof si) == sizeof si)
            {
              if (si.ssi_signo == SIGWINCH && master >= 0)
                copy_window_size (0, master);
              else
                sys_pidfd_send_signal (pidfd, si.ssi_signo);
            }
        }
      if (p[2].revents & (POLLIN | POLLHUP | POLLERR) && !pump (master, 1))
        p[2].fd = -1;
      if (p[3].revents & (POLLIN | POLLHUP | POLLERR) && !pump (0, master))
        p[3].fd = -1;
      /* READY=1 is relayed once; the rest of what the container says is
         read and dropped */
      if ((p[4].revents & POLLIN) && moat_notify_relay (p[4].fd, notify->host, notify->pid))
        p[4].fd = -1;
      if (p[0].revents & (POLLIN | POLLHUP))
        break;
    }
  if (master >= 0)
    {
      /* what the process wrote just before it exited */
      fcntl (master, F_SETFL, O_NONBLOCK);
      while (pump (master, 1))
        {
          struct pollfd q = { master, POLLIN, 0 };
          if (poll (&q, 1, 0) <= 0)
            break;
        }
    }
  if (restore)
    tcsetattr (0, TCSANOW, &saved);
  int status = 0;
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return WEXITSTATUS (status);
}

bool
moat_is_own_child (pid_t pid)
{
  siginfo_t si;
  if (pid <= 0)
    return false;
  /* WNOWAIT: look, reap nothing; ECHILD for a pid that is not ours */
  return waitid (P_PID, pid, &si, WEXITED | WSTOPPED | WCONTINUED | WNOHANG | WNOWAIT) == 0;
}

long long
moat_deadline_in (int ms)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000 + ms;
}

int
moat_channel_recv_until (int sock, struct moat_msg *m, long long deadline,
                         moat_error **err)
{
  if (deadline)
    for (;;)
      {
        long long left = deadline - moat_deadline_in (0);
        struct pollfd p = { sock, POLLIN, 0 };
        int r = left > 0 ? poll (&p, 1, left > INT_MAX ? INT_MAX : (int) left) : 0;
        if (r < 0 && errno == EINTR)
          continue;
        if (r < 0)
          return moat_error_set (err, errno, "channel: wait");
        if (r == 0)
          return moat_error_set (err, ETIMEDOUT, "channel: no word from the process");
        break;
      }
  return moat_channel_recv (sock, m, err);
}

int
moat_block_forwarded_signals (sigset_t *old)
{
  sigset_t set;
  sigfillset (&set);
  sigdelset (&set, SIGCHLD);
  sigdelset (&set, SIGSEGV);
  sigdelset (&set, SIGBUS);
  sigdelset (&set, SIGILL);
  sigdelset (&set, SIGFPE);
  sigprocmask (SIG_BLOCK, &set, old);
  return signalfd (-1, &set, SFD_CLOEXEC);
}

