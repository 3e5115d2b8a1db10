/* probe: what a container's process sees, printed for the differential
   corpus (tests/compat/run.sh).

   Built by the corpus with `gcc -static -O2` and copied into the rootfs of
   every case; runc and moat run the same config with process.args
   ["/probe", OUT, "hold"], and the two reports are compared line by line.

     probe [OUT [hold]]  write the report to OUT (default: stdout); with
                         hold, then create OUT.done and wait (up to 60 s)
                         for OUT.go: the runner reads the container's
                         cgroups from the host meanwhile (a runtime may
                         not mount them all in the container)
     probe sleep         sleep for ever (a pod's infra container; also
                         when called as "pause")

   One fact per line, "key value"; where the order is arbitrary (the
   environment, groups, mounts, /dev, interfaces) the lines are sorted.
   Nothing here is normalised against the host: namespace inodes, the
   cgroup path and host paths of bind mounts are printed as they are and
   the runner rewrites them (it knows the host's inodes, the container's
   cgroup and the bundle's paths); mount ids and device numbers of
   filesystems, which differ from one run to the next, are dropped here.  */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/sched.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* ---- collected lines, sorted per section -------------------------------- */

static char **lines;
static size_t n_lines, cap_lines;

static void
add (const char *fmt, ...)
{
  char *s;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&s, fmt, ap) < 0)
    s = strdup ("probe-error out of memory");
  va_end (ap);
  /* one fact per line: a newline inside a value would make two */
  for (char *p = s; *p; p++)
    if (*p == '\n' || *p == '\r')
      *p = ' ';
  if (n_lines == cap_lines)
    {
      cap_lines = cap_lines ? cap_lines * 2 : 256;
      lines = realloc (lines, cap_lines * sizeof *lines);
      if (!lines)
        exit (3);
    }
  lines[n_lines++] = s;
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static FILE *out;

/* print and forget the lines collected so far, sorted or not */
static void
flush_lines (int sorted)
{
  if (sorted)
    qsort (lines, n_lines, sizeof *lines, cmp_str);
  for (size_t i = 0; i < n_lines; i++)
    {
      fprintf (out, "%s\n", lines[i]);
      free (lines[i]);
    }
  n_lines = 0;
}

static const char *
err_name (int e)
{
  const char *n = strerrorname_np (e);
  return n ? n : "E?";
}

static char *
read_file (const char *path)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  size_t len = 0, size = 4096;
  char *buf = malloc (size + 1);
  for (;;)
    {
      if (len == size)
        {
          size *= 2;
          buf = realloc (buf, size + 1);
        }
      ssize_t n = read (fd, buf + len, size - len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      len += n;
    }
  close (fd);
  buf[len] = 0;
  return buf;
}

/* a file's content on one line (trailing newline dropped, inner ones as
   " | "), or "absent"/the errno */
static void
add_file (const char *key, const char *path)
{
  char *s = read_file (path);
  if (!s)
    {
      add ("%s %s", key, errno == ENOENT ? "absent" : err_name (errno));
      return;
    }
  size_t n = strlen (s);
  while (n && s[n - 1] == '\n')
    s[--n] = 0;
  char *o = malloc (3 * n + 1), *q = o;
  for (char *p = s; *p; p++)
    {
      if (*p == '\n')
        {
          memcpy (q, " | ", 3);
          q += 3;
        }
      else
        *q++ = *p == '\t' ? ' ' : *p;
    }
  *q = 0;
  /* squeeze runs of blanks (uid_map pads its columns) */
  char *w = o;
  for (char *p = o; *p; p++)
    if (!(*p == ' ' && (w == o || w[-1] == ' ')))
      *w++ = *p;
  *w = 0;
  add ("%s %s", key, o);
  free (o);
  free (s);
}

/* ---- identity ------------------------------------------------------------ */

static int
cmp_gid (const void *a, const void *b)
{
  gid_t x = *(const gid_t *) a, y = *(const gid_t *) b;
  return x < y ? -1 : x > y;
}

static void
identity (void)
{
  uid_t r, e, s;
  gid_t gr, ge, gs;
  getresuid (&r, &e, &s);
  getresgid (&gr, &ge, &gs);
  fprintf (out, "id.uid %u %u %u\n", r, e, s);
  fprintf (out, "id.gid %u %u %u\n", gr, ge, gs);
  int n = getgroups (0, NULL);
  gid_t *g = calloc (n > 0 ? n : 1, sizeof *g);
  n = getgroups (n, g);
  qsort (g, n > 0 ? n : 0, sizeof *g, cmp_gid);
  fprintf (out, "id.groups");
  for (int i = 0; i < n; i++)
    fprintf (out, " %u", g[i]);
  fprintf (out, "%s\n", n > 0 ? "" : " -");
  free (g);
  fprintf (out, "proc.pid %s\n", getpid () == 1 ? "1" : "not-1");
  fprintf (out, "proc.ppid %s\n", getppid () == 0 ? "0" : "not-0");
}

/* ---- /proc/self/status: capabilities, no_new_privs, seccomp, umask ------ */

static const char *const cap_names[] = {
  "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
  "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
  "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
  "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
  "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
  "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
  "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
  "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
  "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
  "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
  "CAP_CHECKPOINT_RESTORE",
};

static void
status (void)
{
  static const struct { const char *field, *set; } caps[] = {
    { "CapInh:", "inheritable" }, { "CapPrm:", "permitted" },
    { "CapEff:", "effective" },   { "CapBnd:", "bounding" },
    { "CapAmb:", "ambient" },
  };
  static const char *const plain[] = {
    "NoNewPrivs:", "Seccomp:", "Seccomp_filters:", "Umask:",
  };
  char *st = read_file ("/proc/self/status");
  if (!st)
    {
      fprintf (out, "status %s\n", err_name (errno));
      return;
    }
  for (size_t c = 0; c < sizeof caps / sizeof *caps; c++)
    {
      char *l = strstr (st, caps[c].field);
      if (!l)
        {
          fprintf (out, "cap.%s absent\n", caps[c].set);
          continue;
        }
      unsigned long long v = strtoull (l + strlen (caps[c].field), NULL, 16);
      if (!v)
        fprintf (out, "cap.%s -\n", caps[c].set);
      for (unsigned b = 0; b < 64; b++)
        if (v & (1ULL << b))
          {
            if (b < sizeof cap_names / sizeof *cap_names)
              add ("cap.%s %s", caps[c].set, cap_names[b]);
            else
              add ("cap.%s CAP_%u", caps[c].set, b);
          }
      flush_lines (1);
    }
  for (size_t i = 0; i < sizeof plain / sizeof *plain; i++)
    {
      char *l = strstr (st, plain[i]);
      char key[64];
      snprintf (key, sizeof key, "%.*s", (int) strlen (plain[i]) - 1, plain[i]);
      if (!l)
        {
          fprintf (out, "status.%s absent\n", key);
          continue;
        }
      l += strlen (plain[i]);
      l += strspn (l, " \t");
      fprintf (out, "status.%s %.*s\n", key, (int) strcspn (l, "\n"), l);
    }
  free (st);
  char *oom = read_file ("/proc/self/oom_score_adj");
  fprintf (out, "proc.oom_score_adj %.*s\n", oom ? (int) strcspn (oom, "\n") : 6,
           oom ? oom : "absent");
  free (oom);
  fprintf (out, "proc.sched_policy %d\n", sched_getscheduler (0));
  errno = 0;
  int nice = getpriority (PRIO_PROCESS, 0);
  fprintf (out, "proc.nice %d\n", errno ? -999 : nice);
  fprintf (out, "proc.personality 0x%lx\n",
           (unsigned long) syscall (SYS_personality, 0xffffffffUL));
}

/* ---- the process ---------------------------------------------------------- */

static void
process (void)
{
  char cwd[PATH_MAX];
  fprintf (out, "cwd %s\n", getcwd (cwd, sizeof cwd) ? cwd : err_name (errno));
  for (char **e = environ; e && *e; e++)
    add ("env %s", *e);
  flush_lines (1);

  static const struct { int r; const char *name; } rl[] = {
    { RLIMIT_AS, "AS" }, { RLIMIT_CORE, "CORE" }, { RLIMIT_CPU, "CPU" },
    { RLIMIT_DATA, "DATA" }, { RLIMIT_FSIZE, "FSIZE" },
    { RLIMIT_LOCKS, "LOCKS" }, { RLIMIT_MEMLOCK, "MEMLOCK" },
    { RLIMIT_MSGQUEUE, "MSGQUEUE" }, { RLIMIT_NICE, "NICE" },
    { RLIMIT_NOFILE, "NOFILE" }, { RLIMIT_NPROC, "NPROC" },
    { RLIMIT_RSS, "RSS" }, { RLIMIT_RTPRIO, "RTPRIO" },
    { RLIMIT_RTTIME, "RTTIME" }, { RLIMIT_SIGPENDING, "SIGPENDING" },
    { RLIMIT_STACK, "STACK" },
  };
  for (size_t i = 0; i < sizeof rl / sizeof *rl; i++)
    {
      struct rlimit l;
      char s[32], h[32];
      if (getrlimit (rl[i].r, &l) < 0)
        {
          fprintf (out, "rlimit.%s %s\n", rl[i].name, err_name (errno));
          continue;
        }
      if (l.rlim_cur == RLIM_INFINITY)
        strcpy (s, "unlimited");
      else
        snprintf (s, sizeof s, "%llu", (unsigned long long) l.rlim_cur);
      if (l.rlim_max == RLIM_INFINITY)
        strcpy (h, "unlimited");
      else
        snprintf (h, sizeof h, "%llu", (unsigned long long) l.rlim_max);
      fprintf (out, "rlimit.%s %s %s\n", rl[i].name, s, h);
    }

  /* stdio: what it is, who owns it, whether the process can reopen it
     (/dev/stdout) as its user */
  for (int fd = 0; fd < 3; fd++)
    {
      struct stat st;
      if (fstat (fd, &st) < 0)
        {
          fprintf (out, "stdio.%d %s\n", fd, err_name (errno));
          continue;
        }
      const char *type = S_ISCHR (st.st_mode) ? (isatty (fd) ? "tty" : "chr")
                         : S_ISFIFO (st.st_mode) ? "fifo"
                         : S_ISREG (st.st_mode)  ? "file"
                         : S_ISSOCK (st.st_mode) ? "socket"
                                                 : "other";
      char path[64];
      snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
      int r = open (path, (fd == 0 ? O_RDONLY : O_WRONLY) | O_CLOEXEC | O_NOCTTY);
      int e = errno;
      if (r >= 0)
        close (r);
      if (S_ISCHR (st.st_mode) && !isatty (fd))
        fprintf (out, "stdio.%d %s %u:%u owner=%u:%u reopen=%s\n", fd, type,
                 major (st.st_rdev), minor (st.st_rdev), st.st_uid, st.st_gid,
                 r >= 0 ? "ok" : err_name (e));
      else
        fprintf (out, "stdio.%d %s owner=%u:%u reopen=%s\n", fd, type, st.st_uid,
                 st.st_gid, r >= 0 ? "ok" : err_name (e));
    }
  int tty = open ("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
  fprintf (out, "stdio.ctty %s\n", tty >= 0 ? "yes" : err_name (errno));
  if (tty >= 0)
    close (tty);
  fprintf (out, "proc.session_leader %s\n", getsid (0) == getpid () ? "yes" : "no");
  fprintf (out, "proc.pgrp_leader %s\n", getpgrp () == getpid () ? "yes" : "no");
}

/* ---- uts, namespaces, sysctls ---------------------------------------------- */

static void
namespaces (void)
{
  struct utsname u;
  if (uname (&u) == 0)
    {
      fprintf (out, "uts.hostname %s\n", u.nodename);
      fprintf (out, "uts.domainname %s\n", u.domainname);
    }
  static const char *const ns[] = {
    "cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "time",
    "time_for_children", "user", "uts",
  };
  for (size_t i = 0; i < sizeof ns / sizeof *ns; i++)
    {
      char path[64];
      struct stat st;
      snprintf (path, sizeof path, "/proc/self/ns/%s", ns[i]);
      if (stat (path, &st) < 0)
        fprintf (out, "ns.%s %s\n", ns[i], err_name (errno));
      else
        fprintf (out, "ns.%s %lu\n", ns[i], (unsigned long) st.st_ino);
    }
  add_file ("userns.uid_map", "/proc/self/uid_map");
  add_file ("userns.gid_map", "/proc/self/gid_map");
  add_file ("userns.setgroups", "/proc/self/setgroups");
  add_file ("timens.offsets", "/proc/self/timens_offsets");
  static const char *const sysctls[] = {
    "kernel/domainname", "kernel/hostname", "kernel/shmmax", "kernel/msgmax",
    "net/ipv4/ping_group_range", "net/ipv4/ip_unprivileged_port_start",
    "net/ipv4/ip_forward", "net/core/somaxconn",
  };
  for (size_t i = 0; i < sizeof sysctls / sizeof *sysctls; i++)
    {
      char path[128], key[128];
      snprintf (path, sizeof path, "/proc/sys/%s", sysctls[i]);
      snprintf (key, sizeof key, "sysctl.%s", sysctls[i]);
      for (char *p = key; *p; p++)
        if (*p == '/')
          *p = '.';
      add_file (key, path);
    }
  flush_lines (0);
}

/* ---- mounts ------------------------------------------------------------------ */

static int
cmp_opt (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* comma-separated options, sorted */
static char *
sort_opts (const char *s)
{
  char *dup = strdup (s), *save = NULL, *tok;
  char *v[128];
  int n = 0;
  for (tok = strtok_r (dup, ",", &save); tok && n < 128; tok = strtok_r (NULL, ",", &save))
    v[n++] = tok;
  qsort (v, n, sizeof *v, cmp_opt);
  size_t len = 1;
  for (int i = 0; i < n; i++)
    len += strlen (v[i]) + 1;
  char *o = calloc (1, len), *q = o;
  for (int i = 0; i < n; i++)
    q += sprintf (q, "%s%s", i ? "," : "", v[i]);
  free (dup);
  return o;
}

static void
mounts (void)
{
  FILE *f = fopen ("/proc/self/mountinfo", "re");
  if (!f)
    {
      fprintf (out, "mount %s\n", err_name (errno));
      return;
    }
  char *line = NULL;
  size_t sz = 0;
  while (getline (&line, &sz, f) > 0)
    {
      line[strcspn (line, "\n")] = 0;
      /* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPER */
      char *fld[64];
      int n = 0;
      char *save = NULL;
      for (char *t = strtok_r (line, " ", &save); t && n < 64; t = strtok_r (NULL, " ", &save))
        fld[n++] = t;
      int dash = -1;
      for (int i = 6; i < n; i++)
        if (strcmp (fld[i], "-") == 0)
          {
            dash = i;
            break;
          }
      if (n < 6 || dash < 0 || dash + 3 > n)
        {
          add ("mount unparsed");
          continue;
        }
      /* propagation: shared:N master:N propagate_from:N unbindable, ids dropped */
      char prop[128] = "";
      for (int i = 6; i < dash; i++)
        {
          char w[64];
          snprintf (w, sizeof w, "%.*s", (int) strcspn (fld[i], ":"), fld[i]);
          snprintf (prop + strlen (prop), sizeof prop - strlen (prop), "%s%s",
                    *prop ? "," : "", w);
        }
      char *opts = sort_opts (fld[5]);
      char *super = sort_opts (dash + 3 < n ? fld[dash + 3] : "");
      add ("mount %s %s root=%s src=%s opts=%s super=%s prop=%s", fld[4], fld[dash + 1],
           fld[3], fld[dash + 2], opts, super, *prop ? prop : "private");
      free (opts);
      free (super);
    }
  free (line);
  fclose (f);
  flush_lines (1);
}

/* ---- /dev ----------------------------------------------------------------------- */

static void
dev_walk (const char *dir, int depth)
{
  DIR *d = opendir (dir);
  if (!d)
    {
      add ("dev %s %s", dir, err_name (errno));
      return;
    }
  struct dirent *e;
  while ((e = readdir (d)))
    {
      if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
        continue;
      char path[PATH_MAX];
      snprintf (path, sizeof path, "%s/%s", dir, e->d_name);
      struct stat st;
      if (lstat (path, &st) < 0)
        {
          add ("dev %s %s", path, err_name (errno));
          continue;
        }
      char mode[8];
      snprintf (mode, sizeof mode, "%04o", st.st_mode & 07777);
      if (S_ISLNK (st.st_mode))
        {
          char t[PATH_MAX];
          ssize_t n = readlink (path, t, sizeof t - 1);
          t[n > 0 ? n : 0] = 0;
          add ("dev %s lnk -> %s", path, t);
        }
      else if (S_ISCHR (st.st_mode) || S_ISBLK (st.st_mode))
        add ("dev %s %s %u:%u %s %u:%u", path, S_ISCHR (st.st_mode) ? "chr" : "blk",
             major (st.st_rdev), minor (st.st_rdev), mode, st.st_uid, st.st_gid);
      else if (S_ISDIR (st.st_mode))
        {
          add ("dev %s dir %s %u:%u", path, mode, st.st_uid, st.st_gid);
          if (depth < 3)
            dev_walk (path, depth + 1);
        }
      else
        add ("dev %s %s %s %u:%u", path,
             S_ISREG (st.st_mode) ? "file" : S_ISFIFO (st.st_mode) ? "fifo"
             : S_ISSOCK (st.st_mode) ? "socket" : "other",
             mode, st.st_uid, st.st_gid);
    }
  closedir (d);
}

static void
devices (void)
{
  struct stat st;
  if (lstat ("/dev", &st) == 0)
    fprintf (out, "dev /dev dir %04o %u:%u\n", st.st_mode & 07777, st.st_uid, st.st_gid);
  dev_walk ("/dev", 1);
  flush_lines (1);
}

/* ---- network ---------------------------------------------------------------------- */

static void
network (void)
{
  int s = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct if_nameindex *ifs = if_nameindex ();
  if (!ifs)
    add ("net.if %s", err_name (errno));
  for (struct if_nameindex *i = ifs; i && i->if_index; i++)
    {
      struct ifreq r;
      memset (&r, 0, sizeof r);
      snprintf (r.ifr_name, sizeof r.ifr_name, "%s", i->if_name);
      if (s < 0 || ioctl (s, SIOCGIFFLAGS, &r) < 0)
        add ("net.if %s %s", i->if_name, err_name (errno));
      else
        add ("net.if %s %s", i->if_name, (r.ifr_flags & IFF_UP) ? "up" : "down");
    }
  if (ifs)
    if_freenameindex (ifs);
  if (s >= 0)
    close (s);
  flush_lines (1);
}

/* ---- cgroup --------------------------------------------------------------------------- */

static void
cgroup (void)
{
  FILE *f = fopen ("/proc/self/cgroup", "re");
  char *line = NULL;
  size_t sz = 0;
  while (f && getline (&line, &sz, f) > 0)
    {
      line[strcspn (line, "\n")] = 0;
      add ("cgroup %s", line);
    }
  if (f)
    fclose (f);
  free (line);
  flush_lines (1);
  /* what the container sees of its cgroup where it is mounted */
  static const char *const files[] = {
    "cgroup.controllers", "cgroup.subtree_control", "cgroup.type", "memory.max",
    "memory.swap.max", "pids.max", "cpu.max", "cpu.weight", "io.weight",
  };
  for (size_t i = 0; i < sizeof files / sizeof *files; i++)
    {
      char path[128], key[128];
      snprintf (path, sizeof path, "/sys/fs/cgroup/%s", files[i]);
      snprintf (key, sizeof key, "cgroupfs.%s", files[i]);
      add_file (key, path);
    }
  flush_lines (0);
  fprintf (out, "cgroupfs.writable %s\n",
           access ("/sys/fs/cgroup/cgroup.procs", W_OK) == 0 ? "yes" : err_name (errno));
}

/* ---- the device filter, by behaviour: a node made for each of a few
   devices (mknod needs the filter's "m"), then opened for reading (its
   "r"); EPERM is the filter (or a missing capability), ENXIO/ENODEV a
   device the filter let through that this kernel does not drive.  The
   listing of /dev shows what the runtime made; this shows what the
   process may use, whichever mechanism (v1 devices cgroup, eBPF) holds
   it. -------------------------------------------------------------------------------- */

static void
device_access (void)
{
  static const struct { mode_t type; unsigned maj, min; } devs[] = {
    { S_IFCHR, 1, 3 },    /* null: allowed by every default */
    { S_IFCHR, 1, 1 },    /* mem */
    { S_IFCHR, 1, 7 },    /* full */
    { S_IFCHR, 4, 1 },    /* tty1 */
    { S_IFCHR, 5, 1 },    /* console */
    { S_IFCHR, 10, 200 }, /* net/tun: runc's default rules allow it */
    { S_IFCHR, 10, 229 }, /* fuse */
    { S_IFCHR, 136, 0 },  /* a pts */
    { S_IFBLK, 7, 0 },    /* loop0 */
    { S_IFBLK, 254, 0 },  /* a virtio disk */
  };
  static const char *const dirs[] = { "/dev", "/tmp", "/" };
  for (size_t i = 0; i < sizeof devs / sizeof *devs; i++)
    {
      char path[64], mk[32] = "", op[32] = "-";
      int made = 0;
      for (size_t d = 0; d < sizeof dirs / sizeof *dirs && !made; d++)
        {
          snprintf (path, sizeof path, "%s/.probe-dev", strcmp (dirs[d], "/") ? dirs[d] : "");
          unlink (path);
          if (mknod (path, devs[i].type | 0600, makedev (devs[i].maj, devs[i].min)) == 0)
            made = 1;
          else if (errno != EROFS && errno != EACCES)
            break;  /* the filter or a capability: no use trying elsewhere */
        }
      snprintf (mk, sizeof mk, "%s", made ? "ok" : err_name (errno));
      if (made)
        {
          int fd = open (path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
          snprintf (op, sizeof op, "%s", fd >= 0 ? "ok" : err_name (errno));
          if (fd >= 0)
            close (fd);
          unlink (path);
        }
      fprintf (out, "devaccess %s %u:%u mknod=%s open=%s\n",
               S_ISCHR (devs[i].type) ? "c" : "b", devs[i].maj, devs[i].min, mk, op);
    }
}

/* ---- seccomp, by behaviour: harmless calls whose error says whether a
   filter (or a missing capability) refused them ---------------------------------------- */

static const char *
try_call (long r)
{
  static char buf[32];
  if (r >= 0)
    return "ok";
  snprintf (buf, sizeof buf, "%s", err_name (errno));
  return buf;
}

static void
syscalls (void)
{
#define TRY(name, ...) fprintf (out, "syscall.%s %s\n", name, try_call (syscall (__VA_ARGS__)))
  TRY ("keyctl", SYS_keyctl, -1L, 0L, 0L, 0L, 0L);
  TRY ("add_key", SYS_add_key, NULL, NULL, NULL, 0L, 0L);
  TRY ("bpf", SYS_bpf, -1L, NULL, 0L);
  TRY ("perf_event_open", SYS_perf_event_open, NULL, 0L, -1L, -1L, 0L);
  TRY ("userfaultfd", SYS_userfaultfd, ~0L);
  TRY ("io_uring_setup", SYS_io_uring_setup, 0L, NULL);
  TRY ("clone3", SYS_clone3, NULL, 0L);
  TRY ("setns", SYS_setns, -1L, 0L);
  TRY ("mount", SYS_mount, NULL, NULL, NULL, 0L, NULL);
  TRY ("umount2", SYS_umount2, NULL, ~0L);
  TRY ("pivot_root", SYS_pivot_root, NULL, NULL);
  TRY ("chroot", SYS_chroot, "");
  TRY ("swapon", SYS_swapon, NULL, 0L);
  TRY ("init_module", SYS_init_module, NULL, 0L, NULL);
  TRY ("delete_module", SYS_delete_module, NULL, 0L);
  TRY ("kexec_load", SYS_kexec_load, 0L, 0L, NULL, ~0L);
  TRY ("reboot", SYS_reboot, 0L, 0L, 0L, NULL);
  TRY ("iopl", SYS_iopl, 4L);
  TRY ("open_by_handle_at", SYS_open_by_handle_at, -1L, NULL, 0L);
  TRY ("fanotify_init", SYS_fanotify_init, ~0L, 0L);
  TRY ("syslog", SYS_syslog, 10L, NULL, 0L);
  TRY ("ptrace", SYS_ptrace, 3L /* PTRACE_PEEKUSER */, 0L, NULL, NULL);
  TRY ("unshare_invalid", SYS_unshare, 0x1L);
  TRY ("get_mempolicy", SYS_get_mempolicy, NULL, NULL, 0L, NULL, 0L);
#undef TRY
  /* namespaces the process may make: in a child, which then exits */
  static const struct { int flags; const char *name; } uns[] = {
    { CLONE_NEWUSER, "user" }, { CLONE_NEWNS, "mnt" }, { CLONE_NEWNET, "net" },
  };
  for (size_t i = 0; i < sizeof uns / sizeof *uns; i++)
    {
      fflush (out);
      pid_t pid = fork ();
      if (pid == 0)
        _exit (unshare (uns[i].flags) == 0 ? 0 : errno & 0xff);
      int st = 0;
      if (pid < 0 || waitpid (pid, &st, 0) < 0)
        fprintf (out, "syscall.unshare_%s fork-%s\n", uns[i].name, err_name (errno));
      else if (WIFEXITED (st))
        fprintf (out, "syscall.unshare_%s %s\n", uns[i].name,
                 WEXITSTATUS (st) ? err_name (WEXITSTATUS (st)) : "ok");
      else
        fprintf (out, "syscall.unshare_%s signal-%d\n", uns[i].name, WTERMSIG (st));
    }
}

int
main (int argc, char **argv)
{
  const char *base = strrchr (argv[0], '/');
  base = base ? base + 1 : argv[0];
  if ((argc > 1 && strcmp (argv[1], "sleep") == 0) || strcmp (base, "pause") == 0)
    {
      for (;;)
        pause ();
    }
  out = stdout;
  int hold = argc > 2 && strcmp (argv[2], "hold") == 0;
  if (argc > 1)
    {
      out = fopen (argv[1], "we");
      if (!out)
        {
          fprintf (stderr, "probe: %s: %s\n", argv[1], strerror (errno));
          return 2;
        }
    }
  fprintf (out, "probe 1\n");
  identity ();
  status ();
  process ();
  namespaces ();
  mounts ();
  devices ();
  network ();
  cgroup ();
  device_access ();
  syscalls ();
  fprintf (out, "probe end\n");
  if (fclose (out) != 0)
    return 2;
  if (hold)
    {
      char done[PATH_MAX], go[PATH_MAX];
      snprintf (done, sizeof done, "%s.done", argv[1]);
      snprintf (go, sizeof go, "%s.go", argv[1]);
      int fd = open (done, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (fd < 0)
        return 2;
      close (fd);
      for (int i = 0; i < 6000 && access (go, F_OK) < 0; i++)
        usleep (10000);
    }
  return 0;
}
