/* The policy's harden mode: the safe fixes, made to the config's JSON
   before anything reads it, so that the container, its kept config
   (what exec reads) and the audit trail's digest are all the hardened
   one.  What a fix cannot make safe is left to the rules: harden then
   refuses it, as enforce does.

   The fixes, each recorded as a line the caller reports:
   - process.noNewPrivileges set to true;
   - capabilities outside the policy's allowlist dropped from every set;
   - the default seccomp profile (contrib/seccomp.json) when the config
     has none;
   - the baseline masked and read-only paths added where missing;
   - a user namespace (moat maps it: an automatic range as root, the
     caller's ids rootless) when the config has none and joins no
     namespace by path (a new user namespace cannot own those).  */
#include <config.h>
#include "policy.h"
#include "../spec/jsontree.h"
#include "../spec/parse.h"
#include "../utils.h"
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yajl/yajl_gen.h>

/* contrib/seccomp.json, built in (spec/seccomp-profile.c) */
extern const char moat_default_seccomp_json[];

/* ---- a few tree operations (nodes are malloc'd, as the parser makes
   them, so that yajl_tree_free frees what is added) ---- */

static yajl_val
node (yajl_type t)
{
  yajl_val v = xmalloc0 (sizeof *v);
  v->type = t;
  return v;
}

static yajl_val
string (const char *s)
{
  yajl_val v = node (yajl_t_string);
  v->u.string = xstrdup (s);
  return v;
}

/* obj[key] = v, replacing (and freeing) what was there */
static void
set (yajl_val obj, const char *key, yajl_val v)
{
  for (size_t i = 0; i < obj->u.object.len; i++)
    if (strcmp (obj->u.object.keys[i], key) == 0)
      {
        yajl_tree_free (obj->u.object.values[i]);
        obj->u.object.values[i] = v;
        return;
      }
  size_t n = obj->u.object.len + 1;
  obj->u.object.keys = xrealloc (obj->u.object.keys, n * sizeof (char *));
  obj->u.object.values = xrealloc (obj->u.object.values, n * sizeof (yajl_val));
  obj->u.object.keys[n - 1] = xstrdup (key);
  obj->u.object.values[n - 1] = v;
  obj->u.object.len = n;
}

static void
push (yajl_val arr, yajl_val v)
{
  size_t n = arr->u.array.len + 1;
  arr->u.array.values = xrealloc (arr->u.array.values, n * sizeof (yajl_val));
  arr->u.array.values[n - 1] = v;
  arr->u.array.len = n;
}

static bool
has_string (yajl_val arr, const char *s)
{
  for (size_t i = 0; arr && YAJL_IS_ARRAY (arr) && i < arr->u.array.len; i++)
    if (YAJL_IS_STRING (arr->u.array.values[i])
        && strcmp (arr->u.array.values[i]->u.string, s) == 0)
      return true;
  return false;
}

/* ---- the tree as text again ---- */

/* yajl's generator nests at most 128 levels (YAJL_MAX_DEPTH) and, past
   them, corrupts its own state on the next call: every status is
   checked and the first error ends the walk; the config parser allows
   256 levels, so a config nested deeper than the generator takes is
   refused here instead.  */
#define GEN_MAX_DEPTH 120

static bool
gen (yajl_gen g, yajl_val v, int depth)
{
  if (depth > GEN_MAX_DEPTH)
    return false;
  bool ok = true;
  switch (v->type)
    {
    case yajl_t_string:
      return yajl_gen_string (g, (const unsigned char *) v->u.string,
                              strlen (v->u.string)) == yajl_gen_status_ok;
    case yajl_t_number:
      return yajl_gen_number (g, v->u.number.r, strlen (v->u.number.r)) == yajl_gen_status_ok;
    case yajl_t_object:
      ok = yajl_gen_map_open (g) == yajl_gen_status_ok;
      for (size_t i = 0; ok && i < v->u.object.len; i++)
        {
          const char *k = v->u.object.keys[i];
          ok = yajl_gen_string (g, (const unsigned char *) k, strlen (k)) == yajl_gen_status_ok
            && gen (g, v->u.object.values[i], depth + 1);
        }
      return ok && yajl_gen_map_close (g) == yajl_gen_status_ok;
    case yajl_t_array:
      ok = yajl_gen_array_open (g) == yajl_gen_status_ok;
      for (size_t i = 0; ok && i < v->u.array.len; i++)
        ok = gen (g, v->u.array.values[i], depth + 1);
      return ok && yajl_gen_array_close (g) == yajl_gen_status_ok;
    case yajl_t_true:
      return yajl_gen_bool (g, 1) == yajl_gen_status_ok;
    case yajl_t_false:
      return yajl_gen_bool (g, 0) == yajl_gen_status_ok;
    default:
      return yajl_gen_null (g) == yajl_gen_status_ok;
    }
}

/* ---- the fixes ---- */

static void
note (char ***changes, const char *fmt, const char *arg)
{
  autofree char *c = xasprintf (fmt, arg);
  *changes = moat_strv_append (*changes, c);
}

static void
fix_process (const struct moat_policy *p, yajl_val process, char ***changes)
{
  yajl_val nnp = moat_json_member (process, "noNewPrivileges");
  if (nnp == NULL || !YAJL_IS_TRUE (nnp))
    {
      set (process, "noNewPrivileges", node (yajl_t_true));
      note (changes, "process.noNewPrivileges: set to true%s", "");
    }
  yajl_val caps = moat_json_member (process, "capabilities");
  static const char *const sets[] = { "bounding", "effective", "permitted", "inheritable",
                                      "ambient" };
  for (size_t s = 0; caps && YAJL_IS_OBJECT (caps) && s < ARRAY_SIZE (sets); s++)
    {
      yajl_val a = moat_json_member (caps, sets[s]);
      if (a == NULL || !YAJL_IS_ARRAY (a))
        continue;
      size_t kept = 0;
      for (size_t i = 0; i < a->u.array.len; i++)
        {
          yajl_val c = a->u.array.values[i];
          bool allowed = false;
          for (size_t k = 0; YAJL_IS_STRING (c) && p->capabilities && p->capabilities[k]; k++)
            allowed = allowed || strcasecmp (p->capabilities[k], c->u.string) == 0;
          if (allowed)
            {
              a->u.array.values[kept++] = c;
              continue;
            }
          autofree char *what = xasprintf ("%s from process.capabilities.%s",
                                           YAJL_IS_STRING (c) ? c->u.string : "?", sets[s]);
          note (changes, "dropped %s", what);
          yajl_tree_free (c);
        }
      a->u.array.len = kept;
    }
}

static int
fix_seccomp (yajl_val lin, char ***changes, moat_error **err)
{
  if (moat_json_member (lin, "seccomp"))
    return 0;
  yajl_val profile = moat_json_parse (moat_default_seccomp_json,
                                      strlen (moat_default_seccomp_json), err);
  if (profile == NULL)
    return moat_error_prefix (err, "the default seccomp profile");
  set (lin, "seccomp", profile);
  note (changes, "linux.seccomp: the default profile%s", "");
  return 0;
}

static void
fix_paths (yajl_val lin, const char *key, const char *const *want, char ***changes)
{
  yajl_val a = moat_json_member (lin, key);
  if (a == NULL || !YAJL_IS_ARRAY (a))
    {
      a = node (yajl_t_array);
      set (lin, key, a);
    }
  for (size_t i = 0; want[i]; i++)
    if (!has_string (a, want[i]))
      {
        push (a, string (want[i]));
        autofree char *what = xasprintf ("%s to linux.%s", want[i], key);
        note (changes, "added %s", what);
      }
}

static void
fix_user_namespace (yajl_val lin, char ***changes)
{
  yajl_val ns = moat_json_member (lin, "namespaces");
  if (ns == NULL || !YAJL_IS_ARRAY (ns))
    return;
  for (size_t i = 0; i < ns->u.array.len; i++)
    {
      yajl_val t = moat_json_member (ns->u.array.values[i], "type");
      if (moat_json_member (ns->u.array.values[i], "path")
          || (t && YAJL_IS_STRING (t) && strcmp (t->u.string, "user") == 0))
        return;  /* one already, or one the new user namespace could not own */
    }
  if (moat_json_member (lin, "uidMappings") || moat_json_member (lin, "gidMappings"))
    return;
  yajl_val user = node (yajl_t_object);
  set (user, "type", string ("user"));
  push (ns, user);
  note (changes, "linux.namespaces: a user namespace of its own, mapped by moat%s", "");
}

int
moat_policy_harden (const struct moat_policy *p, const char *text, size_t len,
                    char **out, char ***changes, moat_error **err)
{
  static const char *const masked[] = {
    "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
    "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
    "/sys/firmware", "/sys/devices/virtual/powercap", NULL,
  };
  static const char *const readonly[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
  };
  *out = NULL;
  *changes = NULL;
  yajl_val top = moat_json_parse (text, len, err);
  if (top == NULL)
    return -1;
  int r = 0;
  yajl_val process = moat_json_member (top, "process");
  yajl_val lin = moat_json_member (top, "linux");
  if (process && YAJL_IS_OBJECT (process))
    fix_process (p, process, changes);
  if (lin && YAJL_IS_OBJECT (lin))
    {
      if (fix_seccomp (lin, changes, err) < 0)
        r = -1;
      else
        {
          fix_paths (lin, "maskedPaths", masked, changes);
          fix_paths (lin, "readonlyPaths", readonly, changes);
          fix_user_namespace (lin, changes);
        }
    }
  if (r == 0 && *changes)
    {
      yajl_gen g = yajl_gen_alloc (NULL);
      if (gen (g, top, 1))
        *out = moat_json_gen_take (g, "\n");
      else
        {
          yajl_gen_free (g);
          r = moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0, "the config nests deeper "
                               "than %d levels: it cannot be rewritten", GEN_MAX_DEPTH);
        }
    }
  yajl_tree_free (top);
  return r;
}
