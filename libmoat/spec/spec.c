#include <config.h>
#include "spec.h"
#include "../utils.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <seccomp.h>
#include <yajl/yajl_tree.h>

/* The largest config.json accepted: far above any real bundle, small
   enough that a hostile file cannot exhaust memory.  */
#define MAX_CONFIG_SIZE (16u << 20)

static const char *const ns_names[MOAT_NS_COUNT] = {
  [MOAT_NS_PID] = "pid", [MOAT_NS_NET] = "network", [MOAT_NS_MNT] = "mount",
  [MOAT_NS_IPC] = "ipc", [MOAT_NS_UTS] = "uts", [MOAT_NS_USER] = "user",
  [MOAT_NS_CGROUP] = "cgroup", [MOAT_NS_TIME] = "time",
};

const char *
moat_ns_name (enum moat_ns_type t)
{
  return t < MOAT_NS_COUNT ? ns_names[t] : "?";
}

int
moat_ns_from_name (const char *name)
{
  for (int i = 0; i < MOAT_NS_COUNT; i++)
    if (strcmp (name, ns_names[i]) == 0)
      return i;
  return -1;
}

static const struct { const char *name; int resource; } rlimit_names[] = {
  { "RLIMIT_AS", RLIMIT_AS }, { "RLIMIT_CORE", RLIMIT_CORE },
  { "RLIMIT_CPU", RLIMIT_CPU }, { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_FSIZE", RLIMIT_FSIZE }, { "RLIMIT_LOCKS", RLIMIT_LOCKS },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK }, { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
  { "RLIMIT_NICE", RLIMIT_NICE }, { "RLIMIT_NOFILE", RLIMIT_NOFILE },
  { "RLIMIT_NPROC", RLIMIT_NPROC }, { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_RTPRIO", RLIMIT_RTPRIO }, { "RLIMIT_RTTIME", RLIMIT_RTTIME },
  { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING }, { "RLIMIT_STACK", RLIMIT_STACK },
};

/* ---- typed access to the JSON tree; every error names the field ---- */

static const char *
type_name (yajl_val v)
{
  if (v == NULL)
    return "nothing";
  switch (v->type)
    {
    case yajl_t_string: return "a string";
    case yajl_t_number: return "a number";
    case yajl_t_object: return "an object";
    case yajl_t_array: return "an array";
    case yajl_t_true: case yajl_t_false: return "a boolean";
    case yajl_t_null: return "null";
    default: return "an unknown value";
    }
}

static int
type_error (moat_error **err, const char *field, const char *want, yajl_val got)
{
  return moat_error_set (err, 0, "%s: expected %s, got %s", field, want,
                         type_name (got));
}

/* Member `key` of object `obj`, or NULL (absent or JSON null).  */
static yajl_val
member (yajl_val obj, const char *key)
{
  if (obj == NULL || !YAJL_IS_OBJECT (obj))
    return NULL;
  for (size_t i = 0; i < obj->u.object.len; i++)
    if (strcmp (obj->u.object.keys[i], key) == 0)
      {
        yajl_val v = obj->u.object.values[i];
        return YAJL_IS_NULL (v) ? NULL : v;
      }
  return NULL;
}

static int
get_object (yajl_val obj, const char *key, const char *field, yajl_val *out,
            moat_error **err)
{
  yajl_val v = member (obj, key);
  *out = v;
  if (v != NULL && !YAJL_IS_OBJECT (v))
    return type_error (err, field, "an object", v);
  return 0;
}

static int
get_string (yajl_val obj, const char *key, const char *field, char **out,
            moat_error **err)
{
  yajl_val v = member (obj, key);
  if (v == NULL)
    return 0;
  if (!YAJL_IS_STRING (v))
    return type_error (err, field, "a string", v);
  *out = xstrdup (YAJL_GET_STRING (v));
  return 0;
}

static int
get_bool (yajl_val obj, const char *key, const char *field, bool *out,
          moat_error **err)
{
  yajl_val v = member (obj, key);
  if (v == NULL)
    return 0;
  if (!YAJL_IS_TRUE (v) && !YAJL_IS_FALSE (v))
    return type_error (err, field, "a boolean", v);
  *out = YAJL_IS_TRUE (v);
  return 0;
}

static int
int_value (yajl_val v, const char *field, long long min, long long max,
           long long *out, moat_error **err)
{
  if (v == NULL || !YAJL_IS_INTEGER (v))
    {
      if (v != NULL && YAJL_IS_NUMBER (v))
        return moat_error_set (err, 0, "%s: expected an integer in [%lld, %lld], got `%s`",
                               field, min, max, YAJL_GET_NUMBER (v));
      return type_error (err, field, "an integer", v);
    }
  long long n = YAJL_GET_INTEGER (v);
  if ((v->u.number.flags & YAJL_NUMBER_INT_VALID) == 0 || n < min || n > max)
    return moat_error_set (err, 0, "%s: %s is out of range [%lld, %lld]", field,
                           YAJL_GET_NUMBER (v), min, max);
  *out = n;
  return 0;
}

static int
get_int (yajl_val obj, const char *key, const char *field, long long min,
         long long max, long long *out, bool *present, moat_error **err)
{
  yajl_val v = member (obj, key);
  if (present)
    *present = v != NULL;
  if (v == NULL)
    return 0;
  return int_value (v, field, min, max, out, err);
}

/* An unsigned 64-bit value (rlimits): yajl keeps numbers as text too.  */
static int
get_u64 (yajl_val obj, const char *key, const char *field, uint64_t *out,
         moat_error **err)
{
  yajl_val v = member (obj, key);
  if (v == NULL)
    return moat_error_set (err, 0, "%s: missing", field);
  unsigned long long n;
  if (!YAJL_IS_NUMBER (v) || !parse_uint (YAJL_GET_NUMBER (v), UINT64_MAX, &n))
    {
      if (YAJL_IS_NUMBER (v))
        return moat_error_set (err, 0, "%s: `%s` is not an unsigned 64-bit integer",
                               field, YAJL_GET_NUMBER (v));
      return type_error (err, field, "an unsigned integer", v);
    }
  *out = n;
  return 0;
}

static int
get_strv (yajl_val obj, const char *key, const char *field, char ***out,
          moat_error **err)
{
  yajl_val v = member (obj, key);
  if (v == NULL)
    return 0;
  if (!YAJL_IS_ARRAY (v))
    return type_error (err, field, "an array of strings", v);
  size_t n = v->u.array.len;
  char **r = xmalloc0 ((n + 1) * sizeof (char *));
  for (size_t i = 0; i < n; i++)
    {
      yajl_val e = v->u.array.values[i];
      if (!YAJL_IS_STRING (e))
        {
          strv_free (r);
          autofree char *f = xasprintf ("%s[%zu]", field, i);
          return type_error (err, f, "a string", e);
        }
      r[i] = xstrdup (YAJL_GET_STRING (e));
    }
  *out = r;
  return 0;
}

static int
get_array (yajl_val obj, const char *key, const char *field, yajl_val *out,
           moat_error **err)
{
  yajl_val v = member (obj, key);
  *out = v;
  if (v != NULL && !YAJL_IS_ARRAY (v))
    return type_error (err, field, "an array", v);
  return 0;
}

/* ---- sections ---- */

static int
parse_root (struct moat_spec *s, yajl_val top, moat_error **err)
{
  yajl_val root;
  if (get_object (top, "root", "root", &root, err) < 0)
    return -1;
  if (root == NULL)
    return moat_error_set (err, 0, "root: missing (a container needs a root filesystem)");
  if (get_string (root, "path", "root.path", &s->root_path, err) < 0
      || get_bool (root, "readonly", "root.readonly", &s->root_readonly, err) < 0)
    return -1;
  if (s->root_path == NULL || s->root_path[0] == '\0')
    return moat_error_set (err, 0, "root.path: missing");
  return 0;
}

static int parse_idmaps_at (yajl_val obj, const char *prefix, const char *key,
                            struct moat_idmap **out, size_t *n, moat_error **err);

static int
parse_mounts (struct moat_spec *s, yajl_val top, moat_error **err)
{
  yajl_val arr;
  if (get_array (top, "mounts", "mounts", &arr, err) < 0 || arr == NULL)
    return arr == NULL && !*err ? 0 : -1;
  s->n_mounts = arr->u.array.len;
  s->mounts = xmalloc0 (s->n_mounts * sizeof *s->mounts);
  for (size_t i = 0; i < s->n_mounts; i++)
    {
      yajl_val m = arr->u.array.values[i];
      struct moat_mount *mt = &s->mounts[i];
      autofree char *f = xasprintf ("mounts[%zu]", i);
      if (!YAJL_IS_OBJECT (m))
        return type_error (err, f, "an object", m);
      autofree char *fd = xasprintf ("%s.destination", f);
      autofree char *ft = xasprintf ("%s.type", f);
      autofree char *fs = xasprintf ("%s.source", f);
      autofree char *fo = xasprintf ("%s.options", f);
      if (get_string (m, "destination", fd, &mt->destination, err) < 0
          || get_string (m, "type", ft, &mt->type, err) < 0
          || get_string (m, "source", fs, &mt->source, err) < 0
          || get_strv (m, "options", fo, &mt->options, err) < 0
          || parse_idmaps_at (m, f, "uidMappings", &mt->uid_mappings, &mt->n_uid_mappings,
                              err) < 0
          || parse_idmaps_at (m, f, "gidMappings", &mt->gid_mappings, &mt->n_gid_mappings,
                              err) < 0)
        return -1;
      if ((mt->n_uid_mappings == 0) != (mt->n_gid_mappings == 0))
        return moat_error_set (err, 0, "%s: uidMappings and gidMappings go together", f);
      if (mt->destination == NULL || mt->destination[0] == '\0')
        return moat_error_set (err, 0, "%s: missing", fd);
      if (mt->destination[0] != '/')
        return moat_error_set (err, 0, "%s: `%s` is not an absolute path", fd,
                               mt->destination);
    }
  return 0;
}

static int
parse_caps (struct moat_spec *s, yajl_val proc, moat_error **err)
{
  yajl_val c;
  if (get_object (proc, "capabilities", "process.capabilities", &c, err) < 0)
    return -1;
  if (c == NULL)
    return 0;
  s->has_caps = true;
  return get_strv (c, "bounding", "process.capabilities.bounding", &s->caps.bounding, err)
    | get_strv (c, "effective", "process.capabilities.effective", &s->caps.effective, err)
    | get_strv (c, "inheritable", "process.capabilities.inheritable", &s->caps.inheritable, err)
    | get_strv (c, "permitted", "process.capabilities.permitted", &s->caps.permitted, err)
    | get_strv (c, "ambient", "process.capabilities.ambient", &s->caps.ambient, err);
}

static int
parse_rlimits (struct moat_spec *s, yajl_val proc, moat_error **err)
{
  yajl_val arr;
  if (get_array (proc, "rlimits", "process.rlimits", &arr, err) < 0)
    return -1;
  if (arr == NULL)
    return 0;
  s->n_rlimits = arr->u.array.len;
  s->rlimits = xmalloc0 (s->n_rlimits * sizeof *s->rlimits);
  for (size_t i = 0; i < s->n_rlimits; i++)
    {
      yajl_val r = arr->u.array.values[i];
      struct moat_rlimit *rl = &s->rlimits[i];
      autofree char *f = xasprintf ("process.rlimits[%zu]", i);
      if (!YAJL_IS_OBJECT (r))
        return type_error (err, f, "an object", r);
      autofree char *ft = xasprintf ("%s.type", f);
      autofree char *fs = xasprintf ("%s.soft", f);
      autofree char *fh = xasprintf ("%s.hard", f);
      if (get_string (r, "type", ft, &rl->name, err) < 0
          || get_u64 (r, "soft", fs, &rl->soft, err) < 0
          || get_u64 (r, "hard", fh, &rl->hard, err) < 0)
        return -1;
      if (rl->name == NULL)
        return moat_error_set (err, 0, "%s: missing", ft);
      rl->resource = -1;
      for (size_t k = 0; k < ARRAY_SIZE (rlimit_names); k++)
        if (strcmp (rl->name, rlimit_names[k].name) == 0)
          rl->resource = rlimit_names[k].resource;
      if (rl->resource < 0)
        return moat_error_set (err, 0, "%s: unknown rlimit `%s`", ft, rl->name);
      if (rl->soft > rl->hard)
        return moat_error_set (err, 0, "%s: soft limit %llu is above hard limit %llu",
                               f, (unsigned long long) rl->soft,
                               (unsigned long long) rl->hard);
      for (size_t k = 0; k < i; k++)
        if (s->rlimits[k].resource == rl->resource)
          return moat_error_set (err, 0, "%s: duplicate rlimit `%s`", ft, rl->name);
    }
  return 0;
}

static int
parse_user (struct moat_spec *s, yajl_val proc, moat_error **err)
{
  yajl_val u;
  if (get_object (proc, "user", "process.user", &u, err) < 0)
    return -1;
  if (u == NULL)
    return 0;
  long long v;
  bool present;
  if (get_int (u, "uid", "process.user.uid", 0, UINT32_MAX - 1, &v, &present, err) < 0)
    return -1;
  s->uid = present ? v : 0;
  if (get_int (u, "gid", "process.user.gid", 0, UINT32_MAX - 1, &v, &present, err) < 0)
    return -1;
  s->gid = present ? v : 0;
  if (get_int (u, "umask", "process.user.umask", 0, 0777, &v, &s->has_umask, err) < 0)
    return -1;
  s->umask = s->has_umask ? v : 022;
  yajl_val g;
  if (get_array (u, "additionalGids", "process.user.additionalGids", &g, err) < 0)
    return -1;
  if (g != NULL)
    {
      s->n_additional_gids = g->u.array.len;
      if (s->n_additional_gids > 65536)
        return moat_error_set (err, 0, "process.user.additionalGids: too many groups");
      s->additional_gids = xmalloc0 (s->n_additional_gids * sizeof (uint32_t));
      for (size_t i = 0; i < s->n_additional_gids; i++)
        {
          autofree char *f = xasprintf ("process.user.additionalGids[%zu]", i);
          if (int_value (g->u.array.values[i], f, 0, UINT32_MAX - 1, &v, err) < 0)
            return -1;
          s->additional_gids[i] = v;
        }
    }
  return 0;
}

static const struct { const char *name; int value; } sched_policies[] = {
  { "SCHED_OTHER", SCHED_OTHER }, { "SCHED_FIFO", SCHED_FIFO }, { "SCHED_RR", SCHED_RR },
  { "SCHED_BATCH", SCHED_BATCH }, { "SCHED_ISO", 4 }, { "SCHED_IDLE", SCHED_IDLE },
  { "SCHED_DEADLINE", 6 },
};

static const struct { const char *name; uint64_t value; } sched_flags[] = {
  { "SCHED_FLAG_RESET_ON_FORK", 0x01 }, { "SCHED_FLAG_RECLAIM", 0x02 },
  { "SCHED_FLAG_DL_OVERRUN", 0x04 }, { "SCHED_FLAG_KEEP_POLICY", 0x08 },
  { "SCHED_FLAG_KEEP_PARAMS", 0x10 }, { "SCHED_FLAG_UTIL_CLAMP_MIN", 0x20 },
  { "SCHED_FLAG_UTIL_CLAMP_MAX", 0x40 },
};

static int
parse_scheduler (struct moat_spec *s, yajl_val proc, moat_error **err)
{
  yajl_val sc;
  if (get_object (proc, "scheduler", "process.scheduler", &sc, err) < 0)
    return -1;
  if (sc == NULL)
    return 0;
  struct moat_scheduler *k = &s->scheduler;
  autofree char *policy = NULL;
  if (get_string (sc, "policy", "process.scheduler.policy", &policy, err) < 0)
    return -1;
  if (policy == NULL)
    return moat_error_set (err, 0, "process.scheduler.policy: missing");
  k->policy = -1;
  for (size_t i = 0; i < ARRAY_SIZE (sched_policies); i++)
    if (strcmp (policy, sched_policies[i].name) == 0)
      k->policy = sched_policies[i].value;
  if (k->policy < 0)
    return moat_error_set (err, 0, "process.scheduler.policy: unknown policy `%s`", policy);
  long long v;
  bool present;
  if (get_int (sc, "nice", "process.scheduler.nice", -20, 19, &v, &present, err) < 0)
    return -1;
  k->nice = present ? v : 0;
  if (get_int (sc, "priority", "process.scheduler.priority", 0, 99, &v, &present, err) < 0)
    return -1;
  k->priority = present ? v : 0;
  static const char *const u64s[] = { "runtime", "deadline", "period" };
  uint64_t *dst[] = { &k->runtime, &k->deadline, &k->period };
  for (int i = 0; i < 3; i++)
    {
      autofree char *f = xasprintf ("process.scheduler.%s", u64s[i]);
      if (member (sc, u64s[i]) && get_u64 (sc, u64s[i], f, dst[i], err) < 0)
        return -1;
    }
  char **flags = NULL;
  if (get_strv (sc, "flags", "process.scheduler.flags", &flags, err) < 0)
    return -1;
  for (size_t i = 0; flags && flags[i]; i++)
    {
      bool known = false;
      for (size_t j = 0; j < ARRAY_SIZE (sched_flags); j++)
        if (strcmp (flags[i], sched_flags[j].name) == 0)
          k->flags |= sched_flags[j].value, known = true;
      if (!known)
        {
          moat_error_set (err, 0, "process.scheduler.flags[%zu]: unknown flag `%s`", i,
                          flags[i]);
          strv_free (flags);
          return -1;
        }
    }
  strv_free (flags);
  s->has_scheduler = true;
  return 0;
}

static int
parse_io_priority (struct moat_spec *s, yajl_val proc, moat_error **err)
{
  yajl_val io;
  if (get_object (proc, "ioPriority", "process.ioPriority", &io, err) < 0)
    return -1;
  if (io == NULL)
    return 0;
  autofree char *cls = NULL;
  if (get_string (io, "class", "process.ioPriority.class", &cls, err) < 0)
    return -1;
  static const char *const classes[] = { NULL, "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE",
                                         "IOPRIO_CLASS_IDLE" };
  s->io_class = 0;
  for (int i = 1; cls && i < 4; i++)
    if (strcmp (cls, classes[i]) == 0)
      s->io_class = i;
  if (s->io_class == 0)
    return moat_error_set (err, 0, "process.ioPriority.class: `%s` is not IOPRIO_CLASS_RT, "
                           "IOPRIO_CLASS_BE or IOPRIO_CLASS_IDLE", cls ? cls : "");
  long long v;
  bool present;
  if (get_int (io, "priority", "process.ioPriority.priority", 0, 7, &v, &present, err) < 0)
    return -1;
  s->io_priority = present ? v : 0;
  s->has_io_priority = true;
  return 0;
}

/* A cpu list as the kernel writes them: "0-3,7".  */
static bool
valid_cpu_list (const char *l)
{
  if (*l == '\0')
    return false;
  for (const char *p = l; *p; p++)
    if (!((*p >= '0' && *p <= '9') || *p == '-' || *p == ','))
      return false;
  return true;
}

static int
parse_affinity (struct moat_spec *s, yajl_val proc, moat_error **err)
{
  yajl_val a;
  if (get_object (proc, "execCPUAffinity", "process.execCPUAffinity", &a, err) < 0)
    return -1;
  if (a == NULL)
    return 0;
  if (get_string (a, "initial", "process.execCPUAffinity.initial",
                  &s->cpu_affinity_initial, err) < 0
      || get_string (a, "final", "process.execCPUAffinity.final",
                     &s->cpu_affinity_final, err) < 0)
    return -1;
  if (s->cpu_affinity_initial && !valid_cpu_list (s->cpu_affinity_initial))
    return moat_error_set (err, 0, "process.execCPUAffinity.initial: `%s` is not a cpu list",
                           s->cpu_affinity_initial);
  if (s->cpu_affinity_final && !valid_cpu_list (s->cpu_affinity_final))
    return moat_error_set (err, 0, "process.execCPUAffinity.final: `%s` is not a cpu list",
                           s->cpu_affinity_final);
  return 0;
}

static int
parse_process (struct moat_spec *s, yajl_val top, moat_error **err)
{
  yajl_val p;
  if (get_object (top, "process", "process", &p, err) < 0)
    return -1;
  if (p == NULL)
    return 0;
  s->has_process = true;
  long long v;
  bool present;
  if (get_bool (p, "terminal", "process.terminal", &s->terminal, err) < 0
      || get_strv (p, "args", "process.args", &s->args, err) < 0
      || get_strv (p, "env", "process.env", &s->env, err) < 0
      || get_string (p, "cwd", "process.cwd", &s->cwd, err) < 0
      || get_bool (p, "noNewPrivileges", "process.noNewPrivileges",
                   &s->no_new_privileges, err) < 0
      || get_string (p, "apparmorProfile", "process.apparmorProfile",
                     &s->apparmor_profile, err) < 0
      || get_string (p, "selinuxLabel", "process.selinuxLabel",
                     &s->selinux_label, err) < 0
      || get_int (p, "oomScoreAdj", "process.oomScoreAdj", -1000, 1000, &v,
                  &s->has_oom_score_adj, err) < 0)
    return -1;
  if (s->has_oom_score_adj)
    s->oom_score_adj = v;
  yajl_val cs;
  if (get_object (p, "consoleSize", "process.consoleSize", &cs, err) < 0)
    return -1;
  if (cs != NULL)
    {
      if (get_int (cs, "height", "process.consoleSize.height", 0, UINT16_MAX, &v,
                   &present, err) < 0)
        return -1;
      s->console_height = present ? v : 0;
      if (get_int (cs, "width", "process.consoleSize.width", 0, UINT16_MAX, &v,
                   &present, err) < 0)
        return -1;
      s->console_width = present ? v : 0;
    }
  if (parse_user (s, p, err) < 0 || parse_caps (s, p, err) < 0
      || parse_rlimits (s, p, err) < 0 || parse_scheduler (s, p, err) < 0
      || parse_io_priority (s, p, err) < 0 || parse_affinity (s, p, err) < 0)
    return -1;
  if (s->args == NULL || s->args[0] == NULL)
    return moat_error_set (err, 0, "process.args: must name the program to run");
  if (s->args[0][0] == '\0')
    return moat_error_set (err, 0, "process.args[0]: empty program name");
  if (s->cwd == NULL)
    return moat_error_set (err, 0, "process.cwd: missing");
  if (s->cwd[0] != '/')
    return moat_error_set (err, 0, "process.cwd: `%s` is not an absolute path", s->cwd);
  for (size_t i = 0; s->env && s->env[i]; i++)
    if (strchr (s->env[i], '=') == NULL)
      return moat_error_set (err, 0, "process.env[%zu]: `%s` is not KEY=VALUE", i,
                             s->env[i]);
  return 0;
}

static int
parse_idmaps_at (yajl_val lin, const char *prefix, const char *key,
                 struct moat_idmap **out, size_t *n, moat_error **err)
{
  autofree char *field = xasprintf ("%s.%s", prefix, key);
  yajl_val arr;
  if (get_array (lin, key, field, &arr, err) < 0)
    return -1;
  if (arr == NULL)
    return 0;
  *n = arr->u.array.len;
  if (*n > 340)
    return moat_error_set (err, 0, "%s: at most 340 ranges are allowed", field);
  *out = xmalloc0 (*n * sizeof **out);
  for (size_t i = 0; i < *n; i++)
    {
      yajl_val m = arr->u.array.values[i];
      autofree char *f = xasprintf ("%s[%zu]", field, i);
      if (!YAJL_IS_OBJECT (m))
        return type_error (err, f, "an object", m);
      long long c, h, sz;
      bool pc, ph, ps;
      autofree char *f1 = xasprintf ("%s.containerID", f);
      autofree char *f2 = xasprintf ("%s.hostID", f);
      autofree char *f3 = xasprintf ("%s.size", f);
      if (get_int (m, "containerID", f1, 0, UINT32_MAX - 1, &c, &pc, err) < 0
          || get_int (m, "hostID", f2, 0, UINT32_MAX - 1, &h, &ph, err) < 0
          || get_int (m, "size", f3, 1, UINT32_MAX, &sz, &ps, err) < 0)
        return -1;
      if (!pc || !ph || !ps)
        return moat_error_set (err, 0, "%s: containerID, hostID and size are required", f);
      if (c + sz > (long long) UINT32_MAX || h + sz > (long long) UINT32_MAX)
        return moat_error_set (err, 0, "%s: range overflows 32-bit ids", f);
      (*out)[i] = (struct moat_idmap) { c, h, sz };
    }
  return 0;
}

static int
parse_idmaps (yajl_val lin, const char *key, struct moat_idmap **out, size_t *n,
              moat_error **err)
{
  return parse_idmaps_at (lin, "linux", key, out, n, err);
}

static int
parse_namespaces (struct moat_spec *s, yajl_val lin, moat_error **err)
{
  yajl_val arr;
  if (get_array (lin, "namespaces", "linux.namespaces", &arr, err) < 0)
    return -1;
  for (size_t i = 0; arr && i < arr->u.array.len; i++)
    {
      yajl_val n = arr->u.array.values[i];
      autofree char *f = xasprintf ("linux.namespaces[%zu]", i);
      if (!YAJL_IS_OBJECT (n))
        return type_error (err, f, "an object", n);
      autofree char *ft = xasprintf ("%s.type", f);
      autofree char *fp = xasprintf ("%s.path", f);
      autofree char *type = NULL;
      char *path = NULL;
      if (get_string (n, "type", ft, &type, err) < 0
          || get_string (n, "path", fp, &path, err) < 0)
        return -1;
      if (type == NULL)
        {
          free (path);
          return moat_error_set (err, 0, "%s: missing", ft);
        }
      int t = moat_ns_from_name (type);
      if (t < 0)
        {
          free (path);
          return moat_error_set (err, 0, "%s: unknown namespace type `%s`", ft, type);
        }
      if (s->ns[t].present)
        {
          free (path);
          return moat_error_set (err, 0, "%s: duplicate `%s` namespace", ft, type);
        }
      if (path != NULL && path[0] != '/')
        {
          moat_error_set (err, 0, "%s: `%s` is not an absolute path", fp, path);
          free (path);
          return -1;
        }
      s->ns[t].present = true;
      s->ns[t].path = path;
    }
  return 0;
}

static int
parse_string_map (yajl_val obj, const char *key, const char *field,
                  struct moat_annotation **out, size_t *n, moat_error **err)
{
  yajl_val m;
  if (get_object (obj, key, field, &m, err) < 0)
    return -1;
  if (m == NULL)
    return 0;
  *n = m->u.object.len;
  *out = xmalloc0 (*n * sizeof **out);
  for (size_t i = 0; i < *n; i++)
    {
      yajl_val v = m->u.object.values[i];
      autofree char *f = xasprintf ("%s.%s", field, m->u.object.keys[i]);
      if (!YAJL_IS_STRING (v))
        return type_error (err, f, "a string", v);
      (*out)[i].key = xstrdup (m->u.object.keys[i]);
      (*out)[i].value = xstrdup (YAJL_GET_STRING (v));
    }
  return 0;
}

static int
parse_time_offsets (struct moat_spec *s, yajl_val lin, moat_error **err)
{
  yajl_val t;
  if (get_object (lin, "timeOffsets", "linux.timeOffsets", &t, err) < 0)
    return -1;
  if (t == NULL)
    return 0;
  static const char *const clocks[] = { "monotonic", "boottime" };
  for (int i = 0; i < 2; i++)
    {
      yajl_val c;
      autofree char *f = xasprintf ("linux.timeOffsets.%s", clocks[i]);
      if (get_object (t, clocks[i], f, &c, err) < 0)
        return -1;
      if (c == NULL)
        continue;
      autofree char *fs = xasprintf ("%s.secs", f);
      autofree char *fn = xasprintf ("%s.nanosecs", f);
      long long v;
      bool present;
      if (get_int (c, "secs", fs, INT64_MIN / 2, INT64_MAX / 2, &v, &present, err) < 0)
        return -1;
      s->time_offsets[i][0] = present ? v : 0;
      if (get_int (c, "nanosecs", fn, 0, 999999999, &v, &present, err) < 0)
        return -1;
      s->time_offsets[i][1] = present ? v : 0;
      s->has_time_offsets = true;
    }
  return 0;
}

static int
parse_device_access (const char *a, const char *field, unsigned *out, moat_error **err)
{
  *out = 0;
  for (const char *p = a; *p; p++)
    switch (*p)
      {
      case 'r': *out |= MOAT_DEV_READ; break;
      case 'w': *out |= MOAT_DEV_WRITE; break;
      case 'm': *out |= MOAT_DEV_MKNOD; break;
      default:
        return moat_error_set (err, 0, "%s: `%s` is not a combination of r, w and m",
                               field, a);
      }
  return 0;
}

static int
parse_resources (struct moat_spec *s, yajl_val lin, moat_error **err)
{
  yajl_val res;
  if (get_object (lin, "resources", "linux.resources", &res, err) < 0)
    return -1;
  if (res == NULL)
    return 0;
  for (size_t i = 0; i < res->u.object.len; i++)
    {
      const char *k = res->u.object.keys[i];
      if (strcmp (k, "devices") == 0 || YAJL_IS_NULL (res->u.object.values[i]))
        continue;
      char *n = s->unapplied_resources ? xasprintf ("%s, %s", s->unapplied_resources, k)
        : xstrdup (k);
      free (s->unapplied_resources);
      s->unapplied_resources = n;
    }
  yajl_val arr;
  if (get_array (res, "devices", "linux.resources.devices", &arr, err) < 0)
    return -1;
  if (arr == NULL)
    return 0;
  s->n_device_rules = arr->u.array.len;
  s->device_rules = xmalloc0 (s->n_device_rules * sizeof *s->device_rules);
  for (size_t i = 0; i < s->n_device_rules; i++)
    {
      yajl_val d = arr->u.array.values[i];
      struct moat_device_rule *r = &s->device_rules[i];
      autofree char *f = xasprintf ("linux.resources.devices[%zu]", i);
      if (!YAJL_IS_OBJECT (d))
        return type_error (err, f, "an object", d);
      autofree char *fa = xasprintf ("%s.allow", f);
      autofree char *ft = xasprintf ("%s.type", f);
      autofree char *fma = xasprintf ("%s.major", f);
      autofree char *fmi = xasprintf ("%s.minor", f);
      autofree char *fac = xasprintf ("%s.access", f);
      autofree char *type = NULL, *access = NULL;
      long long v;
      bool present;
      yajl_val allow = member (d, "allow");
      if (allow == NULL)
        return moat_error_set (err, 0, "%s: missing", fa);
      if (get_bool (d, "allow", fa, &r->allow, err) < 0
          || get_string (d, "type", ft, &type, err) < 0
          || get_string (d, "access", fac, &access, err) < 0)
        return -1;
      r->type = type ? type[0] : 'a';
      if (type && (strlen (type) != 1 || strchr ("acb", type[0]) == NULL))
        return moat_error_set (err, 0, "%s: `%s` is not a, c or b", ft, type);
      if (get_int (d, "major", fma, -1, UINT32_MAX, &v, &present, err) < 0)
        return -1;
      r->major = present ? v : -1;
      if (get_int (d, "minor", fmi, -1, UINT32_MAX, &v, &present, err) < 0)
        return -1;
      r->minor = present ? v : -1;
      if (access == NULL)
        r->access = MOAT_DEV_READ | MOAT_DEV_WRITE | MOAT_DEV_MKNOD;
      else if (parse_device_access (access, fac, &r->access, err) < 0)
        return -1;
    }
  return 0;
}

static int
parse_devices (struct moat_spec *s, yajl_val lin, moat_error **err)
{
  yajl_val arr;
  if (get_array (lin, "devices", "linux.devices", &arr, err) < 0)
    return -1;
  if (arr == NULL)
    return 0;
  s->n_devices = arr->u.array.len;
  s->devices = xmalloc0 (s->n_devices * sizeof *s->devices);
  for (size_t i = 0; i < s->n_devices; i++)
    {
      yajl_val d = arr->u.array.values[i];
      struct moat_device *dev = &s->devices[i];
      autofree char *f = xasprintf ("linux.devices[%zu]", i);
      if (!YAJL_IS_OBJECT (d))
        return type_error (err, f, "an object", d);
      autofree char *fp = xasprintf ("%s.path", f);
      autofree char *ft = xasprintf ("%s.type", f);
      autofree char *fma = xasprintf ("%s.major", f);
      autofree char *fmi = xasprintf ("%s.minor", f);
      autofree char *fm = xasprintf ("%s.fileMode", f);
      autofree char *fu = xasprintf ("%s.uid", f);
      autofree char *fg = xasprintf ("%s.gid", f);
      autofree char *type = NULL;
      long long v;
      bool pma, pmi;
      if (get_string (d, "path", fp, &dev->path, err) < 0
          || get_string (d, "type", ft, &type, err) < 0)
        return -1;
      if (dev->path == NULL || dev->path[0] != '/')
        return moat_error_set (err, 0, "%s: must be an absolute path", fp);
      if (type == NULL || strlen (type) != 1 || strchr ("cbup", type[0]) == NULL)
        return moat_error_set (err, 0, "%s: must be c, b, u or p", ft);
      dev->type = type[0];
      if (get_int (d, "major", fma, 0, UINT32_MAX, &v, &pma, err) < 0)
        return -1;
      dev->major = v;
      if (get_int (d, "minor", fmi, 0, UINT32_MAX, &v, &pmi, err) < 0)
        return -1;
      dev->minor = v;
      if (dev->type != 'p' && (!pma || !pmi))
        return moat_error_set (err, 0, "%s: major and minor are required for type %c",
                               f, dev->type);
      if (get_int (d, "fileMode", fm, 0, 07777, &v, &dev->has_mode, err) < 0)
        return -1;
      dev->mode = dev->has_mode ? v : 0;
      if (get_int (d, "uid", fu, 0, UINT32_MAX - 1, &v, &dev->has_uid, err) < 0)
        return -1;
      dev->uid = dev->has_uid ? v : 0;
      if (get_int (d, "gid", fg, 0, UINT32_MAX - 1, &v, &dev->has_gid, err) < 0)
        return -1;
      dev->gid = dev->has_gid ? v : 0;
    }
  return 0;
}

/* An action name, with its errnoRet for SCMP_ACT_ERRNO / SCMP_ACT_TRACE
   (EPERM when absent, as the spec says).  */
static int
seccomp_action (const char *name, yajl_val holder, const char *field, uint32_t *out,
                moat_error **err)
{
  long long e = EPERM;
  bool has_errno = false;
  autofree char *ferr = xasprintf ("%s errnoRet", field);
  const char *errno_key = strstr (field, "defaultAction") ? "defaultErrnoRet" : "errnoRet";
  if (get_int (holder, errno_key, ferr, 0, 4095, &e, &has_errno, err) < 0)
    return -1;
  if (!has_errno)
    e = EPERM;
  if (strcmp (name, "SCMP_ACT_ALLOW") == 0)
    *out = SCMP_ACT_ALLOW;
  else if (strcmp (name, "SCMP_ACT_ERRNO") == 0)
    *out = SCMP_ACT_ERRNO ((uint16_t) e);
  else if (strcmp (name, "SCMP_ACT_KILL") == 0 || strcmp (name, "SCMP_ACT_KILL_THREAD") == 0)
    *out = SCMP_ACT_KILL_THREAD;
  else if (strcmp (name, "SCMP_ACT_KILL_PROCESS") == 0)
    *out = SCMP_ACT_KILL_PROCESS;
  else if (strcmp (name, "SCMP_ACT_TRAP") == 0)
    *out = SCMP_ACT_TRAP;
  else if (strcmp (name, "SCMP_ACT_TRACE") == 0)
    *out = SCMP_ACT_TRACE ((uint16_t) e);
  else if (strcmp (name, "SCMP_ACT_LOG") == 0)
    *out = SCMP_ACT_LOG;
  else if (strcmp (name, "SCMP_ACT_NOTIFY") == 0)
    return moat_error_set (err, 0, "%s: SCMP_ACT_NOTIFY (a seccomp agent) is not "
                           "supported by this version of moat", field);
  else
    return moat_error_set (err, 0, "%s: unknown action `%s`", field, name);
  return 0;
}

static const struct { const char *name; int op; } seccomp_ops[] = {
  { "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT },
  { "SCMP_CMP_LE", SCMP_CMP_LE }, { "SCMP_CMP_EQ", SCMP_CMP_EQ },
  { "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
  { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

static int
parse_seccomp_args (yajl_val rule, const char *f, struct moat_seccomp_rule *r,
                    moat_error **err)
{
  autofree char *fa = xasprintf ("%s.args", f);
  yajl_val arr;
  if (get_array (rule, "args", fa, &arr, err) < 0)
    return -1;
  if (arr == NULL)
    return 0;
  r->n_args = arr->u.array.len;
  if (r->n_args > 6)
    return moat_error_set (err, 0, "%s: at most 6 arguments", fa);
  r->args = xmalloc0 (r->n_args * sizeof *r->args);
  for (size_t i = 0; i < r->n_args; i++)
    {
      yajl_val a = arr->u.array.values[i];
      autofree char *fi = xasprintf ("%s[%zu]", fa, i);
      if (!YAJL_IS_OBJECT (a))
        return type_error (err, fi, "an object", a);
      autofree char *fidx = xasprintf ("%s.index", fi);
      autofree char *fv = xasprintf ("%s.value", fi);
      autofree char *fv2 = xasprintf ("%s.valueTwo", fi);
      autofree char *fop = xasprintf ("%s.op", fi);
      autofree char *op = NULL;
      long long idx;
      bool present;
      if (get_int (a, "index", fidx, 0, 5, &idx, &present, err) < 0
          || get_u64 (a, "value", fv, &r->args[i].value, err) < 0
          || (member (a, "valueTwo") && get_u64 (a, "valueTwo", fv2, &r->args[i].value_two,
                                                 err) < 0)
          || get_string (a, "op", fop, &op, err) < 0)
        return -1;
      if (!present)
        return moat_error_set (err, 0, "%s: missing", fidx);
      r->args[i].index = idx;
      r->args[i].op = 0;
      for (size_t k = 0; op && k < ARRAY_SIZE (seccomp_ops); k++)
        if (strcmp (op, seccomp_ops[k].name) == 0)
          r->args[i].op = seccomp_ops[k].op;
      if (r->args[i].op == 0)
        return moat_error_set (err, 0, "%s: unknown operator `%s`", fop, op ? op : "");
    }
  return 0;
}

static int
parse_seccomp (struct moat_spec *s, yajl_val sc, moat_error **err)
{
  struct moat_seccomp *k = &s->seccomp;
  autofree char *def = NULL;
  if (get_string (sc, "defaultAction", "linux.seccomp.defaultAction", &def, err) < 0)
    return -1;
  if (def == NULL)
    return moat_error_set (err, 0, "linux.seccomp.defaultAction: missing");
  if (seccomp_action (def, sc, "linux.seccomp.defaultAction", &k->default_action, err) < 0)
    return -1;
  char **arches = NULL, **flags = NULL;
  if (get_strv (sc, "architectures", "linux.seccomp.architectures", &arches, err) < 0)
    return -1;
  k->architectures = arches;
  for (size_t i = 0; arches && arches[i]; i++)
    {
      /* SCMP_ARCH_X86_64 -> x86_64, as libseccomp names them */
      if (strncmp (arches[i], "SCMP_ARCH_", 10) != 0)
        return moat_error_set (err, 0, "linux.seccomp.architectures[%zu]: `%s` is not "
                               "SCMP_ARCH_*", i, arches[i]);
      char *n = xstrdup (arches[i] + 10);
      for (char *p = n; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
          *p += 'a' - 'A';
      if (seccomp_arch_resolve_name (n) == 0)
        {
          moat_error_set (err, 0, "linux.seccomp.architectures[%zu]: unknown "
                          "architecture `%s`", i, arches[i]);
          free (n);
          return -1;
        }
      free (arches[i]);
      arches[i] = n;
    }
  if (member (sc, "listenerPath"))
    return moat_error_set (err, 0, "linux.seccomp.listenerPath: seccomp agents are not "
                           "supported by this version of moat");
  if (get_strv (sc, "flags", "linux.seccomp.flags", &flags, err) < 0)
    return -1;
  for (size_t i = 0; flags && flags[i]; i++)
    {
      if (strcmp (flags[i], "SECCOMP_FILTER_FLAG_TSYNC") == 0)
        k->flag_tsync = true;
      else if (strcmp (flags[i], "SECCOMP_FILTER_FLAG_LOG") == 0)
        k->flag_log = true;
      else if (strcmp (flags[i], "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
        k->flag_spec_allow = true;
      else
        {
          moat_error_set (err, 0, "linux.seccomp.flags[%zu]: unknown flag `%s`", i,
                          flags[i]);
          strv_free (flags);
          return -1;
        }
    }
  strv_free (flags);
  yajl_val arr;
  if (get_array (sc, "syscalls", "linux.seccomp.syscalls", &arr, err) < 0)
    return -1;
  k->n_rules = arr ? arr->u.array.len : 0;
  k->rules = xmalloc0 (k->n_rules * sizeof *k->rules);
  for (size_t i = 0; i < k->n_rules; i++)
    {
      yajl_val r = arr->u.array.values[i];
      autofree char *f = xasprintf ("linux.seccomp.syscalls[%zu]", i);
      if (!YAJL_IS_OBJECT (r))
        return type_error (err, f, "an object", r);
      autofree char *fn = xasprintf ("%s.names", f);
      autofree char *fa = xasprintf ("%s.action", f);
      autofree char *action = NULL;
      if (get_strv (r, "names", fn, &k->rules[i].names, err) < 0
          || get_string (r, "action", fa, &action, err) < 0)
        return -1;
      if (k->rules[i].names == NULL || k->rules[i].names[0] == NULL)
        return moat_error_set (err, 0, "%s: must name at least one syscall", fn);
      if (action == NULL)
        return moat_error_set (err, 0, "%s: missing", fa);
      if (seccomp_action (action, r, fa, &k->rules[i].action, err) < 0
          || parse_seccomp_args (r, f, &k->rules[i], err) < 0)
        return -1;
    }
  return 0;
}

static int
parse_linux (struct moat_spec *s, yajl_val top, moat_error **err)
{
  yajl_val lin;
  if (get_object (top, "linux", "linux", &lin, err) < 0)
    return -1;
  if (lin == NULL)
    return 0;
  if (parse_namespaces (s, lin, err) < 0
      || parse_idmaps (lin, "uidMappings", &s->uid_mappings, &s->n_uid_mappings, err) < 0
      || parse_idmaps (lin, "gidMappings", &s->gid_mappings, &s->n_gid_mappings, err) < 0
      || get_string (lin, "cgroupsPath", "linux.cgroupsPath", &s->cgroups_path, err) < 0
      || parse_string_map (lin, "sysctl", "linux.sysctl", &s->sysctl, &s->n_sysctl, err) < 0
      || get_strv (lin, "maskedPaths", "linux.maskedPaths", &s->masked_paths, err) < 0
      || get_strv (lin, "readonlyPaths", "linux.readonlyPaths", &s->readonly_paths, err) < 0
      || get_string (lin, "rootfsPropagation", "linux.rootfsPropagation",
                     &s->rootfs_propagation, err) < 0
      || get_string (lin, "mountLabel", "linux.mountLabel", &s->mount_label, err) < 0
      || parse_time_offsets (s, lin, err) < 0
      || parse_resources (s, lin, err) < 0
      || parse_devices (s, lin, err) < 0)
    return -1;
  yajl_val pers;
  if (get_object (lin, "personality", "linux.personality", &pers, err) < 0)
    return -1;
  if (pers)
    {
      autofree char *domain = NULL;
      char **flags = NULL;
      if (get_string (pers, "domain", "linux.personality.domain", &domain, err) < 0
          || get_strv (pers, "flags", "linux.personality.flags", &flags, err) < 0)
        return -1;
      bool has_flags = flags && flags[0];
      strv_free (flags);
      if (has_flags)
        return moat_error_set (err, 0, "linux.personality.flags: no flags are defined "
                               "by the runtime spec");
      if (domain && strcmp (domain, "LINUX") == 0)
        s->personality = PER_LINUX;
      else if (domain && strcmp (domain, "LINUX32") == 0)
        s->personality = PER_LINUX32;
      else
        return moat_error_set (err, 0, "linux.personality.domain: `%s` is not LINUX or "
                               "LINUX32", domain ? domain : "");
      s->has_personality = true;
    }
  s->has_intel_rdt = member (lin, "intelRdt") != NULL;
  yajl_val sc;
  if (get_object (lin, "seccomp", "linux.seccomp", &sc, err) < 0)
    return -1;
  s->has_seccomp = sc != NULL;
  if (sc && parse_seccomp (s, sc, err) < 0)
    return -1;
  if (s->cgroups_path && strstr (s->cgroups_path, "..") != NULL)
    return moat_error_set (err, 0, "linux.cgroupsPath: `%s` must not contain `..`",
                           s->cgroups_path);
  static const char *const props[] = { "private", "rprivate", "slave", "rslave",
                                       "shared", "rshared", "unbindable", "runbindable" };
  if (s->rootfs_propagation)
    {
      bool ok = false;
      for (size_t i = 0; i < ARRAY_SIZE (props); i++)
        ok |= strcmp (s->rootfs_propagation, props[i]) == 0;
      if (!ok)
        return moat_error_set (err, 0, "linux.rootfsPropagation: unknown value `%s`",
                               s->rootfs_propagation);
    }
  return 0;
}

static int
parse_hook_list (yajl_val hooks, const char *key, struct moat_hook **out, size_t *n,
                 moat_error **err)
{
  autofree char *field = xasprintf ("hooks.%s", key);
  yajl_val arr;
  if (get_array (hooks, key, field, &arr, err) < 0)
    return -1;
  if (arr == NULL)
    return 0;
  *n = arr->u.array.len;
  *out = xmalloc0 (*n * sizeof **out);
  for (size_t i = 0; i < *n; i++)
    {
      yajl_val h = arr->u.array.values[i];
      autofree char *f = xasprintf ("%s[%zu]", field, i);
      if (!YAJL_IS_OBJECT (h))
        return type_error (err, f, "an object", h);
      autofree char *fp = xasprintf ("%s.path", f);
      autofree char *fa = xasprintf ("%s.args", f);
      autofree char *fe = xasprintf ("%s.env", f);
      autofree char *ft = xasprintf ("%s.timeout", f);
      long long t;
      bool present;
      if (get_string (h, "path", fp, &(*out)[i].path, err) < 0
          || get_strv (h, "args", fa, &(*out)[i].args, err) < 0
          || get_strv (h, "env", fe, &(*out)[i].env, err) < 0
          || get_int (h, "timeout", ft, 1, INT_MAX, &t, &present, err) < 0)
        return -1;
      (*out)[i].timeout = present ? t : 0;
      if ((*out)[i].path == NULL || (*out)[i].path[0] != '/')
        return moat_error_set (err, 0, "%s: must be an absolute path", fp);
    }
  return 0;
}

static int
parse_hooks (struct moat_spec *s, yajl_val top, moat_error **err)
{
  yajl_val h;
  struct moat_hooks *k = &s->hooks;
  if (get_object (top, "hooks", "hooks", &h, err) < 0)
    return -1;
  if (h == NULL)
    return 0;
  return parse_hook_list (h, "prestart", &k->prestart, &k->n_prestart, err) < 0
    || parse_hook_list (h, "createRuntime", &k->create_runtime, &k->n_create_runtime, err) < 0
    || parse_hook_list (h, "createContainer", &k->create_container,
                        &k->n_create_container, err) < 0
    || parse_hook_list (h, "startContainer", &k->start_container,
                        &k->n_start_container, err) < 0
    || parse_hook_list (h, "poststart", &k->poststart, &k->n_poststart, err) < 0
    || parse_hook_list (h, "poststop", &k->poststop, &k->n_poststop, err) < 0 ? -1 : 0;
}

/* Only sysctls that belong to a namespace the container owns may be set:
   anything else would change the host.  */
static int
check_sysctl (const struct moat_spec *s, const char *key, moat_error **err)
{
  static const char *const ipc_keys[] = {
    "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall",
    "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
  };
  if (key[0] == '\0' || key[0] == '.' || key[0] == '/' || strstr (key, "..")
      || strstr (key, "/."))
    return moat_error_set (err, 0, "linux.sysctl: invalid key `%s`", key);
  bool ipc = strncmp (key, "fs.mqueue.", 10) == 0;
  for (size_t i = 0; i < ARRAY_SIZE (ipc_keys); i++)
    ipc |= strcmp (key, ipc_keys[i]) == 0;
  const char *why = NULL;
  /* new, or joined by path: launch checks a joined one is not the host's */
  if (ipc)
    why = s->ns[MOAT_NS_IPC].present ? NULL : "an ipc";
  else if (strncmp (key, "net.", 4) == 0)
    why = s->ns[MOAT_NS_NET].present ? NULL : "a network";
  else if (strcmp (key, "kernel.hostname") == 0 || strcmp (key, "kernel.domainname") == 0)
    why = s->ns[MOAT_NS_UTS].present ? NULL : "a uts";
  else
    return moat_error_set (err, 0, "linux.sysctl: `%s` is not namespaced: setting it "
                           "would change the host", key);
  if (why)
    return moat_error_set (err, 0, "linux.sysctl: `%s` needs %s namespace of the "
                           "container's own", key, why);
  return 0;
}

/* Rules that involve several fields at once.  */
static int
validate (struct moat_spec *s, moat_error **err)
{
  const struct moat_namespace *user = &s->ns[MOAT_NS_USER];
  bool new_userns = user->present && user->path == NULL;
  if ((s->n_uid_mappings || s->n_gid_mappings) && !new_userns)
    return moat_error_set (err, 0, "linux.uidMappings: id mappings need a new user "
                           "namespace (add {\"type\": \"user\"} to linux.namespaces)");
  if (new_userns && (s->n_uid_mappings == 0 || s->n_gid_mappings == 0))
    return moat_error_set (err, 0, "linux.namespaces: a new user namespace needs both "
                           "linux.uidMappings and linux.gidMappings");
  const struct moat_namespace *uts = &s->ns[MOAT_NS_UTS];
  if (s->hostname && s->hostname[0] && !(uts->present && uts->path == NULL))
    return moat_error_set (err, 0, "hostname: setting the hostname needs a new uts "
                           "namespace");
  if (s->domainname && s->domainname[0] && !(uts->present && uts->path == NULL))
    return moat_error_set (err, 0, "domainname: setting the domain name needs a new "
                           "uts namespace");
  if (s->has_time_offsets && !(s->ns[MOAT_NS_TIME].present
                               && s->ns[MOAT_NS_TIME].path == NULL))
    return moat_error_set (err, 0, "linux.timeOffsets: time offsets need a new time "
                           "namespace");
  if (!s->ns[MOAT_NS_MNT].present)
    return moat_error_set (err, 0, "linux.namespaces: a mount namespace is required "
                           "(the container's root is set up in it)");
  if (s->ns[MOAT_NS_MNT].path != NULL)
    return moat_error_set (err, 0, "linux.namespaces: joining an existing mount "
                           "namespace is not supported (the root would be changed "
                           "for every process in it)");
  for (size_t i = 0; i < s->n_sysctl; i++)
    if (check_sysctl (s, s->sysctl[i].key, err) < 0)
      return -1;
  if (s->hostname && strlen (s->hostname) > 64)
    return moat_error_set (err, 0, "hostname: longer than 64 characters");
  if (s->domainname && strlen (s->domainname) > 64)
    return moat_error_set (err, 0, "domainname: longer than 64 characters");
  return 0;
}

struct moat_spec *
moat_spec_parse (const char *json, size_t len, moat_error **err)
{
  char errbuf[256] = "";
  (void) len;
  yajl_val top = yajl_tree_parse (json, errbuf, sizeof errbuf);
  if (top == NULL)
    {
      /* yajl's message spans lines; keep the first one.  */
      char *nl = strchr (errbuf, '\n');
      if (nl)
        *nl = '\0';
      moat_error_set (err, 0, "invalid JSON: %s", errbuf[0] ? errbuf : "parse error");
      return NULL;
    }
  struct moat_spec *s = xmalloc0 (sizeof *s);
  int r = 0;
  if (!YAJL_IS_OBJECT (top))
    r = type_error (err, "(top level)", "an object", top);
  if (r == 0)
    r = get_string (top, "ociVersion", "ociVersion", &s->oci_version, err);
  if (r == 0 && s->oci_version == NULL)
    r = moat_error_set (err, 0, "ociVersion: missing");
  if (r == 0 && strncmp (s->oci_version, "1.", 2) != 0)
    r = moat_error_set (err, 0, "ociVersion: `%s` is not a 1.x version", s->oci_version);
  if (r == 0)
    r = parse_root (s, top, err);
  if (r == 0)
    r = parse_mounts (s, top, err);
  if (r == 0)
    r = parse_process (s, top, err);
  if (r == 0)
    r = get_string (top, "hostname", "hostname", &s->hostname, err);
  if (r == 0)
    r = get_string (top, "domainname", "domainname", &s->domainname, err);
  if (r == 0)
    r = parse_string_map (top, "annotations", "annotations", &s->annotations,
                          &s->n_annotations, err);
  if (r == 0)
    r = parse_hooks (s, top, err);
  if (r == 0)
    r = parse_linux (s, top, err);
  if (r == 0)
    r = validate (s, err);
  yajl_tree_free (top);
  if (r < 0)
    {
      moat_spec_free (s);
      return NULL;
    }
  return s;
}

struct moat_spec *
moat_spec_parse_process (const char *json, moat_error **err)
{
  char errbuf[256] = "";
  yajl_val p = yajl_tree_parse (json, errbuf, sizeof errbuf);
  if (p == NULL)
    {
      char *nl = strchr (errbuf, '\n');
      if (nl)
        *nl = '\0';
      moat_error_set (err, 0, "invalid JSON: %s", errbuf[0] ? errbuf : "parse error");
      return NULL;
    }
  /* parse it as the "process" member of a config */
  const char *key = "process";
  yajl_val top = xmalloc0 (sizeof *top);
  top->type = yajl_t_object;
  top->u.object.keys = &key;
  top->u.object.values = &p;
  top->u.object.len = 1;
  struct moat_spec *s = xmalloc0 (sizeof *s);
  int r = YAJL_IS_OBJECT (p) ? parse_process (s, top, err)
    : type_error (err, "process", "an object", p);
  free (top);
  yajl_tree_free (p);
  if (r < 0)
    {
      moat_spec_free (s);
      return NULL;
    }
  return s;
}

struct moat_spec *
moat_spec_load (const char *bundle, moat_error **err)
{
  autofree char *path = xasprintf ("%s/config.json", bundle);
  autofree char *text = NULL;
  size_t len;
  if (read_file_at (AT_FDCWD, path, MAX_CONFIG_SIZE, &text, &len, err) < 0)
    return NULL;
  if (strlen (text) != len)
    {
      moat_error_set (err, 0, "%s: contains a NUL byte", path);
      return NULL;
    }
  struct moat_spec *s = moat_spec_parse (text, len, err);
  if (s == NULL)
    moat_error_prefix (err, "%s", path);
  return s;
}

static void
free_hooks (struct moat_hook *h, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (h[i].path);
      strv_free (h[i].args);
      strv_free (h[i].env);
    }
  free (h);
}

static void
free_map (struct moat_annotation *a, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (a[i].key);
      free (a[i].value);
    }
  free (a);
}

void
moat_spec_free (struct moat_spec *s)
{
  if (s == NULL)
    return;
  free (s->oci_version);
  free (s->root_path);
  for (size_t i = 0; i < s->n_mounts; i++)
    {
      free (s->mounts[i].destination);
      free (s->mounts[i].type);
      free (s->mounts[i].source);
      strv_free (s->mounts[i].options);
      free (s->mounts[i].uid_mappings);
      free (s->mounts[i].gid_mappings);
    }
  free (s->mounts);
  free (s->additional_gids);
  strv_free (s->args);
  strv_free (s->env);
  free (s->cwd);
  strv_free (s->caps.bounding);
  strv_free (s->caps.effective);
  strv_free (s->caps.inheritable);
  strv_free (s->caps.permitted);
  strv_free (s->caps.ambient);
  for (size_t i = 0; i < s->n_rlimits; i++)
    free (s->rlimits[i].name);
  free (s->rlimits);
  free (s->apparmor_profile);
  free (s->selinux_label);
  free (s->cpu_affinity_initial);
  free (s->cpu_affinity_final);
  free (s->hostname);
  free (s->domainname);
  free_hooks (s->hooks.prestart, s->hooks.n_prestart);
  free_hooks (s->hooks.create_runtime, s->hooks.n_create_runtime);
  free_hooks (s->hooks.create_container, s->hooks.n_create_container);
  free_hooks (s->hooks.start_container, s->hooks.n_start_container);
  free_hooks (s->hooks.poststart, s->hooks.n_poststart);
  free_hooks (s->hooks.poststop, s->hooks.n_poststop);
  free_map (s->annotations, s->n_annotations);
  for (int i = 0; i < MOAT_NS_COUNT; i++)
    free (s->ns[i].path);
  free (s->uid_mappings);
  free (s->gid_mappings);
  free (s->cgroups_path);
  free_map (s->sysctl, s->n_sysctl);
  strv_free (s->masked_paths);
  strv_free (s->readonly_paths);
  free (s->rootfs_propagation);
  free (s->mount_label);
  free (s->device_rules);
  strv_free (s->seccomp.architectures);
  for (size_t i = 0; i < s->seccomp.n_rules; i++)
    {
      strv_free (s->seccomp.rules[i].names);
      free (s->seccomp.rules[i].args);
    }
  free (s->seccomp.rules);
  for (size_t i = 0; i < s->n_devices; i++)
    free (s->devices[i].path);
  free (s->devices);
  free (s->unapplied_resources);
  free (s);
}
