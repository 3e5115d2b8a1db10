#include <config.h>
#include "cli.h"

static const char help[] =
  "Usage: moat start ID\n"
  "\n"
  "Make a created container execute its process.\n";

int
cmd_start (struct cli *c, int argc, char **argv)
{
  static const struct option longopts[] = {
    { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
  };
  while (cli_getopt (c, argc, argv, "h", longopts, help) != -1)
    ;
  cli_positionals (c, argc, argv, 1, 1, "container id");
  moat_error *err = NULL;
  if (moat_start (&c->ctx, argv[optind], &err) < 0)
    cli_fail (err);
  return 0;
}
