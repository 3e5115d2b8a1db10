/* config.json: the process object.  */
#include <config.h>
#include "parse.h"
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>

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

static int
parse_caps (struct moat_spec *s, yajl_val proc, moat_error **err)
{
  yajl_val c;
  if (moat_json_get_object (proc, "capabilities", "process.capabilities", &c, err) < 0)
    return -1;
  if (c == NULL)
    return 0;
  s->has_caps = true;
  return moat_json_get_strv (c, "bounding", "process.capabilities.bounding",
                             &s->caps.bounding, err)
    | moat_json_get_strv (c, "effective", "process.capabilities.effective",
                          &s->caps.effective, err)
    | moat_json_get_strv (c, "inheritable", "process.capabilities.inheritable",
                          &s->caps.inheritable, err)
    | moat_json_get_strv (c, "permitted", "process.capabilities.permitted",
                          &s->caps.permitted, err)
    | moat_json_get_strv (c, "ambient", "process.capabilities.ambient", &s->caps.ambient,
                          err);
}

static int
parse_rlimits (struct moat_spec *s, yajl_val proc, moat_error **err)
{
  yajl_val arr;
  if (moat_json_get_array (proc, "rlimits", "process.rlimits", &arr, err) < 0)
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
        return moat_json_type_error (err, f, "an object", r);
      autofree char *ft = xasprintf ("%s.type", f);
      autofree char *fs = xasprintf ("%s.soft", f);
      autofree char *fh = xasprintf ("%s.hard", f);
      if (moat_json_get_string (r, "type", ft, &rl->name, err) < 0
          || moat_json_get_u64 (r, "soft", fs, &rl->soft, err) < 0
          || moat_json_get_u64 (r, "hard", fh, &rl->hard, err) < 0)
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
  if (moat_json_get_object (proc, "user", "process.user", &u, err) < 0)
    return -1;
  if (u == NULL)
    return 0;
  long long v;
  bool present;
  if (moat_json_get_int (u, "uid", "process.user.uid", 0, UINT32_MAX - 1, &v, &present,
                         err) < 0)
    return -1;
  s->uid = present ? v : 0;
  if (moat_json_get_int (u, "gid", "process.user.gid", 0, UINT32_MAX - 1, &v, &present,
                         err) < 0)
    return -1;
  s->gid = present ? v : 0;
  if (moat_json_get_int (u, "umask", "process.user.umask", 0, 0777, &v, &s->has_umask,
                         err) < 0)
    return -1;
  s->umask = s->has_umask ? v : 022;
  yajl_val g;
  if (moat_json_get_array (u, "additionalGids", "process.user.additionalGids", &g,
                           err) < 0)
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
          if (moat_json_int_value (g->u.array.values[i], f, 0, UINT32_MAX - 1, &v,
                                   err) < 0)
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
  if (moat_json_get_object (proc, "scheduler", "process.scheduler", &sc, err) < 0)
    return -1;
  if (sc == NULL)
    return 0;
  struct moat_scheduler *k = &s->scheduler;
  autofree char *policy = NULL;
  if (moat_json_get_string (sc, "policy", "process.scheduler.policy", &policy, err) < 0)
    return -1;
  if (policy == NULL)
    return moat_error_set (err, 0, "process.scheduler.policy: missing");
  k->policy = -1;
  for (size_t i = 0; i < ARRAY_SIZE (sched_policies); i++)
    if (strcmp (policy, sched_policies[i].name) == 0)
      k->policy = sched_policies[i].value;
  if (k->policy < 0)
    return moat_error_set (err, 0, "process.scheduler.policy: unknown policy `%s`",
                           policy);
  long long v;
  bool present;
  if (moat_json_get_int (sc, "nice", "process.scheduler.nice", -20, 19, &v, &present,
                         err) < 0)
    return -1;
  k->nice = present ? v : 0;
  if (moat_json_get_int (sc, "priority", "process.scheduler.priority", 0, 99, &v,
                         &present, err) < 0)
    return -1;
  k->priority = present ? v : 0;
  static const char *const u64s[] = { "runtime", "deadline", "period" };
  uint64_t *dst[] = { &k->runtime, &k->deadline, &k->period };
  for (int i = 0; i < 3; i++)
    {
      autofree char *f = xasprintf ("process.scheduler.%s", u64s[i]);
      if (moat_json_member (sc, u64s[i]) && moat_json_get_u64 (sc, u64s[i], f, dst[i],
                                                               err) < 0)
        return -1;
    }
  char **flags = NULL;
  if (moat_json_get_strv (sc, "flags", "process.scheduler.flags", &flags, err) < 0)
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
          moat_strv_free (flags);
          return -1;
        }
    }
  moat_strv_free (flags);
  s->has_scheduler = true;
  return 0;
}

static int
parse_io_priority (struct moat_spec *s, yajl_val proc, moat_error **err)
{
  yajl_val io;
  if (moat_json_get_object (proc, "ioPriority", "process.ioPriority", &io, err) < 0)
    return -1;
  if (io == NULL)
    return 0;
  autofree char *cls = NULL;
  if (moat_json_get_string (io, "class", "process.ioPriority.class", &cls, err) < 0)
    return -1;
  static const char *const classes[] = { NULL, "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE",
                                         "IOPRIO_CLASS_IDLE" };
  s->io_class = 0;
  for (int i = 1; cls && i < 4; i++)
    if (strcmp (cls, classes[i]) == 0)
      s->io_class = i;
  if (s->io_class == 0)
    return moat_error_set (err, 0,
                           "process.ioPriority.class: `%s` is not IOPRIO_CLASS_RT, "
                           "IOPRIO_CLASS_BE or IOPRIO_CLASS_IDLE", cls ? cls : "");
  long long v;
  bool present;
  if (moat_json_get_int (io, "priority", "process.ioPriority.priority", 0, 7, &v,
                         &present, err) < 0)
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
  if (moat_json_get_object (proc, "execCPUAffinity", "process.execCPUAffinity", &a,
                            err) < 0)
    return -1;
  if (a == NULL)
    return 0;
  if (moat_json_get_string (a, "initial", "process.execCPUAffinity.initial",
                  &s->cpu_affinity_initial, err) < 0
      || moat_json_get_string (a, "final", "process.execCPUAffinity.final",
                     &s->cpu_affinity_final, err) < 0)
    return -1;
  if (s->cpu_affinity_initial && !valid_cpu_list (s->cpu_affinity_initial))
    return moat_error_set (err, 0,
                           "process.execCPUAffinity.initial: `%s` is not a cpu list",
                           s->cpu_affinity_initial);
  if (s->cpu_affinity_final && !valid_cpu_list (s->cpu_affinity_final))
    return moat_error_set (err, 0,
                           "process.execCPUAffinity.final: `%s` is not a cpu list",
                           s->cpu_affinity_final);
  return 0;
}

int
moat_parse_process_section (struct moat_spec *s, yajl_val top, moat_error **err)
{
  yajl_val p;
  if (moat_json_get_object (top, "process", "process", &p, err) < 0)
    return -1;
  if (p == NULL)
    return 0;
  s->has_process = true;
  long long v;
  bool present;
  if (moat_json_get_bool (p, "terminal", "process.terminal", &s->terminal, err) < 0
      || moat_json_get_strv (p, "args", "process.args", &s->args, err) < 0
      || moat_json_get_strv (p, "env", "process.env", &s->env, err) < 0
      || moat_json_get_string (p, "cwd", "process.cwd", &s->cwd, err) < 0
      || moat_json_get_bool (p, "noNewPrivileges", "process.noNewPrivileges",
                   &s->no_new_privileges, err) < 0
      || moat_json_get_string (p, "apparmorProfile", "process.apparmorProfile",
                     &s->apparmor_profile, err) < 0
      || moat_json_get_string (p, "selinuxLabel", "process.selinuxLabel",
                     &s->selinux_label, err) < 0
      || moat_json_get_int (p, "oomScoreAdj", "process.oomScoreAdj", -1000, 1000, &v,
                  &s->has_oom_score_adj, err) < 0)
    return -1;
  if (s->has_oom_score_adj)
    s->oom_score_adj = v;
  yajl_val cs;
  if (moat_json_get_object (p, "consoleSize", "process.consoleSize", &cs, err) < 0)
    return -1;
  if (cs != NULL)
    {
      if (moat_json_get_int (cs, "height", "process.consoleSize.height", 0, UINT16_MAX,
                             &v,
                   &present, err) < 0)
        return -1;
      s->console_height = present ? v : 0;
      if (moat_json_get_int (cs, "width", "process.consoleSize.width", 0, UINT16_MAX, &v,
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
