/* syscall-probe NAME...: make each system call named (with arguments
   fixed here, harmless when allowed) and print "NAME ok" or "NAME
   errno=N", one line each; static, to run in the test rootfs.  What a
   seccomp profile allows, refuses (and with which errno) is read off
   the output.  */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* a number no kernel has yet: what the profile says of calls newer than it */
#define FUTURE_SYSCALL 1000

static long
call (const char *name)
{
  if (strcmp (name, "future") == 0)
    return syscall (FUTURE_SYSCALL, 0, 0, 0);
  if (strcmp (name, "unshare-user") == 0)
    return syscall (SYS_unshare, CLONE_NEWUSER);
  if (strcmp (name, "clone-newns") == 0 || strcmp (name, "clone-plain") == 0)
    {
      long flags = SIGCHLD | (name[6] == 'n' ? CLONE_NEWNS : 0);
      long pid = syscall (SYS_clone, flags, 0, 0, 0, 0);
      if (pid == 0)
        _exit (0);
      if (pid > 0)
        waitpid (pid, NULL, 0);
      return pid < 0 ? -1 : 0;
    }
  if (strcmp (name, "clone3") == 0)
    {
      /* an invalid size: EINVAL if the call is made at all */
      long r = syscall (SYS_clone3, NULL, 0);
      return r < 0 && errno == EINVAL ? 0 : r;
    }
  if (strcmp (name, "personality-linux32") == 0)
    {
      long r = syscall (SYS_personality, (unsigned long) PER_LINUX32);
      if (r >= 0)
        syscall (SYS_personality, (unsigned long) PER_LINUX);
      return r;
    }
  if (strcmp (name, "personality-bsd") == 0)
    return syscall (SYS_personality, (unsigned long) PER_BSD);
  if (strcmp (name, "socket-unix") == 0)
    return syscall (SYS_socket, AF_UNIX, SOCK_STREAM, 0);
  if (strcmp (name, "socket-vsock") == 0)
    return syscall (SYS_socket, 40 /* AF_VSOCK */, SOCK_STREAM, 0);
  if (strcmp (name, "mount") == 0)
    return syscall (SYS_mount, "none", "/tmp", "tmpfs", 0, NULL);
  if (strcmp (name, "ptrace") == 0)
    return syscall (SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0);
  if (strcmp (name, "keyctl") == 0)
    return syscall (SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0);
  errno = ENOENT;
  return -2;
}

int
main (int argc, char **argv)
{
  for (int i = 1; i < argc; i++)
    {
      errno = 0;
      long r = call (argv[i]);
      if (r == -2 && errno == ENOENT)
        printf ("%s unknown-to-probe\n", argv[i]);
      else if (r < 0)
        printf ("%s errno=%d\n", argv[i], errno);
      else
        printf ("%s ok\n", argv[i]);
    }
  return 0;
}
