#include <config.h>
#include "cli.h"
#include "../libmoat/policy/policy.h"
#include "../libmoat/spec/spec.h"
#include "../libmoat/utils.h"
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

static const char help[] =
  "Usage: moat check [OPTIONS] [BUNDLE|-]\n"
  "\n"
  "Print what the hardening policy finds in a bundle's config.json (default:\n"
  "the current directory), or in a config on standard input (-), whatever the\n"
  "policy's mode.  Exit status: 0 nothing found, 1 findings, 2 an error.\n"
  "\n"
  "      --policy FILE         the policy (default: moat's --policy, else the\n"
  "                            default file, else the built-in one)\n"
  "      --format text|json    a table (default), or JSON for tools\n"
  "  -h, --help                print this help\n";

/* check's errors end with status 2: 1 means findings */
static void __attribute__ ((noreturn))
check_fail (moat_error *err)
{
  autofree char *printable = NULL;
  fprintf (stderr, "moat: %s\n", cli_printable (err && err->msg ? err->msg : "?",
                                                &printable));
  moat_log_error_to_file (err && err->msg ? err->msg : "?");
  exit (2);
}

static char *
read_config (const char *where, size_t *len, moat_error **err)
{
  char *text = NULL;
  autofree char *path = strcmp (where, "-") == 0 ? xstrdup ("/dev/stdin")
    : xasprintf ("%s/config.json", where);
  if (moat_read_file_at (AT_FDCWD, path, MOAT_MAX_CONFIG_SIZE, &text, len, err) < 0)
    return NULL;
  return text;
}

static void
print_text (const struct moat_policy *p, const struct moat_findings *f)
{
  for (size_t i = 0; i < f->n; i++)
    {
      autofree char *detail = moat_printable (f->v[i].detail);
      printf ("%-7s %-19s %s: %s\n        why: %s\n", moat_severity_name (f->v[i].severity),
              f->v[i].rule, f->v[i].path, detail, f->v[i].reason);
    }
  autofree char *source = moat_printable (p->source);
  printf ("%zu finding%s (policy %s, mode %s)\n", f->n, f->n == 1 ? "" : "s", source,
          moat_policy_mode_name (p->mode));
}

int
cmd_check (struct cli *c, int argc, char **argv)
{
  static const struct option longopts[] = {
    { "policy", required_argument, NULL, 'p' },
    { "format", required_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  bool json = false;
  int opt;
  while ((opt = cli_getopt (c, argc, argv, "h", longopts, help)) != -1)
    if (opt == 'p')
      c->policy_path = optarg;
    else if (opt == 'f')
      {
        if (strcmp (optarg, "json") == 0)
          json = true;
        else if (strcmp (optarg, "text") != 0)
          cli_failf ("check: --format: unknown value `%s` (text or json)", optarg);
      }
  cli_positionals (c, argc, argv, 0, 1, "bundle");
  const char *where = optind < argc ? argv[optind] : ".";
  moat_error *err = NULL;
  struct moat_policy *p = NULL;
  if (moat_policy_load (c->policy_path, &p, &err) < 0)
    check_fail (err);
  size_t len;
  char *text = read_config (where, &len, &err);
  if (text == NULL)
    check_fail (err);
  struct moat_spec *s = moat_spec_parse (text, len, &err);
  free (text);
  if (s == NULL)
    {
      moat_error_prefix (&err, "%s", strcmp (where, "-") == 0 ? "config on stdin"
                         : "config.json");
      check_fail (err);
    }
  struct moat_findings f;
  autofree char *bundle = strcmp (where, "-") == 0 ? NULL : realpath (where, NULL);
  moat_policy_check (p, s, bundle, false, &f);
  if (json)
    {
      autofree char *out = moat_findings_json (p, &f);
      puts (out);
    }
  else
    print_text (p, &f);
  int status = f.n ? 1 : 0;
  moat_findings_free (&f);
  moat_spec_free (s);
  moat_policy_free (p);
  return status;
}
