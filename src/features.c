#include <config.h>
#include "cli.h"
#include <stdio.h>
#include <stdlib.h>

static const char help[] =
  "Usage: moat features\n"
  "\n"
  "Print what this build of moat supports, as JSON (OCI features document).\n";

int
cmd_features (struct cli *c, int argc, char **argv)
{
  static const struct option longopts[] = {
    { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
  };
  while (cli_getopt (c, argc, argv, "h", longopts, help) != -1)
    ;
  cli_positionals (c, argc, argv, 0, 0, "");
  char *json = moat_features_json ();
  fputs (json, stdout);
  free (json);
  return 0;
}
