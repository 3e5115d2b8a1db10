#include <config.h>
#include "cli.h"
#include <string.h>

static const char pause_help[] =
  "Usage: moat pause ID\n"
  "\n"
  "Freeze every process of a running container (cgroup v2 freezer).\n";

static const char resume_help[] =
  "Usage: moat resume ID\n"
  "\n"
  "Thaw a paused container.\n";

static int
pause_or_resume (struct cli *c, int argc, char **argv, bool pause)
{
  static const struct option longopts[] = {
    { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
  };
  while (cli_getopt (c, argc, argv, "h", longopts, pause ? pause_help : resume_help) != -1)
    ;
  cli_positionals (c, argc, argv, 1, 1, "container id");
  moat_error *err = NULL;
  if (moat_pause (&c->ctx, argv[optind], pause, &err) < 0)
    cli_fail (err);
  return 0;
}

int
cmd_pause (struct cli *c, int argc, char **argv)
{
  return pause_or_resume (c, argc, argv, true);
}

int
cmd_resume (struct cli *c, int argc, char **argv)
{
  return pause_or_resume (c, argc, argv, false);
}
