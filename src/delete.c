#include <config.h>
#include "cli.h"

static const char help[] =
  "Usage: moat delete [OPTIONS] ID\n"
  "\n"
  "Delete a stopped container: its cgroup and its state.\n"
  "\n"
  "  -f, --force               kill the container first if it is not stopped;\n"
  "                            succeed if it does not exist\n"
  "  -h, --help                print this help\n";

int
cmd_delete (struct cli *c, int argc, char **argv)
{
  static const struct option longopts[] = {
    { "force", no_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  bool force = false;
  int opt;
  while ((opt = cli_getopt (c, argc, argv, "fh", longopts, help)) != -1)
    if (opt == 'f')
      force = true;
  cli_positionals (c, argc, argv, 1, 1, "container id");
  moat_error *err = NULL;
  if (moat_delete (&c->ctx, argv[optind], force, &err) < 0)
    cli_fail (err);
  return 0;
}
