/* The plan (libmoat/plan/plan.c): moat_plan_build on bundles made in a
   temporary directory, unprivileged.  A valid config gives the expected
   clone flags and sysctl paths and changes nothing on the host; each
   mistake is refused with a message that names it and the right kind.  */
#include <config.h>
#include "tap.h"
#include "libmoat/moat.h"
#include "libmoat/plan/plan.h"
#include "libmoat/linux/linux.h"
#include "libmoat/utils.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
# define CLONE_NEWTIME 0x00000080
#endif

static char top[64];  /* /tmp/moat-plan-XXXXXX */
static int n_bundles;

#define PROCESS "\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"}"
#define PROCESS_CAPS(caps) "\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", " \
  "\"capabilities\": " caps "}"
#define NS(...) "\"namespaces\": [{\"type\": \"mount\"}" __VA_ARGS__ "]"
#define USERNS_MAPS ", \"uidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 1000}]," \
  " \"gidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 1000}]"

/* config.json text: the process member, the linux members and any other
   top-level members (each list ends without a comma).  */
static char *
config (const char *process, const char *linux_, const char *extra)
{
  return xasprintf ("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, %s, "
                    "\"linux\": {%s}%s%s}", process, linux_, extra ? ", " : "",
                    extra ? extra : "");
}

static int
count_fds (void)
{
  DIR *d = opendir ("/proc/self/fd");
  int n = 0;
  struct dirent *e;
  while ((e = readdir (d)))
    if (e->d_name[0] != '.')
      n++;
  closedir (d);
  return n - 1;
}

/* A bundle under top: config.json with `json` and (when rootfs) an empty
   rootfs directory.  */
static char *
bundle (const char *json, bool rootfs)
{
  char *b = xasprintf ("%s/b%d", top, n_bundles++);
  if (mkdir (b, 0755) < 0)
    abort ();
  char *cfg = xasprintf ("%s/config.json", b);
  FILE *f = fopen (cfg, "w");
  if (f == NULL)
    abort ();
  fputs (json, f);
  fclose (f);
  free (cfg);
  if (rootfs)
    {
      char *r = xasprintf ("%s/rootfs", b);
      mkdir (r, 0755);
      free (r);
    }
  return b;
}

/* A listing of a tree (path, mode, size), to see that it did not change.  */
static void
listing (const char *dir, char **out)
{
  DIR *d = opendir (dir);
  if (d == NULL)
    return;
  struct dirent *e;
  while ((e = readdir (d)))
    {
      if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
        continue;
      char *p = xasprintf ("%s/%s", dir, e->d_name);
      struct stat st;
      lstat (p, &st);
      char *n = xasprintf ("%s%s:%o:%lld\n", *out ? *out : "", p, st.st_mode,
                           (long long) st.st_size);
      free (*out);
      *out = n;
      if (S_ISDIR (st.st_mode))
        listing (p, out);
      free (p);
    }
  closedir (d);
}

struct result
{
  struct moat_plan *plan;
  char *msg;
  enum moat_error_kind kind;
};

static struct result
plan_opts (const struct moat_create_options *o, bool foreground)
{
  struct result r = { NULL, NULL, MOAT_ERR_FAILED };
  moat_error *err = NULL;
  int ret = moat_plan_build (o, NULL, foreground, &r.plan, &err);
  if (ret < 0)
    {
      r.msg = xstrdup (err ? err->msg : "(no message)");
      r.kind = moat_error_kind (err);
      r.plan = NULL;
    }
  else if (err)
    r.msg = xstrdup ("(error set on success)");
  moat_error_free (&err);
  return r;
}

static struct result
plan (const char *bundle_dir)
{
  struct moat_create_options o = { .id = "unit-test", .bundle = bundle_dir };
  return plan_opts (&o, false);
}

static void
result_free (struct result *r)
{
  moat_plan_free (r->plan);
  free (r->msg);
}

/* A config that must be refused with `want` in the message and `kind`.  */
static void
refused (const char *json, const char *want, enum moat_error_kind kind, const char *what)
{
  char *b = bundle (json, true);
  char *w = strstr (want, "%B") ? NULL : xstrdup (want);
  if (w == NULL)
    {
      /* %B stands for the bundle's path */
      const char *at = strstr (want, "%B");
      w = xasprintf ("%.*s%s%s", (int) (at - want), want, b, at + 2);
    }
  int fds = count_fds ();
  struct result r = plan (b);
  ok (r.plan == NULL && contains (r.msg, w) && r.kind == kind,
      "%s: `%s`, %s (got: %s, %s)", what, w, moat_error_kind_name (kind),
      r.msg ? r.msg : "planned", moat_error_kind_name (r.kind));
  ok (count_fds () == fds, "%s: no fd left open", what);
  result_free (&r);
  free (w);
  free (b);
}

static void
test_valid (void)
{
  char *before = NULL, *after = NULL;
  char *json = config (PROCESS_CAPS ("{\"bounding\": [\"CAP_KILL\", \"CAP_CHOWN\"],"
                                     " \"permitted\": [\"CAP_KILL\"], \"effective\": [\"CAP_KILL\"]}"),
                       NS (", {\"type\": \"pid\"}, {\"type\": \"network\"}, {\"type\": \"ipc\"},"
                           " {\"type\": \"uts\"}, {\"type\": \"cgroup\"}")
                       ", \"sysctl\": {\"net.ipv4.ip_forward\": \"1\", \"kernel.shmmax\": \"65536\","
                       " \"fs.mqueue.msg_max\": \"10\", \"kernel.domainname\": \"x\"}",
                       "\"hostname\": \"c\", \"mounts\": [{\"destination\": \"/proc\", \"type\": \"proc\","
                       " \"source\": \"proc\"}, {\"destination\": \"/tmp\", \"type\": \"tmpfs\","
                       " \"options\": [\"nosuid\", \"mode=1777\"]}]");
  char *b = bundle (json, true);
  free (json);
  listing (top, &before);
  int fds = count_fds ();
  char cwd_before[4096];
  if (getcwd (cwd_before, sizeof cwd_before) == NULL)
    abort ();
  struct result r = plan (b);
  ok (r.plan != NULL, "a minimal valid config is planned (%s)", r.msg ? r.msg : "ok");
  if (r.plan)
    {
      struct moat_plan *p = r.plan;
      char *rootfs = xasprintf ("%s/rootfs", b);
      ok (strcmp (p->id, "unit-test") == 0 && strcmp (p->bundle, b) == 0
          && strcmp (p->rootfs, rootfs) == 0, "id, absolute bundle and rootfs (%s)", p->rootfs);
      free (rootfs);
      ok (p->clone_flags == (unsigned long long) (CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET
                                                  | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP),
          "clone flags are the new namespaces (%#llx)", p->clone_flags);
      ok (!p->new_userns && !p->in_userns && !p->pid_joined,
          "no user namespace, no pid namespace joined");
      bool none = true;
      for (int t = 0; t < MOAT_NS_COUNT; t++)
        none &= p->ns_fds[t] == -1;
      ok (none, "no namespace fds without paths");
      ok (p->sysctl_paths && p->sysctl_paths[0] && p->sysctl_paths[4] == NULL
          && strcmp (p->sysctl_paths[0], "/proc/sys/net/ipv4/ip_forward") == 0
          && strcmp (p->sysctl_paths[1], "/proc/sys/kernel/shmmax") == 0
          && strcmp (p->sysctl_paths[2], "/proc/sys/fs/mqueue/msg_max") == 0
          && strcmp (p->sysctl_paths[3], "/proc/sys/kernel/domainname") == 0,
          "sysctl keys become /proc/sys paths, in order");
      ok (p->mounts && p->mounts[0].fstype && strcmp (p->mounts[0].fstype, "proc") == 0
          && p->mounts[1].o.flags == MS_NOSUID && strcmp (p->mounts[1].o.data, "mode=1777") == 0,
          "the mounts are planned");
      ok (p->process.caps.bounding == ((1ULL << 5) | (1ULL << 0))
          && p->process.caps.effective == (1ULL << 5) && p->process.seccomp == NULL,
          "the process's capabilities are sets; no seccomp");
      ok (p->host.last_cap >= 36 && p->host.euid == geteuid (), "the host was probed");
      ok (!p->foreground && p->console_socket == NULL && !p->no_pivot, "options copied");
    }
  result_free (&r);
  listing (top, &after);
  char cwd_after[4096];
  ok (before && after && strcmp (before, after) == 0, "nothing changed in the temporary directory");
  ok (getcwd (cwd_after, sizeof cwd_after) && strcmp (cwd_before, cwd_after) == 0,
      "the working directory did not change");
  ok (count_fds () == fds, "no fd left open (%d, %d before)", count_fds (), fds);
  free (before);
  free (after);
  free (b);

  /* a relative bundle path and bundle NULL (the current directory) */
  json = config (PROCESS, NS (), NULL);
  b = bundle (json, true);
  free (json);
  char *old = get_current_dir_name ();
  if (chdir (top) < 0)
    abort ();
  struct moat_create_options o = { .id = "rel", .bundle = strrchr (b, '/') + 1 };
  r = plan_opts (&o, false);
  ok (r.plan && strcmp (r.plan->bundle, b) == 0, "a relative bundle path is made absolute (%s)",
      r.msg ? r.msg : r.plan->bundle);
  result_free (&r);
  if (chdir (b) < 0)
    abort ();
  o.bundle = NULL;
  r = plan_opts (&o, false);
  ok (r.plan && strcmp (r.plan->bundle, b) == 0, "no bundle: the current directory (%s)",
      r.msg ? r.msg : r.plan->bundle);
  result_free (&r);
  if (chdir (old) < 0)
    abort ();
  free (old);
  free (b);

  /* with a user namespace of its own */
  json = config (PROCESS_CAPS ("{\"bounding\": [\"CAP_SYS_PTRACE\"]}"),
                 NS (", {\"type\": \"user\"}, {\"type\": \"pid\"}") USERNS_MAPS, NULL);
  b = bundle (json, true);
  free (json);
  r = plan (b);
  ok (r.plan && (r.plan->clone_flags & CLONE_NEWUSER) && r.plan->new_userns && r.plan->in_userns,
      "a new user namespace (%s)", r.msg ? r.msg : "ok");
  ok (r.plan && !moat_caps_reach_runtime (&r.plan->process.caps, r.plan->in_userns),
      "CAP_SYS_PTRACE inside a user namespace of its own does not reach the runtime");
  result_free (&r);
  free (b);

  /* CAP_SYS_PTRACE without one */
  json = config (PROCESS_CAPS ("{\"bounding\": [\"CAP_SYS_PTRACE\"]}"), NS (), NULL);
  b = bundle (json, true);
  free (json);
  r = plan (b);
  ok (r.plan && moat_caps_reach_runtime (&r.plan->process.caps, r.plan->in_userns),
      "CAP_SYS_PTRACE without a user namespace reaches the runtime (%s)",
      r.msg ? r.msg : "ok");
  result_free (&r);
  free (b);

  /* a seccomp profile is compiled */
  json = config (PROCESS, NS () ", \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ERRNO\","
                 " \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\"}]}", NULL);
  b = bundle (json, true);
  free (json);
  r = plan (b);
  ok (r.plan && r.plan->process.seccomp && r.plan->process.seccomp->len > 0,
      "linux.seccomp is compiled into the plan (%s)", r.msg ? r.msg : "ok");
  result_free (&r);
  free (b);

  /* terminal in the foreground needs no console socket */
  json = config ("\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"terminal\": true}", NS (), NULL);
  b = bundle (json, true);
  free (json);
  o = (struct moat_create_options) { .id = "fg", .bundle = b };
  r = plan_opts (&o, true);
  ok (r.plan && r.plan->foreground, "a terminal in the foreground needs no --console-socket (%s)",
      r.msg ? r.msg : "ok");
  result_free (&r);
  o.console_socket = "/run/x.sock";
  r = plan_opts (&o, false);
  ok (r.plan && strcmp (r.plan->console_socket, "/run/x.sock") == 0,
      "a detached terminal with --console-socket (%s)", r.msg ? r.msg : "ok");
  result_free (&r);
  free (b);
}

static void
test_errors (void)
{
  char *j;
#define REFUSED(json, want, kind, what) \
  (j = (json), refused (j, want, kind, what), free (j))

  REFUSED (config (PROCESS, NS (), "\"mounts\": [{\"destination\": \"/t\", \"type\": \"tmpfs\","
                   " \"options\": [\"nosuid\", \"ro\", \"rw\"]}]"),
           "mounts[0] (tmpfs on `/t`): contradictory options `ro` and `rw`",
           MOAT_ERR_INVALID_CONFIG, "contradictory mount options");
  REFUSED (config (PROCESS, NS (), "\"mounts\": [{\"destination\": \"/d\", \"type\": \"bind\","
                   " \"source\": \"nope\"}]"),
           "mounts[0] (bind on `/d`): source `%B/nope`: No such file or directory",
           MOAT_ERR_INVALID_CONFIG, "a bind source that does not exist");
  REFUSED (config (PROCESS_CAPS ("{\"bounding\": [\"CAP_KILL\", \"CAP_BOGUS\"]}"), NS (), NULL),
           "process.capabilities.bounding: unknown capability \"CAP_BOGUS\"",
           MOAT_ERR_INVALID_CONFIG, "an unknown capability");
  REFUSED (config (PROCESS_CAPS ("{\"bounding\": [\"CAP_KILL\"], \"effective\": [\"CAP_KILL\"]}"),
                   NS (), NULL),
           "process.capabilities: CAP_KILL is in effective but not in permitted",
           MOAT_ERR_INVALID_CONFIG, "effective not permitted");
  REFUSED (config (PROCESS, NS (", {\"type\": \"uts\"}") ", \"sysctl\": {\"kernel.panic\": \"1\"}",
                   NULL),
           "linux.sysctl: `kernel.panic` is not namespaced: setting it would change the host",
           MOAT_ERR_INVALID_CONFIG, "a sysctl that is not namespaced");
  REFUSED (config (PROCESS, NS () ", \"sysctl\": {\"net.ipv4.ip_forward\": \"1\"}", NULL),
           "linux.sysctl: `net.ipv4.ip_forward` needs a network namespace of the container's own",
           MOAT_ERR_INVALID_CONFIG, "a net sysctl without a network namespace");
  REFUSED (config (PROCESS, NS (", {\"type\": \"network\", \"path\": \"/proc/self/ns/net\"}")
                   ", \"sysctl\": {\"net.ipv4.ip_forward\": \"1\"}", NULL),
           "linux.sysctl: `net.ipv4.ip_forward`: the net namespace `/proc/self/ns/net` is the host's",
           MOAT_ERR_INVALID_CONFIG, "a net sysctl in the host's network namespace joined by path");
  REFUSED (config (PROCESS, NS (", {\"type\": \"ipc\", \"path\": \"/proc/self/ns/ipc\"}")
                   ", \"sysctl\": {\"kernel.msgmax\": \"1\"}", NULL),
           "the ipc namespace `/proc/self/ns/ipc` is the host's",
           MOAT_ERR_INVALID_CONFIG, "an ipc sysctl in the host's ipc namespace joined by path");
  REFUSED (config (PROCESS, NS (", {\"type\": \"pid\", \"path\": \"/proc/self/ns/net\"}"), NULL),
           "linux.namespaces: `/proc/self/ns/net` is not a pid namespace",
           MOAT_ERR_INVALID_CONFIG, "a network namespace given as the pid namespace");
  REFUSED (config (PROCESS, NS (", {\"type\": \"network\", \"path\": \"/proc/self/status\"}"), NULL),
           "linux.namespaces: `/proc/self/status` is not a network namespace",
           MOAT_ERR_INVALID_CONFIG, "a file that is no namespace");
  REFUSED (config (PROCESS, NS (", {\"type\": \"network\", \"path\": \"/nonexistent/ns/net\"}"), NULL),
           "linux.namespaces: open network namespace `/nonexistent/ns/net`: No such file or directory",
           MOAT_ERR_INVALID_CONFIG, "a namespace path that does not exist");
  REFUSED (config (PROCESS, NS (", {\"type\": \"user\"}, {\"type\": \"pid\", \"path\": \"/proc/self/ns/pid\"}")
                   USERNS_MAPS, NULL),
           "joining the pid namespace `/proc/self/ns/pid` together with a new user namespace is not "
           "supported", MOAT_ERR_NOT_SUPPORTED, "a pid namespace joined with a new user namespace");
  REFUSED (config ("\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"user\": {\"uid\": 1000, \"gid\": 0}}",
                   NS (", {\"type\": \"user\"}")
                   ", \"uidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 1000}],"
                   " \"gidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}]", NULL),
           "process.user.uid: 1000 is not mapped in linux.uidMappings",
           MOAT_ERR_INVALID_CONFIG, "a uid not mapped in uidMappings");
  REFUSED (config ("\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"user\": {\"uid\": 0, \"gid\": 5000}}",
                   NS (", {\"type\": \"user\"}") USERNS_MAPS, NULL),
           "process.user.gid: 5000 is not mapped in linux.gidMappings",
           MOAT_ERR_INVALID_CONFIG, "a gid not mapped in gidMappings");
  REFUSED (config ("\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"user\": {\"uid\": 0, \"gid\": 0,"
                   " \"additionalGids\": [1, 999, 1000]}}", NS (", {\"type\": \"user\"}") USERNS_MAPS, NULL),
           "process.user.additionalGids[2]: 1000 is not mapped in linux.gidMappings",
           MOAT_ERR_INVALID_CONFIG, "an additional gid not mapped");
  REFUSED (config ("\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"terminal\": true}", NS (), NULL),
           "process.terminal: a detached container with a terminal needs --console-socket",
           MOAT_ERR_INVALID_CONFIG, "a detached terminal without --console-socket");
  REFUSED (config (PROCESS, NS () ", \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ERRNO\","
                   " \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\","
                   " \"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_GE\"},"
                   " {\"index\": 0, \"value\": 5, \"op\": \"SCMP_CMP_LE\"}]}]}", NULL),
           "linux.seccomp.syscalls[0]: two conditions on the same argument",
           MOAT_ERR_INVALID_CONFIG, "a seccomp rule that cannot be compiled as written");
  {
    /* the spec needs a process only for start: the init then waits with
       no capability and no_new_privs, at the root */
    char *np = xasprintf ("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, "
                          "\"linux\": {%s}}", NS ());
    char *nb = bundle (np, true);
    struct moat_create_options no = { .id = "np", .bundle = nb };
    struct result nr = plan_opts (&no, false);
    ok (nr.plan && !nr.plan->spec->has_process && nr.plan->spec->no_new_privileges
        && nr.plan->process.caps.bounding == 0,
        "a config without a process is planned: no capability, no_new_privs (%s)",
        nr.msg ? nr.msg : "ok");
    result_free (&nr);
    free (nb);
    free (np);
  }
  REFUSED (xstrdup ("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}"),
           "invalid JSON", MOAT_ERR_INVALID_CONFIG, "a config that is not JSON");

  /* a console socket without a terminal */
  char *json = config (PROCESS, NS (), NULL);
  char *b = bundle (json, true);
  struct moat_create_options o = { .id = "cs", .bundle = b, .console_socket = "/run/x.sock" };
  struct result r = plan_opts (&o, false);
  ok (r.plan == NULL && contains (r.msg, "--console-socket: process.terminal is false")
      && r.kind == MOAT_ERR_INVALID_CONFIG, "--console-socket without a terminal (%s)",
      r.msg ? r.msg : "planned");
  result_free (&r);

  /* a bad id */
  o = (struct moat_create_options) { .id = "../escape", .bundle = b };
  r = plan_opts (&o, false);
  ok (r.plan == NULL && contains (r.msg, "invalid container id") && r.kind == MOAT_ERR_INVALID_CONFIG,
      "an id that is a path (%s, %s)", r.msg ? r.msg : "planned", moat_error_kind_name (r.kind));
  result_free (&r);
  free (b);

  /* a missing rootfs, and a rootfs that is a file */
  b = bundle (json, false);
  char *want = xasprintf ("root.path `%s/rootfs`: No such file or directory", b);
  r = plan (b);
  ok (r.plan == NULL && contains (r.msg, want) && r.kind == MOAT_ERR_INVALID_CONFIG,
      "a missing rootfs: `%s` (got: %s, %s)", want, r.msg ? r.msg : "planned",
      moat_error_kind_name (r.kind));
  result_free (&r);
  free (want);
  char *rf = xasprintf ("%s/rootfs", b);
  close (open (rf, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
  want = xasprintf ("root.path `%s/rootfs`: Not a directory", b);
  r = plan (b);
  ok (r.plan == NULL && contains (r.msg, want) && r.kind == MOAT_ERR_INVALID_CONFIG,
      "a rootfs that is a file: `%s` (got: %s)", want, r.msg ? r.msg : "planned");
  result_free (&r);
  free (want);
  free (rf);
  free (b);

  /* a missing bundle, and a bundle without config.json */
  b = xasprintf ("%s/no-such-bundle", top);
  want = xasprintf ("bundle `%s`: No such file or directory", b);
  r = plan (b);
  ok (r.plan == NULL && contains (r.msg, want) && r.kind == MOAT_ERR_INVALID_CONFIG,
      "a missing bundle: `%s` (got: %s, %s)", want, r.msg ? r.msg : "planned",
      moat_error_kind_name (r.kind));
  result_free (&r);
  free (want);
  free (b);
  b = xasprintf ("%s/empty-bundle", top);
  mkdir (b, 0755);
  r = plan (b);
  ok (r.plan == NULL && contains (r.msg, "config.json") && r.kind == MOAT_ERR_INVALID_CONFIG,
      "a bundle without config.json (%s, %s)", r.msg ? r.msg : "planned",
      moat_error_kind_name (r.kind));
  result_free (&r);
  free (b);
  free (json);
#undef REFUSED
}

/* A bundle moat may not read is a permission problem, not a mistake in
   the config (error.h: EACCES is MOAT_ERR_PERMISSION).  */
static void
test_permission (void)
{
  if (geteuid () == 0)
    {
      printf ("ok %d # SKIP root reads every directory: no EACCES to provoke\n", ++tap_n);
      return;
    }
  char *locked = xasprintf ("%s/locked", top);
  mkdir (locked, 0000);
  char *b = xasprintf ("%s/bundle", locked);
  struct result r = plan (b);
  ok (r.plan == NULL && r.kind != MOAT_ERR_INVALID_CONFIG && contains (r.msg, "Permission denied"),
      "an unreadable bundle is not an invalid config (%s, %s)", r.msg ? r.msg : "planned",
      moat_error_kind_name (r.kind));
  result_free (&r);
  chmod (locked, 0755);
  free (b);
  free (locked);
}

/* /etc/subuid lines: by name or by uid, the first of the user's wins,
   malformed and empty ranges skipped.  */
static void
test_subid_range (void)
{
  char *f = xasprintf ("%s/subuid", top);
  FILE *w = fopen (f, "w");
  fputs ("alice:100000:65536\n"
         "bob:200000\n"                 /* no count */
         "bob:x:5\n"                    /* not a number */
         "bob:300000:0\n"               /* empty */
         "bob:4294967295:2\n"           /* past the last id */
         "1234:400000:1000\n"           /* by uid */
         "bob:500000:65536\n"
         "alice:600000:10\n", w);
  fclose (w);
  uint32_t start = 0, count = 0;
  ok (moat_subid_range (f, 999, "alice", &start, &count) == 0 && start == 100000
      && count == 65536, "subid: a user's first range, by name (%u %u)", start, count);
  ok (moat_subid_range (f, 1234, "bob", &start, &count) == 0 && start == 400000
      && count == 1000, "subid: malformed lines skipped, a range by uid found (%u %u)",
      start, count);
  ok (moat_subid_range (f, 4321, "bob", &start, &count) == 0 && start == 500000,
      "subid: by name after the malformed ones (%u)", start);
  ok (moat_subid_range (f, 77, "carol", &start, &count) < 0, "subid: no range for carol");
  ok (moat_subid_range ("/nonexistent/subuid", 0, "root", &start, &count) < 0,
      "subid: no file, no range");
  unlink (f);
  free (f);
}

/* A new user namespace without mappings: the caller's ids as root when
   rootless, refused as root in the host's user namespace.  */
static void
test_automatic_mappings (void)
{
  struct moat_host root = { .euid = 0, .initial_userns = true, .rootless = false };
  struct moat_spec s0 = { 0 };
  moat_error *e = NULL;
  bool range = false;
  ok (moat_plan_automatic_mappings (&s0, &root, &range, &e) == 0 && range
      && s0.n_uid_mappings == 1 && s0.uid_mappings[0].container_id == 0
      && s0.uid_mappings[0].size == 65536 && s0.n_gid_mappings == 1
      && s0.gid_mappings[0].size == 65536,
      "automatic mappings: as root, 65536 ids of an automatic range (%s)",
      e ? e->msg : "no error");
  free (s0.uid_mappings);
  free (s0.gid_mappings);
  /* --rootless true as the host's root: still not the host's root mapped */
  struct moat_host forced = { .euid = 0, .initial_userns = true, .rootless = true };
  struct moat_spec s3 = { 0 };
  range = false;
  ok (moat_plan_automatic_mappings (&s3, &forced, &range, &e) == 0 && range
      && s3.n_uid_mappings == 1,
      "automatic mappings: the host's root is not mapped, even with --rootless true");
  free (s3.uid_mappings);
  free (s3.gid_mappings);
  /* an id no /etc/subuid names */
  struct moat_host user = { .euid = 54321, .initial_userns = true, .rootless = true };
  struct moat_spec s1 = { 0 };
  range = false;
  ok (moat_plan_automatic_mappings (&s1, &user, &range, &e) == 0 && !range
      && s1.n_uid_mappings == 1
      && s1.uid_mappings[0].container_id == 0 && s1.uid_mappings[0].host_id == 54321
      && s1.uid_mappings[0].size == 1 && s1.n_gid_mappings >= 1
      && s1.gid_mappings[0].host_id == getegid (),
      "automatic mappings: rootless, the caller's own id as root");
  free (s1.uid_mappings);
  free (s1.gid_mappings);
  /* root in a user namespace of its own (rootless Podman) */
  struct moat_host inner = { .euid = 0, .initial_userns = false, .rootless = true };
  struct moat_spec s2 = { 0 };
  ok (moat_plan_automatic_mappings (&s2, &inner, &range, &e) == 0 && s2.n_uid_mappings >= 1
      && s2.uid_mappings[0].host_id == 0, "automatic mappings: uid 0 in a user namespace "
      "of its own");
  free (s2.uid_mappings);
  free (s2.gid_mappings);
  moat_error_free (&e);
}

int
main (void)
{
  strcpy (top, "/tmp/moat-plan-XXXXXX");
  if (mkdtemp (top) == NULL)
    abort ();
  /* the bundle's path as realpath gives it */
  char *real = realpath (top, NULL);
  if (real == NULL || strlen (real) >= sizeof top)
    abort ();
  strcpy (top, real);
  free (real);
  test_valid ();
  test_errors ();
  test_permission ();
  test_subid_range ();
  test_automatic_mappings ();
  char *cmd = xasprintf ("rm -rf '%s'", top);
  if (system (cmd) != 0)
    printf ("# could not remove %s\n", top);
  free (cmd);
  return tap_done ();
}
