/* Building the plan: the host's facts, the process, the namespaces and
   every cross-field rule that needs the command's options or the host.
   Nothing here changes the host: files are read, namespace files opened
   and checked, the seccomp profile compiled.  */
#include <config.h>
#include "plan.h"
#include "../moat.h"
#include "../feature-table.h"
#include "../linux/linux.h"
#include "../policy/policy.h"
#include "../seccomp-learn.h"
#include "../log.h"
#include "../state.h"
#include "../utils.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>

/* ---- host ---- */

/* This process's bounding set, asked of the kernel (no /proc to read).  */
static uint64_t
own_bounding_set (int last_cap)
{
  uint64_t v = 0;
  for (int c = 0; c <= last_cap && c < 64; c++)
    if (prctl (PR_CAPBSET_READ, c, 0, 0, 0) == 1)
      v |= 1ULL << c;
  return v;
}

int
moat_host_probe (struct moat_host *h, moat_error **err)
{
  (void) err;
  h->euid = geteuid ();
  h->initial_userns = moat_in_initial_userns ();
  h->rootless = moat_running_rootless ();
  h->last_cap = cap_max_bits () - 1;
  h->own_bounding = own_bounding_set (h->last_cap);
  return 0;
}

/* ---- the process ---- */

static bool
id_mapped (const struct moat_idmap *m, size_t n, uint32_t id)
{
  for (size_t i = 0; i < n; i++)
    if (id >= m[i].container_id && id - m[i].container_id < m[i].size)
      return true;
  return false;
}

/* In a new user namespace only mapped ids exist.  */
static int
check_ids_mapped (const struct moat_spec *s, const struct moat_spec *userns,
                  moat_error **err)
{
  if (!id_mapped (userns->uid_mappings, userns->n_uid_mappings, s->uid))
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                            "process.user.uid: %u is not mapped in linux.uidMappings",
                            s->uid);
  if (!id_mapped (userns->gid_mappings, userns->n_gid_mappings, s->gid))
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                            "process.user.gid: %u is not mapped in linux.gidMappings",
                            s->gid);
  for (size_t i = 0; i < s->n_additional_gids; i++)
    if (!id_mapped (userns->gid_mappings, userns->n_gid_mappings, s->additional_gids[i]))
      return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                              "process.user.additionalGids[%zu]: %u is not mapped in "
                              "linux.gidMappings", i, s->additional_gids[i]);
  return 0;
}

int
moat_process_plan_build (const struct moat_spec *s, const struct moat_seccomp *profile,
                         const struct moat_spec *userns, const struct moat_host *h,
                         unsigned preserve_fds, struct moat_process_plan *out,
                         moat_error **err)
{
  memset (out, 0, sizeof *out);
  out->spec = s;
  out->preserve_fds = preserve_fds;
  if (userns && check_ids_mapped (s, userns, err) < 0)
    return -1;
  if (moat_capsets_build (&s->caps, h, &out->caps, err) < 0)
    return -1;
  if (profile)
    {
      out->seccomp = moat_seccomp_compile (profile, err);
      if (out->seccomp == NULL)
        return -1;
    }
  return 0;
}

void
moat_process_plan_clear (struct moat_process_plan *p)
{
  moat_bpf_free (p->seccomp);
  p->seccomp = NULL;
}

/* ---- namespaces ---- */

static const int nstype[MOAT_NS_COUNT] = {
  [MOAT_NS_PID] = CLONE_NEWPID, [MOAT_NS_NET] = CLONE_NEWNET,
  [MOAT_NS_MNT] = CLONE_NEWNS, [MOAT_NS_IPC] = CLONE_NEWIPC,
  [MOAT_NS_UTS] = CLONE_NEWUTS, [MOAT_NS_USER] = CLONE_NEWUSER,
  [MOAT_NS_CGROUP] = CLONE_NEWCGROUP, [MOAT_NS_TIME] = CLONE_NEWTIME,
};

static const char *const proc_ns_name[MOAT_NS_COUNT] = {
  [MOAT_NS_PID] = "pid", [MOAT_NS_NET] = "net", [MOAT_NS_MNT] = "mnt",
  [MOAT_NS_IPC] = "ipc", [MOAT_NS_UTS] = "uts", [MOAT_NS_USER] = "user",
  [MOAT_NS_CGROUP] = "cgroup", [MOAT_NS_TIME] = "time",
};

const char *
moat_ns_proc_name (int type)
{
  return type >= 0 && type < MOAT_NS_COUNT ? proc_ns_name[type] : NULL;
}

/* Is the namespace of fd the runtime's own (the host's, as moat sees it)?  */
static bool
is_own_namespace (int fd, enum moat_ns_type t)
{
  char self[64];
  struct stat a, b;
  snprintf (self, sizeof self, "/proc/self/ns/%s", proc_ns_name[t]);
  return fstat (fd, &a) == 0 && stat (self, &b) == 0 && a.st_ino == b.st_ino
    && a.st_dev == b.st_dev;
}

/* Open every namespace given by path and check it is one of that type.  */
static int
open_namespaces (struct moat_plan *p, moat_error **err)
{
  const struct moat_spec *s = p->spec;
  for (int t = 0; t < MOAT_NS_COUNT; t++)
    {
      const char *path = s->ns[t].path;
      if (!s->ns[t].present || path == NULL)
        continue;
      p->ns_fds[t] = open (path, O_RDONLY | O_CLOEXEC);
      if (p->ns_fds[t] < 0)
        return moat_error_setk (err, errno == ENOENT ? MOAT_ERR_INVALID_CONFIG
                                : MOAT_ERR_FAILED, errno, "linux.namespaces: open %s "
                                "namespace `%s`", moat_ns_name (t), path);
      int type = ioctl (p->ns_fds[t], NS_GET_NSTYPE);
      if (type != nstype[t])
        return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                                "linux.namespaces: `%s` is not a %s namespace", path,
                                moat_ns_name (t));
    }
  return 0;
}

/* A sysctl in a namespace joined by path is only allowed when that
   namespace is not the runtime's own: that one is the host's.  */
static int
plan_sysctls (struct moat_plan *p, moat_error **err)
{
  const struct moat_spec *s = p->spec;
  p->sysctl_paths = xmalloc0 ((s->n_sysctl + 1) * sizeof (char *));
  for (size_t i = 0; i < s->n_sysctl; i++)
    {
      const char *key = s->sysctl[i].key;
      int ns = moat_sysctl_check (key, &p->sysctl_paths[i], err);
      if (ns < 0)
        return -1;
      if (p->ns_fds[ns] >= 0 && is_own_namespace (p->ns_fds[ns], ns))
        return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                                "linux.sysctl: `%s`: the %s namespace `%s` is the host's",
                                key, proc_ns_name[ns], s->ns[ns].path);
    }
  return 0;
}

/* hostname and domainname go into a uts namespace joined by path too, but
   never into the runtime's own: that one is the host's.  */
static int
plan_uts (const struct moat_plan *p, moat_error **err)
{
  const struct moat_spec *s = p->spec;
  int fd = p->ns_fds[MOAT_NS_UTS];
  bool sets = (s->hostname && s->hostname[0]) || (s->domainname && s->domainname[0]);
  if (sets && fd >= 0 && is_own_namespace (fd, MOAT_NS_UTS))
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                            "%s: the uts namespace `%s` is the host's",
                            s->hostname && s->hostname[0] ? "hostname" : "domainname",
                            s->ns[MOAT_NS_UTS].path);
  return 0;
}

static int
plan_namespaces (struct moat_plan *p, bool userns_auto, moat_error **err)
{
  struct moat_spec *s = p->spec;
  if (open_namespaces (p, err) < 0)
    return -1;
  for (int t = 0; t < MOAT_NS_COUNT; t++)
    if (s->ns[t].present && s->ns[t].path == NULL)
      p->clone_flags |= nstype[t];
  /* time offsets are written into a time namespace made before clone */
  if (s->has_time_offsets)
    p->clone_flags &= ~(unsigned long long) CLONE_NEWTIME;
  if (userns_auto && !s->ns[MOAT_NS_USER].present)
    {
      s->ns[MOAT_NS_USER].present = true;
      p->clone_flags |= CLONE_NEWUSER;
    }
  p->new_userns = s->ns[MOAT_NS_USER].present && s->ns[MOAT_NS_USER].path == NULL;
  if (p->new_userns && s->n_uid_mappings == 0 && s->n_gid_mappings == 0
      && moat_plan_automatic_mappings (s, &p->host, &p->auto_range, err) < 0)
    return -1;
  p->in_userns = p->new_userns
    || (p->ns_fds[MOAT_NS_USER] >= 0 && !is_own_namespace (p->ns_fds[MOAT_NS_USER],
                                                           MOAT_NS_USER));
  p->pid_joined = p->ns_fds[MOAT_NS_PID] >= 0;
  /* The init enters a shared pid namespace only once its root is the
     container's; a new user namespace has no rights there by then.  */
  if (p->pid_joined && p->new_userns)
    return moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, 0,
                            "linux.namespaces: joining the pid namespace `%s` together "
                            "with a new user namespace is not supported (join the user "
                            "namespace that owns it by path)", s->ns[MOAT_NS_PID].path);
  return 0;
}

/* ---- the container ---- */

/* A harden policy's fixes, to the config's text, before anything else
   reads it: the plan, the kept config and the digest are the fixed
   config's.  An exempt container is left as it is.  */
static int
harden (struct moat_plan *p, const struct moat_policy *policy, moat_error **err)
{
  const char *why;
  if (moat_policy_mode (policy) != MOAT_POLICY_HARDEN
      || moat_policy_exempts (policy, p->spec, p->id, &why))
    return 0;
  char *text = NULL;
  if (moat_policy_harden (policy, p->config_text, p->config_len, &text, &p->hardened,
                          err) < 0)
    return moat_error_prefix (err, "policy (harden)");
  if (text == NULL)
    return 0;
  size_t len = strlen (text);
  struct moat_spec *s = moat_spec_parse (text, len, err);
  if (s == NULL)
    {
      free (text);
      return moat_error_prefix (err, "policy (harden): the fixed config");
    }
  moat_spec_free (p->spec);
  p->spec = s;
  free (p->config_text);
  p->config_text = text;
  p->config_len = len;
  return 0;
}

static int
resolve_paths (struct moat_plan *p, const char *bundle, const struct moat_policy *policy,
               moat_error **err)
{
  const char *b = bundle ? bundle : ".";
  p->bundle = realpath (b, NULL);
  if (p->bundle == NULL)
    return moat_error_setk (err, errno == ENOENT ? MOAT_ERR_INVALID_CONFIG
                            : MOAT_ERR_FAILED, errno, "bundle `%s`", b);
  p->spec = moat_spec_load_text (p->bundle, &p->config_text, &p->config_len, err);
  if (p->spec == NULL || harden (p, policy, err) < 0)
    return -1;
  autofree char *root = p->spec->root_path[0] == '/' ? xstrdup (p->spec->root_path)
    : xasprintf ("%s/%s", p->bundle, p->spec->root_path);
  p->rootfs = realpath (root, NULL);
  if (p->rootfs == NULL)
    return moat_error_setk (err, errno == ENOENT ? MOAT_ERR_INVALID_CONFIG
                            : MOAT_ERR_FAILED, errno, "root.path `%s`", root);
  struct stat st;
  if (stat (p->rootfs, &st) < 0 || !S_ISDIR (st.st_mode))
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, ENOTDIR, "root.path `%s`", root);
  return 0;
}

/* Options that only make sense together, and what this build and host
   cannot do (the feature table says).  */
static int
check_options (const struct moat_plan *p, moat_error **err)
{
  const struct moat_spec *s = p->spec;
  if (s->terminal && p->console_socket == NULL && !p->foreground)
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                            "process.terminal: a detached container with a terminal "
                            "needs --console-socket");
  if (!s->terminal && p->console_socket)
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                            "--console-socket: process.terminal is false, there is no "
                            "terminal to send");
  if (moat_plan_check_labels (s, "process.selinuxLabel", "process.apparmorProfile",
                              err) < 0)
    return -1;
  /* applied only where SELinux is on (the mount plans), checked there */
  if (s->mount_label && s->mount_label[0] && moat_selinux_enabled ()
      && moat_selinux_check_context ("linux.mountLabel", s->mount_label, err) < 0)
    return -1;
  if (s->has_intel_rdt
      && moat_feature_require (MOAT_FEATURE_INTEL_RDT, "linux.intelRdt", err) < 0)
    return -1;
  return 0;
}

/* A container without a cgroup of its own: limits are refused, never
   dropped; so is a cgroup mount when moat is the host's root, whose own
   cgroup is the host's (its mount would show, and let the container
   write, every other container's cgroups).  */
int
moat_plan_check_no_cgroup (const struct moat_plan *p, const char *why, moat_error **err)
{
  const struct moat_spec *s = p->spec;
  if (!moat_resources_empty (&s->resources))
    return moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, 0,
                            "linux.resources: limits are set but the container has no "
                            "cgroup to apply them (%s)", why);
  if (p->host.euid != 0 || !p->host.initial_userns)
    return 0;
  for (size_t i = 0; i < s->n_mounts; i++)
    if (p->mounts[i].fstype && strcmp (p->mounts[i].fstype, "cgroup2") == 0)
      return moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, 0,
                              "mounts[%zu] (cgroup on `%s`): the container has no cgroup "
                              "of its own (%s), and moat's is the host's: the mount would "
                              "show every container's cgroups", i,
                              s->mounts[i].destination, why);
  return 0;
}

int
moat_plan_check_labels (const struct moat_spec *s, const char *selinux_from,
                        const char *apparmor_from, moat_error **err)
{
  if (s->selinux_label && s->selinux_label[0]
      && (moat_feature_require (MOAT_FEATURE_SELINUX, selinux_from, err) < 0
          || moat_selinux_check_context (selinux_from, s->selinux_label, err) < 0))
    return -1;
  if (s->apparmor_profile && s->apparmor_profile[0]
      && moat_feature_require (MOAT_FEATURE_APPARMOR, apparmor_from, err) < 0)
    return -1;
  return 0;
}

int
moat_plan_build (const struct moat_create_options *o, const struct moat_policy *policy,
                 bool foreground, struct moat_plan **out, moat_error **err)
{
  struct moat_plan *p = xmalloc0 (sizeof *p);
  for (int t = 0; t < MOAT_NS_COUNT; t++)
    p->ns_fds[t] = -1;
  p->rootfs_tree_fd = -1;
  p->id = xstrdup (o->id);
  p->no_pivot = o->no_pivot;
  p->no_new_keyring = o->no_new_keyring;
  p->foreground = foreground;
  p->console_socket = o->console_socket;
  p->pid_file = o->pid_file;
  int r = -1;
  if (moat_validate_id (o->id, err) < 0 || moat_host_probe (&p->host, err) < 0
      || resolve_paths (p, o->bundle, policy, err) < 0 || check_options (p, err) < 0
      || plan_namespaces (p, o->userns_auto, err) < 0 || plan_sysctls (p, err) < 0
      || plan_uts (p, err) < 0
      || moat_mount_plans_build (p->spec, p->bundle, &p->mounts, err) < 0)
    goto out;
  if (o->seccomp_learn_merge && o->seccomp_learn == NULL)
    {
      moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                       "--seccomp-learn-merge: without --seccomp-learn there is no profile "
                       "to merge with");
      goto out;
    }
  if (o->seccomp_learn)
    moat_seccomp_learn_filter (p->spec);
  if (o->listen_fds > o->preserve_fds)
    {
      moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0, "listen_fds (%u) beyond the "
                       "preserved fds (%u)", o->listen_fds, o->preserve_fds);
      goto out;
    }
  if (o->listen_fds && p->spec->has_process)
    {
      /* socket activation, as runc passes it on: the fds are 3 and up */
      char n[32];
      snprintf (n, sizeof n, "LISTEN_FDS=%u", o->listen_fds);
      p->spec->env = moat_env_set (p->spec->env, n);
      p->spec->env = moat_env_set (p->spec->env, "LISTEN_PID=1");
    }
  /* Without a process (the spec needs one only for start) the init
     waits for a start that refuses: as root of the container, with no
     capability and no_new_privs, at its root.  */
  if (!p->spec->has_process)
    p->spec->no_new_privileges = true;
  const struct moat_spec *s = p->spec;
  if (moat_process_plan_build (s, s->has_seccomp ? &s->seccomp : NULL,
                               p->new_userns ? s : NULL, &p->host, o->preserve_fds,
                               &p->process, err) < 0)
    goto out;
  r = 0;
out:
  if (r < 0)
    {
      moat_plan_free (p);
      return -1;
    }
  *out = p;
  return 0;
}

void
moat_plan_free (struct moat_plan *p)
{
  if (p == NULL)
    return;
  if (p->spec)
    moat_mount_plans_free (p->mounts, p->spec->n_mounts);
  moat_strv_free (p->sysctl_paths);
  moat_strv_free (p->hardened);
  moat_process_plan_clear (&p->process);
  for (int t = 0; t < MOAT_NS_COUNT; t++)
    if (p->ns_fds[t] >= 0)
      close (p->ns_fds[t]);
  if (p->rootfs_tree_fd >= 0)
    close (p->rootfs_tree_fd);
  moat_spec_free (p->spec);
  free (p->config_text);
  free (p->id);
  free (p->bundle);
  free (p->rootfs);
  free (p);
}
