#include <config.h>
#include "cli.h"
#include "../libmoat/utils.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
  "Usage: moat ps [OPTIONS] ID\n"
  "\n"
  "List the processes of a container (host pids).\n"
  "\n"
  "  -f, --format table|json   output format (default table; json is an array of pids)\n"
  "  -h, --help                print this help\n";

int
cmd_ps (struct cli *c, int argc, char **argv)
{
  static const struct option longopts[] = {
    { "format", required_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  bool json = false;
  int opt;
  while ((opt = cli_getopt (c, argc, argv, "f:h", longopts, help)) != -1)
    if (opt == 'f')
      {
        if (strcmp (optarg, "json") == 0)
          json = true;
        else if (strcmp (optarg, "table") != 0)
          cli_failf ("ps: --format: unknown value `%s` (table or json)", optarg);
      }
  cli_positionals (c, argc, argv, 1, 1, "container id");
  moat_error *err = NULL;
  int *pids;
  size_t n;
  if (moat_ps (&c->ctx, argv[optind], &pids, &n, &err) < 0)
    cli_fail (err);
  if (json)
    {
      fputs ("[", stdout);
      for (size_t i = 0; i < n; i++)
        printf ("%s%d", i ? "," : "", pids[i]);
      fputs ("]\n", stdout);
    }
  else
    {
      printf ("%-8s %s\n", "PID", "CMD");
      for (size_t i = 0; i < n; i++)
        {
          char path[64];
          autofree char *cmd = NULL;
          size_t len = 0;
          snprintf (path, sizeof path, "/proc/%d/cmdline", pids[i]);
          if (moat_read_file_at (AT_FDCWD, path, 4096, &cmd, &len, NULL) == 0)
            for (size_t k = 0; k + 1 < len; k++)
              if (cmd[k] == '\0')
                cmd[k] = ' ';
          autofree char *shown = NULL;
          printf ("%-8d %s\n", pids[i], cmd ? cli_printable (cmd, &shown) : "?");
        }
    }
  free (pids);
  return 0;
}
