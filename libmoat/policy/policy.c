/* The policy file: where it is, its JSON, and what applies it at create.

   The file is the operator's: engines cannot pass moat a flag, so the
   system file is how every container of Podman, containerd or `moat run`
   gets the same policy.  It is read strictly: an unknown key, a rule id
   moat does not know, a mode it does not know are errors (a typo must not
   turn enforce into the default), and a file that exists but cannot be
   read is an error, never the built-in policy.  */
#include <config.h>
#include "policy.h"
#include "../linux/linux.h"
#include "../log.h"
#include "../spec/jsontree.h"
#include "../spec/parse.h"
#include "../utils.h"
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Podman's default capabilities, and CAP_AUDIT_WRITE (runc's and moat's
   default configs): what a container usually needs, nothing that reaches
   the host's kernel or other processes.  */
static const char *const default_capabilities[] = {
  "CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID",
  "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP",
  "CAP_SETUID", "CAP_SYS_CHROOT", NULL,
};

static const char *const mode_names[] = {
  [MOAT_POLICY_OFF] = "off", [MOAT_POLICY_AUDIT] = "audit",
  [MOAT_POLICY_ENFORCE] = "enforce", [MOAT_POLICY_HARDEN] = "harden",
};

const char *
moat_policy_mode_name (enum moat_policy_mode m)
{
  return m < ARRAY_SIZE (mode_names) && mode_names[m] ? mode_names[m] : "?";
}

const char *
moat_severity_name (enum moat_severity s)
{
  switch (s)
    {
    case MOAT_SEVERITY_LOW: return "low";
    case MOAT_SEVERITY_MEDIUM: return "medium";
    case MOAT_SEVERITY_HIGH: return "high";
    }
  return "?";
}

void
moat_policy_free (struct moat_policy *p)
{
  if (p == NULL)
    return;
  free (p->source);
  moat_strv_free (p->disabled);
  moat_strv_free (p->capabilities);
  moat_strv_free (p->sensitive_paths);
  moat_strv_free (p->exempt_ids);
  free (p->exempt_annotation);
  free (p->audit_log);
  free (p);
}

static struct moat_policy *
builtin (const char *source)
{
  struct moat_policy *p = xmalloc0 (sizeof *p);
  p->mode = MOAT_POLICY_AUDIT;
  p->source = xstrdup (source);
  for (size_t i = 0; default_capabilities[i]; i++)
    p->capabilities = moat_strv_append (p->capabilities, default_capabilities[i]);
  return p;
}

/* Only the keys of `known` in obj (field: its name in messages).  */
static int
only_keys (yajl_val obj, const char *field, const char *const *known, moat_error **err)
{
  for (size_t i = 0; obj && YAJL_IS_OBJECT (obj) && i < obj->u.object.len; i++)
    if (!moat_strv_contains ((char *const *) known, obj->u.object.keys[i]))
      {
        autofree char *key = moat_printable (obj->u.object.keys[i]);
        return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0, "%s: unknown key `%s`",
                                field, key);
      }
  return 0;
}

static int
parse_mode (yajl_val top, struct moat_policy *p, moat_error **err)
{
  autofree char *mode = NULL;
  if (moat_json_get_string (top, "mode", "mode", &mode, err) < 0)
    return -1;
  if (mode == NULL)
    return 0;
  for (size_t m = 0; m < ARRAY_SIZE (mode_names); m++)
    if (strcmp (mode, mode_names[m]) == 0)
      {
        p->mode = m;
        return 0;
      }
  autofree char *shown = moat_printable (mode);
  return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0, "mode: unknown mode `%s` "
                          "(off, audit, enforce, harden)", shown);
}

static int
parse_rules (yajl_val top, struct moat_policy *p, moat_error **err)
{
  static const char *const keys[] = { "disable", "capabilities", "sensitivePaths", NULL };
  yajl_val rules = NULL;
  if (moat_json_get_object (top, "rules", "rules", &rules, err) < 0
      || only_keys (rules, "rules", keys, err) < 0)
    return -1;
  if (rules == NULL)
    return 0;
  char **caps = NULL;
  if (moat_json_get_strv (rules, "disable", "rules.disable", &p->disabled, err) < 0
      || moat_json_get_strv (rules, "capabilities", "rules.capabilities", &caps, err) < 0
      || moat_json_get_strv (rules, "sensitivePaths", "rules.sensitivePaths",
                             &p->sensitive_paths, err) < 0)
    {
      moat_strv_free (caps);
      return -1;
    }
  for (size_t i = 0; p->disabled && p->disabled[i]; i++)
    if (!moat_policy_rule_known (p->disabled[i]))
      {
        moat_strv_free (caps);
        autofree char *id = moat_printable (p->disabled[i]);
        return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0, "rules.disable[%zu]: "
                                "unknown rule `%s` (see docs/policy.md)", i, id);
      }
  for (size_t i = 0; caps && caps[i]; i++)
    if (strncmp (caps[i], "CAP_", 4) != 0)
      {
        autofree char *c = moat_printable (caps[i]);
        moat_strv_free (caps);
        return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0, "rules.capabilities[%zu]: "
                                "`%s` is not a capability name (CAP_...)", i, c);
      }
  for (size_t i = 0; p->sensitive_paths && p->sensitive_paths[i]; i++)
    if (p->sensitive_paths[i][0] != '/')
      {
        moat_strv_free (caps);
        return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0, "rules.sensitivePaths[%zu]: "
                                "not an absolute path", i);
      }
  if (moat_json_member (rules, "capabilities"))
    {
      /* the file's list replaces the default one, even when empty */
      moat_strv_free (p->capabilities);
      p->capabilities = caps ? caps : xmalloc0 (sizeof (char *));
    }
  return 0;
}

static int
parse_exempt (yajl_val top, struct moat_policy *p, moat_error **err)
{
  static const char *const keys[] = { "ids", "annotation", NULL };
  yajl_val ex = NULL;
  if (moat_json_get_object (top, "exempt", "exempt", &ex, err) < 0
      || only_keys (ex, "exempt", keys, err) < 0)
    return -1;
  if (ex == NULL)
    return 0;
  if (moat_json_get_strv (ex, "ids", "exempt.ids", &p->exempt_ids, err) < 0
      || moat_json_get_string (ex, "annotation", "exempt.annotation",
                               &p->exempt_annotation, err) < 0)
    return -1;
  if (p->exempt_annotation && p->exempt_annotation[0] == 0)
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                            "exempt.annotation: an empty key");
  return 0;
}

static int
parse_audit (yajl_val top, struct moat_policy *p, moat_error **err)
{
  static const char *const keys[] = { "log", NULL };
  yajl_val a = NULL;
  if (moat_json_get_object (top, "audit", "audit", &a, err) < 0
      || only_keys (a, "audit", keys, err) < 0
      || (a && moat_json_get_string (a, "log", "audit.log", &p->audit_log, err) < 0))
    return -1;
  if (p->audit_log && p->audit_log[0] != '/')
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                            "audit.log: not an absolute path");
  return 0;
}

int
moat_policy_parse (const char *text, size_t len, const char *source,
                   struct moat_policy **out, moat_error **err)
{
  static const char *const keys[] = { "mode", "rules", "exempt", "audit", NULL };
  *out = NULL;
  yajl_val top = moat_json_parse (text, len, err);
  if (top == NULL)
    return moat_error_prefix (err, "policy `%s`", source);
  struct moat_policy *p = builtin (source);
  int r = 0;
  if (!YAJL_IS_OBJECT (top))
    r = moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0, "expected an object, got %s",
                         moat_json_type_name (top));
  else if (only_keys (top, "(top level)", keys, err) < 0 || parse_mode (top, p, err) < 0
           || parse_rules (top, p, err) < 0 || parse_exempt (top, p, err) < 0
           || parse_audit (top, p, err) < 0)
    r = -1;
  yajl_tree_free (top);
  if (r < 0)
    {
      moat_policy_free (p);
      return moat_error_prefix (err, "policy `%s`", source);
    }
  *out = p;
  return 0;
}

/* /etc/moat/policy.json as root; $XDG_CONFIG_HOME/moat/policy.json (or
   ~/.config/moat/policy.json) rootless.  */
static char *
default_path (void)
{
  if (!moat_running_rootless ())
    return xstrdup (MOAT_SYSTEM_POLICY);
  const char *xdg = getenv ("XDG_CONFIG_HOME");
  if (xdg && xdg[0] == '/')
    return xasprintf ("%s/moat/policy.json", xdg);
  const char *home = getenv ("HOME");
  if (home && home[0] == '/')
    return xasprintf ("%s/.config/moat/policy.json", home);
  return NULL;
}

int
moat_policy_load (const char *path, struct moat_policy **out, moat_error **err)
{
  autofree char *def = path ? NULL : default_path ();
  const char *file = path ? path : def;
  *out = NULL;
  if (file == NULL)
    {
      *out = builtin ("built-in");
      return 0;
    }
  autofree char *text = NULL;
  size_t len;
  moat_error *e = NULL;
  if (moat_read_file_at (AT_FDCWD, file, 1 << 20, &text, &len, &e) < 0)
    {
      /* the default file need not exist; one named, or one that exists
         but cannot be read, is the operator's and must not be ignored */
      if (path == NULL && e->errnum == ENOENT)
        {
          moat_error_free (&e);
          *out = builtin ("built-in");
          return 0;
        }
      *err = e;
      return moat_error_prefix (err, "policy");
    }
  return moat_policy_parse (text, len, file, out, err);
}

enum moat_policy_mode
moat_policy_mode (const struct moat_policy *p)
{
  return p ? p->mode : MOAT_POLICY_OFF;
}

const char *
moat_policy_audit_log (const struct moat_policy *p)
{
  return p ? p->audit_log : NULL;
}

bool
moat_policy_exempts (const struct moat_policy *p, const struct moat_spec *s,
                     const char *id, const char **why)
{
  for (size_t i = 0; id && p->exempt_ids && p->exempt_ids[i]; i++)
    if (fnmatch (p->exempt_ids[i], id, 0) == 0)
      {
        *why = "its id";
        return true;
      }
  for (size_t i = 0; p->exempt_annotation && i < s->n_annotations; i++)
    if (strcmp (s->annotations[i].key, p->exempt_annotation) == 0
        && strcmp (s->annotations[i].value, "true") == 0)
      {
        *why = "its annotation";
        return true;
      }
  return false;
}
