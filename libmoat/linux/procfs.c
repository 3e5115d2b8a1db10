/* A procfs filesystem context for a pid namespace this process is not in.

   When the container joins a pid namespace by path (a pod's shared
   process namespace), the init sets the root up from outside that
   namespace and enters it only once finished, so that no process of the
   namespace ever sees a moat process with the host's root, cwd or fds
   (docs/security.md).  The container's /proc must still show that
   namespace, but a procfs shows the pid namespace of the process that
   opened its filesystem context (fsopen), not of the one that mounts it.

   Linux 6.17 takes the namespace as an option (pidns=).  On older kernels
   a process born in the namespace opens the context and hands it over,
   and it is made so that there is nothing to take from it first: its
   maker, still outside the namespace, joins the pid namespace for its
   children, moves into a user namespace of its own (no privilege over
   anything of the host's or the container's) and a mount namespace of its
   own whose root is an empty tmpfs (the host's tree detached from it),
   and closes every fd but one socket.  Only then is the helper born; it
   calls fsopen("proc"), sends the fd and exits.  Creating the superblock
   needs privilege over the owner of the pid namespace, which only the
   init has: it does that, then checks what it got (mount.c) before the
   mount is attached.  */
#include <config.h>
#include "linux.h"
#include "syscalls.h"
#include "../channel.h"
#include "../fault.h"
#include "../finish.h"
#include "../internal.h"
#include "../utils.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* How long the helper, a process of the shared namespace, may take.  */
#define HELPER_TIMEOUT_MS 30000

bool
moat_proc_takes_pidns (int pidns_fd)
{
  /* the test suite plays an older kernel with MOAT_FAULT=proc-pidns (or
     proc-pidns-slow: a helper that lives long enough to be seen) */
  if (moat_fault ("proc-pidns", NULL) < 0 || moat_fault ("proc-pidns-slow", NULL) < 0)
    return false;
  autoclose int fs = sys_fsopen ("proc", FSOPEN_CLOEXEC);
  return fs >= 0 && sys_fsconfig (fs, FSCONFIG_SET_FD, "pidns", NULL, pidns_fd) == 0;
}

/* In the helper, born in the pid namespace: the context, to the init.  */
static void __attribute__ ((noreturn))
helper_main (int sock)
{
  moat_error *err = NULL;
  if (moat_fault ("proc-pidns-slow", NULL) < 0)
    {
      struct timespec ts = { 0, 300 * 1000 * 1000 };
      nanosleep (&ts, NULL);
    }
  int fs = sys_fsopen ("proc", FSOPEN_CLOEXEC);
  if (fs < 0)
    {
      moat_error_set (&err, errno, "fsopen(\"proc\") in the pid namespace");
      moat_channel_send_error (sock, err);
      _exit (1);
    }
  _exit (moat_channel_send (sock, MOAT_MSG_PROCFS, 0, NULL, 0, fs, &err) < 0 ? 1 : 0);
}

/* The root of this process becomes an empty tmpfs; the tree it had is
   detached from its mount namespace.  The tmpfs is mounted on /proc: any
   directory would do, and that one exists wherever moat runs.  */
static int
empty_root (moat_error **err)
{
  const char *mountpoint = "/proc";
  if (mount ("moat-empty", mountpoint, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY,
             "size=4k,mode=0500") < 0)
    return moat_error_set (err, errno, "mount an empty tmpfs");
  if (chdir (mountpoint) < 0)
    return moat_error_set (err, errno, "enter the empty tmpfs");
  /* the old root ends up on top of the new one: detach it */
  if (syscall (SYS_pivot_root, ".", ".") < 0)
    return moat_error_set (err, errno, "pivot_root into the empty tmpfs");
  if (umount2 (".", MNT_DETACH) < 0)
    return moat_error_set (err, errno, "detach the old root");
  if (chdir ("/") < 0)
    return moat_error_set (err, errno, "chdir /");
  return 0;
}

/* In the maker, outside the pid namespace: make the helper and wait for
   it.  Its own failures go to the init over sock.  */
static void __attribute__ ((noreturn))
maker_main (int pidns_fd, int sock)
{
  moat_error *err = NULL;
  /* the helper is visible to the namespace: not with the runtime's
     command line and environment (host paths, an engine's variables) */
  moat_finish_scrub_runtime ();
  if (prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0
      || setns (pidns_fd, CLONE_NEWPID) < 0)
    moat_error_set (&err, errno, "join the pid namespace for the helper");
  else if (unshare (CLONE_NEWUSER | CLONE_NEWNS) < 0)
    moat_error_set (&err, errno, "a user namespace for the helper that opens /proc "
                    "(this kernel has no procfs pidns=, Linux 6.17)");
  else if (empty_root (&err) < 0)
    ;
  /* a credential change may have made the process dumpable again */
  else if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    moat_error_set (&err, errno, "prctl(PR_SET_DUMPABLE)");
  if (err)
    {
      moat_channel_send_error (sock, err);
      _exit (1);
    }
  /* nothing but the socket, stdio included (it may be a terminal) */
  if (dup3 (sock, 0, O_CLOEXEC) < 0)
    _exit (1);
  sys_close_range (1, ~0U, 0);
  pid_t helper = fork ();
  if (helper == 0)
    {
      /* (getppid() says 0 here whatever happens: the maker is outside
         the namespace; if it is gone already, the init is too or will
         not take what this sends) */
      (void) prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
      helper_main (0);
    }
  int status = 1;
  while (helper > 0 && waitpid (helper, &status, 0) < 0 && errno == EINTR)
    ;
  _exit (helper > 0 && WIFEXITED (status) ? WEXITSTATUS (status) : 1);
}

/* The maker ends once it has reaped the helper; a helper stopped by a
   process of the namespace must not keep the init waiting: the maker is
   killed (and with it the helper: its parent-death signal).  */
static void
reap_maker (pid_t maker, bool done)
{
  autoclose int pidfd = done ? sys_pidfd_open (maker, 0) : -1;
  struct pollfd p = { pidfd, POLLIN, 0 };
  if (pidfd < 0 || poll (&p, 1, 1000) != 1)
    kill (maker, SIGKILL);
  while (waitpid (maker, NULL, 0) < 0 && errno == EINTR)
    ;
}

/* A context opened by a helper born in the pid namespace pidns_fd.  */
static int
context_from_helper (int pidns_fd, moat_error **err)
{
  int sv[2];
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return moat_error_set (err, errno, "socketpair");
  pid_t maker = fork ();
  if (maker < 0)
    {
      close (sv[0]);
      close (sv[1]);
      return moat_error_set (err, errno, "fork");
    }
  if (maker == 0)
    {
      close (sv[0]);
      maker_main (pidns_fd, sv[1]);
    }
  close (sv[1]);
  struct moat_msg *m = xmalloc0 (sizeof *m);
  /* the helper is a process of the shared namespace: bounded */
  int r = moat_channel_recv_until (sv[0], m, moat_deadline_in (HELPER_TIMEOUT_MS), err);
  int fs = -1;
  if (r == 0)
    moat_error_set (err, 0, "the helper that opens /proc ended without a word");
  else if (r > 0 && m->kind == MOAT_MSG_ERROR)
    moat_channel_error_from (m, err);
  else if (r > 0 && (m->kind != MOAT_MSG_PROCFS || m->fd < 0))
    moat_error_set (err, EPROTO, "the helper that opens /proc sent %s",
                    moat_msg_kind_name (m->kind));
  else if (r > 0)
    fs = steal_fd (&m->fd);
  if (m->fd >= 0)
    close (m->fd);
  free (m);
  close (sv[0]);
  reap_maker (maker, fs >= 0);
  if (fs < 0)
    return moat_error_prefix (err, "procfs for the container's pid namespace");
  return fs;
}

int
moat_procfs_context (int pidns_fd, moat_error **err)
{
  if (moat_proc_takes_pidns (pidns_fd))
    {
      int fs = sys_fsopen ("proc", FSOPEN_CLOEXEC);
      if (fs < 0 || sys_fsconfig (fs, FSCONFIG_SET_FD, "pidns", NULL, pidns_fd) < 0)
        {
          int e = errno;
          if (fs >= 0)
            close (fs);
          return moat_error_set (err, e, "procfs for the container's pid namespace");
        }
      return fs;
    }
  return context_from_helper (pidns_fd, err);
}
