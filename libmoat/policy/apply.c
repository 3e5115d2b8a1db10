/* The policy at create, and its findings as text and as JSON.

   create checks the validated config before anything is made on the
   host: in audit mode each finding is a warning and the container runs;
   in enforce mode a config with findings is refused with every finding
   in the one error, so that nothing is left to clean up.  An exempt
   container (an id pattern, or the annotation the policy names) is
   audited, never refused.  */
#include <config.h>
#include "policy.h"
#include "../log.h"
#include "../spec/jsontree.h"
#include "../utils.h"
#include <stdio.h>
#include <string.h>
#include <yajl/yajl_gen.h>

char *
moat_finding_text (const struct moat_finding *f)
{
  autofree char *detail = moat_printable (f->detail);
  return xasprintf ("policy: [%s] %s: %s (%s)", f->rule, f->path, detail, f->reason);
}

char *
moat_findings_json (const struct moat_policy *p, const struct moat_findings *f)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  yajl_gen_map_open (g);
  GS (g, "policy");
  GS (g, p->source);
  GS (g, "mode");
  GS (g, moat_policy_mode_name (p->mode));
  GS (g, "findings");
  yajl_gen_array_open (g);
  for (size_t i = 0; i < f->n; i++)
    {
      const struct moat_finding *x = &f->v[i];
      yajl_gen_map_open (g);
      GS (g, "rule");
      GS (g, x->rule);
      GS (g, "severity");
      GS (g, moat_severity_name (x->severity));
      GS (g, "path");
      GS (g, x->path);
      GS (g, "detail");
      GS (g, x->detail);
      GS (g, "reason");
      GS (g, x->reason);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
  yajl_gen_map_close (g);
  return moat_json_gen_take (g, "");
}

/* A finding or a fix, said: to the log file when there is one (as JSON
   with --log-format json), else to stderr only when the caller asks.  */
static void
say (const struct moat_context *ctx, const char *line, const char *note)
{
  if (moat_log_has_file ())
    moat_warn ("%s%s", line, note);
  else if (ctx->policy_findings_to_stderr)
    fprintf (stderr, "moat: warning: %s%s\n", line, note);
}

static void
report (const struct moat_context *ctx, const struct moat_findings *f, const char *note)
{
  for (size_t i = 0; i < f->n; i++)
    {
      autofree char *line = moat_finding_text (&f->v[i]);
      say (ctx, line, note);
    }
}

static int
refuse (const struct moat_policy *p, const struct moat_findings *f, moat_error **err)
{
  size_t len = 0;
  char *all = NULL;
  for (size_t i = 0; i < f->n; i++)
    {
      autofree char *detail = moat_printable (f->v[i].detail);
      autofree char *item = xasprintf ("%s[%s] %s: %s", i ? "; " : "", f->v[i].rule,
                                       f->v[i].path, detail);
      size_t n = strlen (item);
      all = xrealloc (all, len + n + 1);
      memcpy (all + len, item, n + 1);
      len += n;
    }
  moat_error_setk (err, MOAT_ERR_PERMISSION, 0, "refused by the policy `%s` (%s): "
                   "%zu finding%s: %s", p->source, moat_policy_mode_name (p->mode), f->n,
                   f->n == 1 ? "" : "s", all);
  free (all);
  return -1;
}

int
moat_policy_apply (const struct moat_context *ctx, const struct moat_spec *s,
                   const char *id, const char *bundle, bool ids_not_hosts,
                   char *const *changes,
                   struct moat_policy_decision *d, moat_error **err)
{
  const struct moat_policy *p = ctx->policy;
  memset (d, 0, sizeof *d);
  d->decision = "off";
  if (p == NULL || p->mode == MOAT_POLICY_OFF)
    return 0;
  /* harden's fixes, said as the findings are */
  d->changes = changes;
  for (size_t i = 0; changes && changes[i]; i++)
    {
      autofree char *shown = moat_printable (changes[i]);
      autofree char *line = xasprintf ("policy: harden: %s", shown);
      say (ctx, line, "");
    }
  struct moat_findings *f = &d->findings;
  moat_policy_check (p, s, bundle, ids_not_hosts, f);
  const char *why = NULL;
  bool exempt = f->n && moat_policy_exempts (p, s, id, &why);
  d->decision = f->n == 0 ? (changes ? "hardened" : "allowed") : exempt ? "exempt"
    : "audited";
  if (f->n && (p->mode == MOAT_POLICY_ENFORCE || p->mode == MOAT_POLICY_HARDEN) && !exempt)
    {
      d->decision = "refused";
      return refuse (p, f, err);
    }
  if (f->n)
    {
      autofree char *note = exempt ? xasprintf (" [exempt by %s]", why) : xstrdup ("");
      report (ctx, f, note);
    }
  return 0;
}
