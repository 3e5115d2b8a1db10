#include <config.h>
#include "cli.h"
#include "../libmoat/utils.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
  "Usage: moat list [OPTIONS]\n"
  "\n"
  "List the containers under the state directory.\n"
  "\n"
  "  -q, --quiet               print only the ids\n"
  "  -f, --format table|json   output format (default table)\n"
  "  -h, --help                print this help\n";

int
cmd_list (struct cli *c, int argc, char **argv)
{
  static const struct option longopts[] = {
    { "quiet", no_argument, NULL, 'q' },
    { "format", required_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  bool quiet = false, json = false;
  int opt;
  while ((opt = cli_getopt (c, argc, argv, "qf:h", longopts, help)) != -1)
    if (opt == 'q')
      quiet = true;
    else if (opt == 'f')
      {
        if (strcmp (optarg, "json") == 0)
          json = true;
        else if (strcmp (optarg, "table") != 0)
          cli_failf ("list: --format: unknown value `%s` (table or json)", optarg);
      }
  cli_positionals (c, argc, argv, 0, 0, "");
  moat_error *err = NULL;
  struct moat_state *list;
  size_t n;
  if (moat_list (&c->ctx, &list, &n, &err) < 0)
    cli_fail (err);
  if (json)
    {
      fputs ("[", stdout);
      for (size_t i = 0; i < n; i++)
        {
          char *s = moat_state_to_json (&list[i], false);
          printf ("%s%s", i ? "," : "", s);
          free (s);
        }
      fputs ("]\n", stdout);
    }
  else if (quiet)
    for (size_t i = 0; i < n; i++)
      printf ("%s\n", list[i].id);
  else
    {
      printf ("%-20s %-8s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE",
              "CREATED", "OWNER");
      for (size_t i = 0; i < n; i++)
        {
          autofree char *b1 = NULL, *b2 = NULL, *b3 = NULL;
          printf ("%-20s %-8d %-10s %-40s %-30s %s\n", list[i].id,
                  list[i].status == MOAT_STATUS_STOPPED ? 0 : list[i].pid,
                  moat_status_name (list[i].status), cli_printable (list[i].bundle, &b1),
                  cli_printable (list[i].created, &b2), cli_printable (list[i].owner, &b3));
        }
    }
  for (size_t i = 0; i < n; i++)
    moat_state_clear (&list[i]);
  free (list);
  return 0;
}
