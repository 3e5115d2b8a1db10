/* libFuzzer target: the policy file, and the policy at work on a config.
   The input is a policy, optionally followed by a NUL byte and a
   config.json.  The policy is parsed; when it parses and a config
   follows, the config is checked (every finding must name a known rule
   and say where and why, and the findings' JSON must parse) and hardened
   (a valid config must stay valid, and hardening what harden wrote must
   change nothing more).  */
#include <config.h>
#include "fuzz-bundle.h"
#include "fuzz-common.h"
#include "libmoat/policy/policy.h"
#include "libmoat/spec/jsontree.h"
#include "libmoat/utils.h"
#include <yajl/yajl_tree.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);

static void
check_findings (const struct moat_policy *p, const struct moat_findings *f)
{
  for (size_t i = 0; i < f->n; i++)
    {
      const struct moat_finding *x = &f->v[i];
      fuzz_check (x->rule && moat_policy_rule_known (x->rule), "finding %zu: rule `%s`", i,
                  x->rule ? x->rule : "(null)");
      fuzz_check (x->severity <= MOAT_SEVERITY_HIGH, "finding %zu: severity %d", i,
                  (int) x->severity);
      fuzz_check (x->path && x->detail && x->reason && x->reason[0],
                  "finding %zu (%s): no path, detail or reason", i, x->rule);
      char *text = moat_finding_text (x);
      fuzz_check (text && strchr (text, '\n') == NULL, "finding %zu: text has a newline", i);
      free (text);
    }
  char *json = moat_findings_json (p, f);
  moat_error *err = NULL;
  yajl_val v = moat_json_parse (json, strlen (json), &err);
  fuzz_check (v != NULL && YAJL_IS_OBJECT (v), "findings JSON does not parse: %s (%s)",
              err ? err->msg : "not an object", json);
  yajl_tree_free (v);
  moat_error_free (&err);
  free (json);
}

static void
check_harden (const struct moat_policy *p, const char *config, size_t len, bool valid)
{
  char *out = NULL, **changes = NULL;
  moat_error *err = NULL;
  int rc = moat_policy_harden (p, config, len, &out, &changes, &err);
  fuzz_check_result (rc < 0, err, "moat_policy_harden");
  moat_error_free (&err);
  fuzz_check (rc < 0 || (out == NULL) == (changes == NULL),
              "harden: a config without changes, or changes without a config");
  if (rc == 0 && out && valid)
    {
      struct moat_spec *s = moat_spec_parse (out, strlen (out), &err);
      fuzz_check (s != NULL, "harden made a valid config invalid: %s\n%s",
                  err ? err->msg : "?", out);
      moat_spec_free (s);
      char *again = NULL, **more = NULL;
      rc = moat_policy_harden (p, out, strlen (out), &again, &more, &err);
      fuzz_check (rc == 0 && more == NULL, "harden is not done after one pass: %s",
                  rc < 0 ? err->msg : more[0]);
      free (again);
    }
  moat_error_free (&err);
  moat_strv_free (changes);
  free (out);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  (void) argc;
  (void) argv;
  fuzz_quiet ();
  fuzz_bundle_make ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const uint8_t *nul = memchr (data, '\0', size);
  size_t plen = nul ? (size_t) (nul - data) : size;
  /* exact-size copies: ASan catches a read one byte past the end */
  char *policy = malloc (plen ? plen : 1);
  if (policy == NULL)
    abort ();
  memcpy (policy, data, plen);
  struct moat_policy *p = NULL;
  moat_error *err = NULL;
  int rc = moat_policy_parse (policy, plen, "fuzz", &p, &err);
  free (policy);
  fuzz_check_result (rc < 0, err, "moat_policy_parse");
  moat_error_free (&err);
  fuzz_check ((rc == 0) == (p != NULL), "moat_policy_parse: result and policy disagree");
  if (p == NULL)
    return 0;
  fuzz_check (p->mode <= MOAT_POLICY_HARDEN, "mode %d", (int) p->mode);
  for (size_t i = 0; p->disabled && p->disabled[i]; i++)
    fuzz_check (moat_policy_rule_known (p->disabled[i]), "disabled rule `%s`", p->disabled[i]);
  if (nul)
    {
      size_t clen = size - plen - 1;
      char *config = fuzz_text (nul + 1, clen);
      struct moat_spec *s = moat_spec_parse (config, clen, &err);
      fuzz_check_result (s == NULL, err, "moat_spec_parse");
      moat_error_free (&err);
      if (s)
        for (int not_hosts = 0; not_hosts < 2; not_hosts++)
          {
            struct moat_findings f = { 0 };
            moat_policy_check (p, s, fuzz_bundle, not_hosts, &f);
            check_findings (p, &f);
            moat_findings_free (&f);
          }
      const char *why;
      if (s)
        (void) moat_policy_exempts (p, s, "fuzz-id", &why);
      check_harden (p, config, clen, s != NULL);
      moat_spec_free (s);
      free (config);
    }
  moat_policy_free (p);
  return 0;
}
