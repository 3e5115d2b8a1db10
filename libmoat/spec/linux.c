/* config.json: the linux object (namespaces, id mappings, resources,
   devices, seccomp, ...).  */
#include <config.h>
#include "parse.h"
#include "../feature-table.h"
#include <errno.h>
#include <seccomp.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/personality.h>

int
moat_parse_idmaps (yajl_val lin, const char *prefix, const char *key,
                 struct moat_idmap **out, size_t *n, moat_error **err)
{
  autofree char *field = xasprintf ("%s.%s", prefix, key);
  yajl_val arr;
  if (moat_json_get_array (lin, key, field, &arr, err) < 0)
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
        return moat_json_type_error (err, f, "an object", m);
      long long c, h, sz;
      bool pc, ph, ps;
      autofree char *f1 = xasprintf ("%s.containerID", f);
      autofree char *f2 = xasprintf ("%s.hostID", f);
      autofree char *f3 = xasprintf ("%s.size", f);
      if (moat_json_get_int (m, "containerID", f1, 0, UINT32_MAX - 1, &c, &pc, err) < 0
          || moat_json_get_int (m, "hostID", f2, 0, UINT32_MAX - 1, &h, &ph, err) < 0
          || moat_json_get_int (m, "size", f3, 1, UINT32_MAX, &sz, &ps, err) < 0)
        return -1;
      if (!pc || !ph || !ps)
        return moat_error_set (err, 0, "%s: containerID, hostID and size are required",
                               f);
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
  return moat_parse_idmaps (lin, "linux", key, out, n, err);
}

static int
parse_namespaces (struct moat_spec *s, yajl_val lin, moat_error **err)
{
  yajl_val arr;
  if (moat_json_get_array (lin, "namespaces", "linux.namespaces", &arr, err) < 0)
    return -1;
  for (size_t i = 0; arr && i < arr->u.array.len; i++)
    {
      yajl_val n = arr->u.array.values[i];
      autofree char *f = xasprintf ("linux.namespaces[%zu]", i);
      if (!YAJL_IS_OBJECT (n))
        return moat_json_type_error (err, f, "an object", n);
      autofree char *ft = xasprintf ("%s.type", f);
      autofree char *fp = xasprintf ("%s.path", f);
      autofree char *type = NULL;
      char *path = NULL;
      if (moat_json_get_string (n, "type", ft, &type, err) < 0
          || moat_json_get_string (n, "path", fp, &path, err) < 0)
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
parse_time_offsets (struct moat_spec *s, yajl_val lin, moat_error **err)
{
  yajl_val t;
  if (moat_json_get_object (lin, "timeOffsets", "linux.timeOffsets", &t, err) < 0)
    return -1;
  if (t == NULL)
    return 0;
  static const char *const clocks[] = { "monotonic", "boottime" };
  for (int i = 0; i < 2; i++)
    {
      yajl_val c;
      autofree char *f = xasprintf ("linux.timeOffsets.%s", clocks[i]);
      if (moat_json_get_object (t, clocks[i], f, &c, err) < 0)
        return -1;
      if (c == NULL)
        continue;
      autofree char *fs = xasprintf ("%s.secs", f);
      autofree char *fn = xasprintf ("%s.nanosecs", f);
      long long v;
      bool present;
      if (moat_json_get_int (c, "secs", fs, INT64_MIN / 2, INT64_MAX / 2, &v, &present,
                             err) < 0)
        return -1;
      s->time_offsets[i][0] = present ? v : 0;
      if (moat_json_get_int (c, "nanosecs", fn, 0, 999999999, &v, &present, err) < 0)
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
  if (moat_json_get_object (lin, "resources", "linux.resources", &res, err) < 0)
    return -1;
  if (res == NULL)
    return 0;
  if (moat_resources_parse (res, "linux.resources", &s->resources, err) < 0)
    return -1;
  return moat_device_rules_parse (res, "linux.resources", &s->device_rules,
                                  &s->n_device_rules, err);
}

int
moat_device_rules_parse (yajl_val res, const char *field, struct moat_device_rule **rules,
                         size_t *n, moat_error **err)
{
  yajl_val arr;
  autofree char *fd = xasprintf ("%s.devices", field);
  if (moat_json_get_array (res, "devices", fd, &arr, err) < 0)
    return -1;
  if (arr == NULL)
    return 0;
  *n = arr->u.array.len;
  *rules = xmalloc0 (*n * sizeof **rules);
  for (size_t i = 0; i < *n; i++)
    {
      yajl_val d = arr->u.array.values[i];
      struct moat_device_rule *r = &(*rules)[i];
      autofree char *f = xasprintf ("%s[%zu]", fd, i);
      if (!YAJL_IS_OBJECT (d))
        return moat_json_type_error (err, f, "an object", d);
      autofree char *fa = xasprintf ("%s.allow", f);
      autofree char *ft = xasprintf ("%s.type", f);
      autofree char *fma = xasprintf ("%s.major", f);
      autofree char *fmi = xasprintf ("%s.minor", f);
      autofree char *fac = xasprintf ("%s.access", f);
      autofree char *type = NULL, *access = NULL;
      long long v;
      bool present;
      yajl_val allow = moat_json_member (d, "allow");
      if (allow == NULL)
        return moat_error_set (err, 0, "%s: missing", fa);
      if (moat_json_get_bool (d, "allow", fa, &r->allow, err) < 0
          || moat_json_get_string (d, "type", ft, &type, err) < 0
          || moat_json_get_string (d, "access", fac, &access, err) < 0)
        return -1;
      r->type = type ? type[0] : 'a';
      if (type && (strlen (type) != 1 || strchr ("acb", type[0]) == NULL))
        return moat_error_set (err, 0, "%s: `%s` is not a, c or b", ft, type);
      if (moat_json_get_int (d, "major", fma, -1, UINT32_MAX, &v, &present, err) < 0)
        return -1;
      r->major = present ? v : -1;
      if (moat_json_get_int (d, "minor", fmi, -1, UINT32_MAX, &v, &present, err) < 0)
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
  if (moat_json_get_array (lin, "devices", "linux.devices", &arr, err) < 0)
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
        return moat_json_type_error (err, f, "an object", d);
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
      if (moat_json_get_string (d, "path", fp, &dev->path, err) < 0
          || moat_json_get_string (d, "type", ft, &type, err) < 0)
        return -1;
      if (dev->path == NULL || dev->path[0] != '/')
        return moat_error_set (err, 0, "%s: must be an absolute path", fp);
      /* "/dev/x/" names /dev/x, as for runc */
      for (size_t n = strlen (dev->path); n > 1 && dev->path[n - 1] == '/'; n--)
        dev->path[n - 1] = '\0';
      if (type == NULL || strlen (type) != 1 || strchr ("cbup", type[0]) == NULL)
        return moat_error_set (err, 0, "%s: must be c, b, u or p", ft);
      dev->type = type[0];
      if (moat_json_get_int (d, "major", fma, 0, UINT32_MAX, &v, &pma, err) < 0)
        return -1;
      dev->major = v;
      if (moat_json_get_int (d, "minor", fmi, 0, UINT32_MAX, &v, &pmi, err) < 0)
        return -1;
      dev->minor = v;
      if (dev->type != 'p' && (!pma || !pmi))
        return moat_error_set (err, 0, "%s: major and minor are required for type %c",
                               f, dev->type);
      /* the file type bits may be given (Podman does: 020666), and must
         then say what type says */
      if (moat_json_get_int (d, "fileMode", fm, 0, 0177777, &v, &dev->has_mode, err) < 0)
        return -1;
      mode_t want = dev->type == 'b' ? S_IFBLK : dev->type == 'p' ? S_IFIFO : S_IFCHR;
      if ((v & S_IFMT) && dev->has_mode && (mode_t) (v & S_IFMT) != want)
        return moat_error_set (err, 0, "%s: the file type bits (0%llo) are not those of "
                               "type %c", fm, (unsigned long long) (v & S_IFMT), dev->type);
      dev->mode = dev->has_mode ? (v & 07777) : 0;
      if (moat_json_get_int (d, "uid", fu, 0, UINT32_MAX - 1, &v, &dev->has_uid, err) < 0)
        return -1;
      dev->uid = dev->has_uid ? v : 0;
      if (moat_json_get_int (d, "gid", fg, 0, UINT32_MAX - 1, &v, &dev->has_gid, err) < 0)
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
  const char *errno_key = strstr (field,
                                  "defaultAction") ? "defaultErrnoRet" : "errnoRet";
  if (moat_json_get_int (holder, errno_key, ferr, 0, 4095, &e, &has_errno, err) < 0)
    return -1;
  if (!has_errno)
    e = EPERM;
  if (strcmp (name, "SCMP_ACT_ALLOW") == 0)
    *out = SCMP_ACT_ALLOW;
  else if (strcmp (name, "SCMP_ACT_ERRNO") == 0)
    *out = SCMP_ACT_ERRNO ((uint16_t) e);
  else if (strcmp (name, "SCMP_ACT_KILL") == 0 || strcmp (name,
                                                          "SCMP_ACT_KILL_THREAD") == 0)
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
    {
      if (moat_feature_require (MOAT_FEATURE_SECCOMP_NOTIFY, field, err) < 0)
        return -1;
      *out = SCMP_ACT_NOTIFY;
    }
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
  if (moat_json_get_array (rule, "args", fa, &arr, err) < 0)
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
        return moat_json_type_error (err, fi, "an object", a);
      autofree char *fidx = xasprintf ("%s.index", fi);
      autofree char *fv = xasprintf ("%s.value", fi);
      autofree char *fv2 = xasprintf ("%s.valueTwo", fi);
      autofree char *fop = xasprintf ("%s.op", fi);
      autofree char *op = NULL;
      long long idx;
      bool present;
      if (moat_json_get_int (a, "index", fidx, 0, 5, &idx, &present, err) < 0
          || moat_json_get_u64 (a, "value", fv, &r->args[i].value, err) < 0
          || (moat_json_member (a, "valueTwo") && moat_json_get_u64 (a, "valueTwo", fv2,
                                                                     &r->args[i].value_two,
                                                 err) < 0)
          || moat_json_get_string (a, "op", fop, &op, err) < 0)
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

/* A cgroupsPath whose components are names: no `.` or `..` (a "/." is
   the root cgroup itself), no newline (a cgroup line of /proc).  */
static bool
plain_cgroup_path (const char *path)
{
  if (strchr (path, '\n'))
    return false;
  for (const char *c = path; *c;)
    {
      size_t n = strcspn (c, "/");
      if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
        return false;
      c += n;
      c += strspn (c, "/");
    }
  return true;
}

/* SCMP_ACT_NOTIFY: where the listener goes, and what must not wait for
   an agent.  The process that loads the filter passes the listener to
   moat with sendmsg before any agent has it, so sendmsg must not be
   notified (nor everything, as a default action would); the rest of
   what it does before execve can wait for the agent, which has the
   listener by then.  */
static int
check_notify (struct moat_seccomp *k, moat_error **err)
{
  if (k->default_action == SCMP_ACT_NOTIFY)
    return moat_error_set (err, 0, "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot "
                           "be the default action (the listener would wait for itself)");
  for (size_t i = 0; i < k->n_rules; i++)
    if (k->rules[i].action == SCMP_ACT_NOTIFY)
      {
        k->uses_notify = true;
        for (size_t n = 0; k->rules[i].names[n]; n++)
          if (strcmp (k->rules[i].names[n], "sendmsg") == 0)
            return moat_error_set (err, 0, "linux.seccomp.syscalls[%zu]: SCMP_ACT_NOTIFY "
                                   "cannot be used for sendmsg (moat passes the listener "
                                   "with it, before any agent has it)", i);
      }
  if (k->listener_metadata && k->listener_path == NULL)
    return moat_error_set (err, 0, "linux.seccomp.listenerMetadata: set without "
                           "linux.seccomp.listenerPath");
  if (k->uses_notify && (k->listener_path == NULL || k->listener_path[0] == 0))
    return moat_error_set (err, 0, "linux.seccomp: SCMP_ACT_NOTIFY needs "
                           "linux.seccomp.listenerPath (the agent's socket)");
  if (k->listener_path && k->listener_path[0] != '/')
    return moat_error_set (err, 0, "linux.seccomp.listenerPath: `%s` is not an absolute "
                           "path", k->listener_path);
  /* sockaddr_un holds 107 bytes and a NUL */
  if (k->listener_path && strlen (k->listener_path) > 107)
    return moat_error_set (err, 0, "linux.seccomp.listenerPath: longer than the 107 "
                           "bytes a unix socket address holds");
  return 0;
}

static int
parse_seccomp (struct moat_spec *s, yajl_val sc, moat_error **err)
{
  struct moat_seccomp *k = &s->seccomp;
  autofree char *def = NULL;
  if (moat_json_get_string (sc, "defaultAction", "linux.seccomp.defaultAction", &def,
                            err) < 0)
    return -1;
  if (def == NULL)
    return moat_error_set (err, 0, "linux.seccomp.defaultAction: missing");
  if (seccomp_action (def, sc, "linux.seccomp.defaultAction", &k->default_action,
                      err) < 0)
    return -1;
  char **arches = NULL, **flags = NULL;
  if (moat_json_get_strv (sc, "architectures", "linux.seccomp.architectures", &arches,
                          err) < 0)
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
  if (moat_json_get_string (sc, "listenerPath", "linux.seccomp.listenerPath",
                            &k->listener_path, err) < 0
      || moat_json_get_string (sc, "listenerMetadata", "linux.seccomp.listenerMetadata",
                               &k->listener_metadata, err) < 0)
    return -1;
  if (moat_json_get_strv (sc, "flags", "linux.seccomp.flags", &flags, err) < 0)
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
          moat_strv_free (flags);
          return -1;
        }
    }
  moat_strv_free (flags);
  yajl_val arr;
  if (moat_json_get_array (sc, "syscalls", "linux.seccomp.syscalls", &arr, err) < 0)
    return -1;
  k->n_rules = arr ? arr->u.array.len : 0;
  k->rules = xmalloc0 (k->n_rules * sizeof *k->rules);
  for (size_t i = 0; i < k->n_rules; i++)
    {
      yajl_val r = arr->u.array.values[i];
      autofree char *f = xasprintf ("linux.seccomp.syscalls[%zu]", i);
      if (!YAJL_IS_OBJECT (r))
        return moat_json_type_error (err, f, "an object", r);
      autofree char *fn = xasprintf ("%s.names", f);
      autofree char *fa = xasprintf ("%s.action", f);
      autofree char *action = NULL;
      if (moat_json_get_strv (r, "names", fn, &k->rules[i].names, err) < 0
          || moat_json_get_string (r, "action", fa, &action, err) < 0)
        return -1;
      if (k->rules[i].names == NULL || k->rules[i].names[0] == NULL)
        return moat_error_set (err, 0, "%s: must name at least one syscall", fn);
      if (action == NULL)
        return moat_error_set (err, 0, "%s: missing", fa);
      if (seccomp_action (action, r, fa, &k->rules[i].action, err) < 0
          || parse_seccomp_args (r, f, &k->rules[i], err) < 0)
        return -1;
    }
  return check_notify (k, err);
}

int
moat_parse_linux_section (struct moat_spec *s, yajl_val top, moat_error **err)
{
  yajl_val lin;
  if (moat_json_get_object (top, "linux", "linux", &lin, err) < 0)
    return -1;
  if (lin == NULL)
    return 0;
  if (parse_namespaces (s, lin, err) < 0
      || parse_idmaps (lin, "uidMappings", &s->uid_mappings, &s->n_uid_mappings, err) < 0
      || parse_idmaps (lin, "gidMappings", &s->gid_mappings, &s->n_gid_mappings, err) < 0
      || moat_json_get_string (lin, "cgroupsPath", "linux.cgroupsPath", &s->cgroups_path,
                               err) < 0
      || moat_json_get_string_map (lin, "sysctl", "linux.sysctl", &s->sysctl,
                                   &s->n_sysctl, err) < 0
      || moat_json_get_strv (lin, "maskedPaths", "linux.maskedPaths", &s->masked_paths,
                             err) < 0
      || moat_json_get_strv (lin, "readonlyPaths", "linux.readonlyPaths",
                             &s->readonly_paths, err) < 0
      || moat_json_get_string (lin, "rootfsPropagation", "linux.rootfsPropagation",
                     &s->rootfs_propagation, err) < 0
      || moat_json_get_string (lin, "mountLabel", "linux.mountLabel", &s->mount_label,
                               err) < 0
      || parse_time_offsets (s, lin, err) < 0
      || parse_resources (s, lin, err) < 0
      || parse_devices (s, lin, err) < 0)
    return -1;
  yajl_val pers;
  if (moat_json_get_object (lin, "personality", "linux.personality", &pers, err) < 0)
    return -1;
  if (pers)
    {
      autofree char *domain = NULL;
      char **flags = NULL;
      if (moat_json_get_string (pers, "domain", "linux.personality.domain", &domain,
                                err) < 0
          || moat_json_get_strv (pers, "flags", "linux.personality.flags", &flags,
                                 err) < 0)
        return -1;
      bool has_flags = flags && flags[0];
      moat_strv_free (flags);
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
  s->has_intel_rdt = moat_json_member (lin, "intelRdt") != NULL;
  yajl_val sc;
  if (moat_json_get_object (lin, "seccomp", "linux.seccomp", &sc, err) < 0)
    return -1;
  s->has_seccomp = sc != NULL;
  if (sc && parse_seccomp (s, sc, err) < 0)
    return -1;
  if (s->cgroups_path && !plain_cgroup_path (s->cgroups_path))
    return moat_error_set (err, 0, "linux.cgroupsPath: `%s` must not contain `.` or `..` "
                           "components (it would name another cgroup, the root's "
                           "included)", s->cgroups_path);
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
