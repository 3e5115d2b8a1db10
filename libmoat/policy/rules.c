/* The policy's rules.  Each has a stable id, a severity, the attack it
   is about (one line, shown with every finding) and a check of the
   validated config.  docs/policy.md says why each matters and how to
   relax it; a rule id never changes meaning.

   Sysctls outside the namespaced set need no rule: the config parser
   refuses them.  */
#include <config.h>
#include "policy.h"
#include "../utils.h"
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

struct check
{
  const struct moat_policy *p;
  const struct moat_spec *s;
  const char *bundle;           /* relative bind sources are below it, or NULL */
  bool ids_not_hosts;
  struct moat_findings *out;
  const struct rule *rule;
};

struct rule
{
  const char *id;
  enum moat_severity severity;
  const char *reason;
  void (*fn) (struct check *c);
};

static void add (struct check *c, const char *path, const char *fmt, ...)
  __attribute__ ((format (printf, 3, 4)));

static void
add (struct check *c, const char *path, const char *fmt, ...)
{
  struct moat_findings *o = c->out;
  o->v = xrealloc (o->v, (o->n + 1) * sizeof *o->v);
  struct moat_finding *f = &o->v[o->n++];
  va_list ap;
  va_start (ap, fmt);
  f->detail = moat_xvasprintf (fmt, ap);
  va_end (ap);
  f->rule = c->rule->id;
  f->severity = c->rule->severity;
  f->reason = c->rule->reason;
  f->path = xstrdup (path);
}

/* capability names: the config takes them in any case */
static bool
has_cap (char **v, const char *s)
{
  for (size_t i = 0; v && v[i]; i++)
    if (strcasecmp (v[i], s) == 0)
      return true;
  return false;
}

/* ---- namespaces and ids ---- */

/* path is the namespace of the host's init or of moat itself: the
   host's, joined by path */
static bool
is_hosts_namespace (const char *path, const char *type)
{
  struct stat st, host;
  if (stat (path, &st) < 0)
    return false;
  const char *owners[] = { "/proc/1/ns", "/proc/self/ns" };
  for (size_t i = 0; i < ARRAY_SIZE (owners); i++)
    {
      autofree char *p = xasprintf ("%s/%s", owners[i], type);
      if (stat (p, &host) == 0 && host.st_dev == st.st_dev && host.st_ino == st.st_ino)
        return true;
    }
  return false;
}

static void
host_namespace (struct check *c)
{
  static const struct { enum moat_ns_type t; const char *proc; } shared[] = {
    { MOAT_NS_PID, "pid" }, { MOAT_NS_NET, "net" }, { MOAT_NS_IPC, "ipc" },
    { MOAT_NS_UTS, "uts" },
  };
  for (size_t i = 0; i < ARRAY_SIZE (shared); i++)
    {
      const struct moat_namespace *ns = &c->s->ns[shared[i].t];
      if (!ns->present)
        add (c, "linux.namespaces", "no %s namespace: the host's is shared",
             moat_ns_name (shared[i].t));
      else if (ns->path && is_hosts_namespace (ns->path, shared[i].proc))
        add (c, "linux.namespaces", "the %s namespace joined by path is the host's",
             moat_ns_name (shared[i].t));
    }
}

static void
no_user_namespace (struct check *c)
{
  if (!c->s->ns[MOAT_NS_USER].present)
    add (c, "linux.namespaces", "no user namespace: the container's ids are the host's");
}

static void
root_is_host_root (struct check *c)
{
  const struct moat_spec *s = c->s;
  /* an automatic range (its host ids not known yet) never holds the
     host's root; rootless, the ids are those of moat's own user
     namespace, not the host's */
  if (!s->ns[MOAT_NS_USER].present || s->ns[MOAT_NS_USER].path || c->ids_not_hosts)
    return;
  for (size_t i = 0; i < s->n_uid_mappings; i++)
    if (s->uid_mappings[i].host_id == 0)
      add (c, "linux.uidMappings", "container uid %u is host uid 0",
           s->uid_mappings[i].container_id);
  for (size_t i = 0; i < s->n_gid_mappings; i++)
    if (s->gid_mappings[i].host_id == 0)
      add (c, "linux.gidMappings", "container gid %u is host gid 0",
           s->gid_mappings[i].container_id);
}

static void
process_root (struct check *c)
{
  if (c->s->has_process && c->s->uid == 0)
    add (c, "process.user.uid", "the process runs as uid 0");
}

/* ---- privileges ---- */

static void
capabilities (struct check *c)
{
  const struct moat_caps *k = &c->s->caps;
  struct { char **v; const char *path; } sets[] = {
    { k->bounding, "process.capabilities.bounding" },
    { k->effective, "process.capabilities.effective" },
    { k->permitted, "process.capabilities.permitted" },
    { k->inheritable, "process.capabilities.inheritable" },
    { k->ambient, "process.capabilities.ambient" },
  };
  for (size_t i = 0; i < ARRAY_SIZE (sets); i++)
    for (size_t j = 0; sets[i].v && sets[i].v[j]; j++)
      if (!has_cap (c->p->capabilities, sets[i].v[j]))
        add (c, sets[i].path, "%s is not in the allowed capabilities", sets[i].v[j]);
}

static void
no_new_privileges (struct check *c)
{
  if (c->s->has_process && !c->s->no_new_privileges)
    add (c, "process.noNewPrivileges", "false: setuid programs and file capabilities "
         "can raise privileges");
}

static void
no_seccomp (struct check *c)
{
  const struct moat_spec *s = c->s;
  if (!s->has_seccomp)
    {
      add (c, "linux.seccomp", "no seccomp profile: every system call is allowed");
      return;
    }
  uint32_t d = s->seccomp.default_action;
  if (d == SCMP_ACT_NOTIFY && s->seccomp.listener_path == NULL)
    /* only moat's learning filter notifies without an agent's path */
    add (c, "linux.seccomp", "--seccomp-learn: every system call goes on while the "
         "profile is learned");
  /* a default that denies: an errno, a kill, a trap; any other lets the
     calls not listed through, or to whoever traces or listens */
  else if (!(d == SCMP_ACT_KILL_PROCESS || d == SCMP_ACT_KILL_THREAD || d == SCMP_ACT_TRAP
             || (d & 0xffff0000U) == (SCMP_ACT_ERRNO (0) & 0xffff0000U)))
    add (c, "linux.seccomp.defaultAction", "lets every system call not listed through "
         "(or to a tracer or listener)");
  /* calls no container needs and escapes have used, which the engines'
     default profiles never allow (mount, setns, unshare, ptrace and the
     like they do allow, leaving them to the capabilities): an allowlist
     that lets one through without an argument filter allows too much */
  static const char *const core_deny[] = {
    "bpf", "kexec_load", "kexec_file_load", "init_module", "finit_module",
    "delete_module", "open_by_handle_at", "userfaultfd", "perf_event_open", "add_key",
    "request_key", "swapon", "swapoff", "iopl", "ioperm", "lookup_dcookie", NULL,
  };
  for (size_t i = 0; i < s->seccomp.n_rules; i++)
    {
      const struct moat_seccomp_rule *r = &s->seccomp.rules[i];
      autofree char *path = xasprintf ("linux.seccomp.syscalls[%zu]", i);
      if ((r->action & 0xffff0000U) == (SCMP_ACT_TRACE (0) & 0xffff0000U))
        add (c, path, "SCMP_ACT_TRACE: a tracer the container may run decides");
      else if (r->action == SCMP_ACT_ALLOW && r->n_args == 0)
        for (size_t k = 0; r->names && r->names[k]; k++)
          if (moat_strv_contains ((char *const *) core_deny, r->names[k]))
            add (c, path, "allows `%s`, which no container needs and escapes use",
                 r->names[k]);
    }
}

/* ---- filesystems ---- */

static void
writable_rootfs (struct check *c)
{
  if (!c->s->root_readonly)
    add (c, "root.readonly", "false: the container can change its image");
}

static bool
is_bind (const struct moat_mount *m)
{
  return m->source && (moat_strv_contains (m->options, "bind") || moat_strv_contains (m->options, "rbind")
                       || (m->type && strcmp (m->type, "bind") == 0));
}

/* path with "//", "/./" and "/../" folded and no trailing slash */
static char *
lexical (const char *path)
{
  char *out = xmalloc0 (strlen (path) + 2);
  size_t n = 0;
  const char *p = path;
  while (*p)
    {
      while (*p == '/')
        p++;
      const char *e = strchrnul (p, '/');
      size_t len = e - p;
      if (len == 0 || (len == 1 && p[0] == '.'))
        ;
      else if (len == 2 && p[0] == '.' && p[1] == '.')
        {
          while (n > 0 && out[n - 1] != '/')
            n--;
          if (n > 0)
            n--;
        }
      else
        {
          out[n++] = '/';
          memcpy (out + n, p, len);
          n += len;
        }
      p = e;
    }
  if (n == 0)
    out[n++] = '/';
  out[n] = 0;
  return out;
}

/* The host path a bind's source names: relative to the bundle, symlinks
   (and /proc's magic links, /proc/1/root is "/") followed where it
   exists, else folded as text.  */
static char *
host_source (const struct check *c, const char *source)
{
  autofree char *abs = source[0] == '/' ? xstrdup (source)
    : xasprintf ("%s/%s", c->bundle ? c->bundle : "", source);
  char *real = realpath (abs, NULL);
  return real ? real : lexical (abs);
}

/* path is host, or (below) under it */
static bool
under (const char *path, const char *host, bool below)
{
  if (strcmp (path, host) == 0)
    return true;
  size_t n = strlen (host);
  return below && strcmp (host, "/") != 0 && strncmp (path, host, n) == 0
    && path[n] == '/';
}

static bool
read_only (const struct moat_mount *m)
{
  return moat_strv_contains (m->options, "ro") || moat_strv_contains (m->options, "rro");
}

static void
writable_proc_sys (struct check *c)
{
  const struct moat_spec *s = c->s;
  for (size_t i = 0; i < s->n_mounts; i++)
    {
      const struct moat_mount *m = &s->mounts[i];
      autofree char *path = xasprintf ("mounts[%zu]", i);
      if (m->type && strcmp (m->type, "sysfs") == 0 && !read_only (m))
        add (c, path, "sysfs on `%s` is writable", m->destination);
      else if (is_bind (m) && !read_only (m))
        {
          autofree char *src = host_source (c, m->source);
          if (under (src, "/proc", true) || under (src, "/sys", true))
            add (c, path, "the host's `%s` is bound writable on `%s`", src, m->destination);
        }
    }
}

static void
masked_paths (struct check *c)
{
  static const char *const masked[] = {
    "/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug", "/sys/firmware",
    NULL,
  };
  static const char *const readonly[] = {
    "/proc/sys", "/proc/sysrq-trigger", "/proc/bus", "/proc/fs", "/proc/irq", NULL,
  };
  for (size_t i = 0; masked[i]; i++)
    if (!moat_strv_contains (c->s->masked_paths, masked[i]))
      add (c, "linux.maskedPaths", "`%s` is not masked", masked[i]);
  for (size_t i = 0; readonly[i]; i++)
    if (!moat_strv_contains (c->s->readonly_paths, readonly[i])
        && !moat_strv_contains (c->s->masked_paths, readonly[i]))
      add (c, "linux.readonlyPaths", "`%s` is not read-only", readonly[i]);
}

/* host paths that give a container the host, or the engines that run
   containers: exactly these; anything below those of the second list;
   and, bound writable, anything below the third (the host's programs,
   libraries, configuration and jobs) */
static const char *const sensitive_exact[] = {
  "/", "/etc", "/dev", "/proc", "/sys", "/boot", "/root", "/usr", "/var", "/run", NULL,
};
static const char *const sensitive_writable[] = {
  "/etc", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt",
  "/var/spool/cron", "/var/lib/dpkg", NULL,
};
static const char *const sensitive_below[] = {
  "/boot", "/root", "/proc", "/etc/shadow", "/etc/sudoers", "/var/run/docker.sock",
  "/run/docker.sock", "/var/run/docker", "/run/docker", "/run/containerd",
  "/var/run/containerd", "/var/lib/containerd", "/run/podman", "/var/run/podman",
  "/var/lib/docker", "/run/crio", "/var/run/crio", "/var/lib/kubelet", "/run/moat",
  "/run/moat-userns", "/etc/moat", NULL,
};

static void
sensitive_bind (struct check *c)
{
  const struct moat_spec *s = c->s;
  for (size_t i = 0; i < s->n_mounts; i++)
    {
      const struct moat_mount *m = &s->mounts[i];
      if (!is_bind (m))
        continue;
      autofree char *src = host_source (c, m->source);
      bool hit = false;
      for (size_t k = 0; !hit && sensitive_exact[k]; k++)
        hit = under (src, sensitive_exact[k], false);
      for (size_t k = 0; !hit && sensitive_below[k]; k++)
        hit = under (src, sensitive_below[k], true);
      for (size_t k = 0; !hit && !read_only (m) && sensitive_writable[k]; k++)
        hit = under (src, sensitive_writable[k], true);
      for (size_t k = 0; !hit && c->p->sensitive_paths && c->p->sensitive_paths[k]; k++)
        {
          autofree char *mine = lexical (c->p->sensitive_paths[k]);
          hit = under (src, mine, true);
        }
      if (hit)
        {
          autofree char *path = xasprintf ("mounts[%zu].source", i);
          add (c, path, "the host's `%s` is bound on `%s`", src, m->destination);
        }
    }
}

static void
shared_propagation (struct check *c)
{
  const struct moat_spec *s = c->s;
  const char *rp = s->rootfs_propagation;
  if (rp && (strcmp (rp, "shared") == 0 || strcmp (rp, "rshared") == 0))
    add (c, "linux.rootfsPropagation", "`%s`: the container's mounts reach the host", rp);
  for (size_t i = 0; i < s->n_mounts; i++)
    if (moat_strv_contains (s->mounts[i].options, "shared")
        || moat_strv_contains (s->mounts[i].options, "rshared"))
      {
        autofree char *path = xasprintf ("mounts[%zu].options", i);
        add (c, path, "shared propagation on `%s`: mounts made there reach the host",
             s->mounts[i].destination);
      }
}

/* ---- devices, limits, hooks ---- */

static void
all_devices (struct check *c)
{
  const struct moat_spec *s = c->s;
  for (size_t i = 0; i < s->n_device_rules; i++)
    {
      const struct moat_device_rule *d = &s->device_rules[i];
      if (!d->allow || !(d->access & (MOAT_DEV_READ | MOAT_DEV_WRITE)))
        continue;
      autofree char *path = xasprintf ("linux.resources.devices[%zu]", i);
      /* 1:1 /dev/mem, 1:2 /dev/kmem, 1:4 /dev/port */
      if (d->type == 'a' || d->major < 0)
        add (c, path, "allows every %sdevice", d->type == 'b' ? "block "
             : d->type == 'c' ? "character " : "");
      else if (d->type == 'c' && d->major == 1 && (d->minor == 1 || d->minor == 2
                                                     || d->minor == 4 || d->minor < 0))
        add (c, path, "allows the host's memory or I/O ports (c 1:%lld)",
             (long long) d->minor);
    }
}

static void
no_pids_limit (struct check *c)
{
  if (!c->s->resources.pids_limit.set || c->s->resources.pids_limit.v <= 0)
    add (c, "linux.resources.pids.limit", "no limit: a fork bomb takes the host's pids");
}

static void
no_memory_limit (struct check *c)
{
  if (!c->s->resources.memory.limit.set || c->s->resources.memory.limit.v <= 0)
    add (c, "linux.resources.memory.limit", "no limit: the container can take the "
         "host's memory");
}

/* Writable by someone other than root: the file or a directory above it
   (a file not there yet: whoever may write its directory may make it). */
static const char *
writable_by_others (const char *path)
{
  static char where[4096];
  snprintf (where, sizeof where, "%s", path);
  for (;;)
    {
      struct stat st;
      if (stat (where, &st) < 0)
        {
          char *slash = strrchr (where, '/');
          if (slash == NULL || slash == where)
            return NULL;
          *slash = 0;
          continue;
        }
      if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))
        {
          /* a sticky directory (/tmp) is not writable over others' files,
             but a hook in it is someone's file: still writable */
          return where;
        }
      char *slash = strrchr (where, '/');
      if (slash == NULL || slash == where)
        {
          if (strcmp (where, "/") == 0)
            return NULL;
          where[1] = 0;
          continue;
        }
      *slash = 0;
    }
}

static void
host_hook (struct check *c)
{
  const struct moat_hooks *h = &c->s->hooks;
  struct { const struct moat_hook *v; size_t n; const char *name; } kinds[] = {
    { h->prestart, h->n_prestart, "prestart" },
    { h->create_runtime, h->n_create_runtime, "createRuntime" },
    { h->create_container, h->n_create_container, "createContainer" },
    { h->poststart, h->n_poststart, "poststart" },
    { h->poststop, h->n_poststop, "poststop" },
  };
  for (size_t k = 0; k < ARRAY_SIZE (kinds); k++)
    for (size_t i = 0; i < kinds[k].n; i++)
      {
        const char *w = writable_by_others (kinds[k].v[i].path);
        if (w)
          {
            autofree char *path = xasprintf ("hooks.%s[%zu].path", kinds[k].name, i);
            add (c, path, "`%s` runs as the host's root, and `%s` is writable by others "
                 "than root", kinds[k].v[i].path, w);
          }
      }
}

static const struct rule rules[] = {
  { "host-namespace", MOAT_SEVERITY_HIGH, "a shared pid, network, ipc or uts namespace "
    "lets the container see and reach the host's processes, network or IPC", host_namespace },
  { "no-user-namespace", MOAT_SEVERITY_MEDIUM, "without a user namespace the "
    "container's root is the host's root: any escape is a root escape", no_user_namespace },
  { "root-is-host-root", MOAT_SEVERITY_HIGH, "an id mapped to the host's uid 0 "
    "makes that container user the host's root", root_is_host_root },
  { "process-root", MOAT_SEVERITY_MEDIUM, "a process running as root holds every "
    "file of the image and more privileges to escape with", process_root },
  { "capabilities", MOAT_SEVERITY_HIGH, "capabilities beyond the allowed set reach the "
    "host's kernel, devices or other processes", capabilities },
  { "no-new-privileges", MOAT_SEVERITY_MEDIUM, "without no_new_privs a setuid "
    "binary in the image regains the privileges dropped", no_new_privileges },
  { "no-seccomp", MOAT_SEVERITY_HIGH, "without a seccomp allowlist every kernel "
    "interface is open to the container's exploits", no_seccomp },
  { "writable-rootfs", MOAT_SEVERITY_LOW, "a writable root lets an intruder change "
    "the container's programs and persist", writable_rootfs },
  { "writable-proc-sys", MOAT_SEVERITY_HIGH, "a writable sysfs, or the host's /proc or "
    "/sys bound writable, changes the host's kernel settings", writable_proc_sys },
  { "masked-paths", MOAT_SEVERITY_MEDIUM, "unmasked /proc and /sys files leak the "
    "host's kernel memory, keys and timers or change its settings", masked_paths },
  { "all-devices", MOAT_SEVERITY_HIGH, "access to every device reaches the host's disks "
    "and memory", all_devices },
  { "sensitive-bind", MOAT_SEVERITY_HIGH, "a bind of the host's root, system "
    "directories or an engine's socket hands the container the host", sensitive_bind },
  { "shared-propagation", MOAT_SEVERITY_MEDIUM, "shared propagation lets mounts made "
    "in the container appear on the host", shared_propagation },
  { "no-pids-limit", MOAT_SEVERITY_LOW, "without a pids limit one container can "
    "exhaust the host's processes", no_pids_limit },
  { "no-memory-limit", MOAT_SEVERITY_LOW, "without a memory limit one container can "
    "push the host into its OOM killer", no_memory_limit },
  { "host-hook", MOAT_SEVERITY_HIGH, "a hook runs as the host's root: one others can "
    "write is theirs to run as root", host_hook },
};

bool
moat_policy_rule_known (const char *id)
{
  for (size_t i = 0; i < ARRAY_SIZE (rules); i++)
    if (strcmp (rules[i].id, id) == 0)
      return true;
  return false;
}

void
moat_policy_check (const struct moat_policy *p, const struct moat_spec *s,
                   const char *bundle, bool ids_not_hosts, struct moat_findings *out)
{
  out->v = NULL;
  out->n = 0;
  struct check c = { .p = p, .s = s, .bundle = bundle, .ids_not_hosts = ids_not_hosts,
                     .out = out };
  for (size_t i = 0; i < ARRAY_SIZE (rules); i++)
    {
      if (moat_strv_contains (p->disabled, rules[i].id))
        continue;
      c.rule = &rules[i];
      rules[i].fn (&c);
    }
}

void
moat_findings_free (struct moat_findings *f)
{
  for (size_t i = 0; i < f->n; i++)
    {
      free (f->v[i].path);
      free (f->v[i].detail);
    }
  free (f->v);
  f->v = NULL;
  f->n = 0;
}
