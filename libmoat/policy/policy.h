/* The hardening policy: what an operator wants of every container, read
   from a JSON file (docs/policy.md), and the rules it is checked with.

   A policy has a mode (off, audit, enforce), the rules it leaves out,
   the capabilities it allows, host paths no container may bind beyond
   the built-in ones, and the containers it exempts (by id pattern, or by
   an annotation whose key the policy names).  Checking a validated
   config gives findings: each names its rule, a severity, the config
   path it looked at and the attack it is about.  */
#ifndef MOAT_POLICY_H
#define MOAT_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include "../error.h"
#include "../moat.h"
#include "../spec/spec.h"

/* The policy of the host's root (rootless: $XDG_CONFIG_HOME/moat/...).  */
#define MOAT_SYSTEM_POLICY "/etc/moat/policy.json"

struct moat_policy
{
  enum moat_policy_mode mode;
  char *source;               /* the file, or "built-in" */
  char **disabled;            /* rule ids left out */
  char **capabilities;        /* the allowlist (CAP_* names) */
  char **sensitive_paths;     /* more host paths no bind may have as source */
  char **exempt_ids;          /* fnmatch patterns of container ids */
  char *exempt_annotation;    /* an annotation key ("true") that exempts */
  char *audit_log;            /* audit.log: the audit trail, or NULL */
};

enum moat_severity
{
  MOAT_SEVERITY_LOW, MOAT_SEVERITY_MEDIUM, MOAT_SEVERITY_HIGH,
};

struct moat_finding
{
  const char *rule;           /* stable id, "host-namespace" */
  enum moat_severity severity;
  char *path;                 /* the config path looked at */
  char *detail;               /* what was found there */
  const char *reason;         /* the attack the rule prevents, one line */
};

struct moat_findings
{
  struct moat_finding *v;
  size_t n;
};

const char *moat_severity_name (enum moat_severity s);
const char *moat_policy_mode_name (enum moat_policy_mode m);

/* rules.c: id names a rule.  */
bool moat_policy_rule_known (const char *id);
/* The findings of every rule the policy keeps, for config s;
   ids_not_hosts: the host side of its id mappings is not the host's ids
   (an automatic range not taken yet, or moat rootless in a user
   namespace of its own).  */
void moat_policy_check (const struct moat_policy *p, const struct moat_spec *s,
                        const char *bundle, bool ids_not_hosts,
                        struct moat_findings *out);
void moat_findings_free (struct moat_findings *f);

/* policy.c: the container is exempt (its id matches a pattern, or it has
   the annotation the policy names, set to "true"); *why says which.  */
bool moat_policy_exempts (const struct moat_policy *p, const struct moat_spec *s,
                          const char *id, const char **why);

/* apply.c: "policy: [rule] path: detail (reason)" (free it).  */
char *moat_finding_text (const struct moat_finding *f);
/* {"policy": source, "mode": ..., "findings": [{"rule", "severity",
   "path", "detail", "reason"}, ...]} (free it).  */
char *moat_findings_json (const struct moat_policy *p, const struct moat_findings *f);
/* What create decided: "off", "allowed" (nothing found), "audited",
   "exempt" or "refused", and the findings (for the audit trail).  */
struct moat_policy_decision
{
  const char *decision;
  struct moat_findings findings;
  char *const *changes;       /* harden's fixes (borrowed), or NULL */
};
/* At create, before anything is made: nothing (off), warnings (audit,
   or an exempt container), or an error listing every finding
   (enforce).  *d gets the decision (free its findings).  */
int moat_policy_apply (const struct moat_context *ctx, const struct moat_spec *s,
                       const char *id, const char *bundle, bool ids_not_hosts,
                       char *const *changes,
                       struct moat_policy_decision *d, moat_error **err);

/* harden.c: the safe fixes applied to config text (docs/policy.md): *out
   the fixed config (NULL when nothing changed), *changes a line per fix
   (free both).  */
int moat_policy_harden (const struct moat_policy *p, const char *text, size_t len,
                        char **out, char ***changes, moat_error **err);

#endif
