#include <config.h>
#include "cli.h"

static const char help[] =
  "Usage: moat run [OPTIONS] ID\n"
  "\n"
  "Create and start a container.  In the foreground moat waits for the\n"
  "process, forwards signals to it, deletes the container and exits with\n"
  "the process's status (128+N when killed by signal N).\n"
  "\n"
  CREATE_HELP_OPTIONS
  "  -d, --detach              return once the container runs\n"
  "      --keep                do not delete the container when it exits\n"
  "      --no-subreaper        accepted for runc's sake: moat never makes itself\n"
  "                            a subreaper\n"
  "  -h, --help                print this help\n";

int
cmd_run (struct cli *c, int argc, char **argv)
{
  static const struct option longopts[] = {
    CREATE_LONGOPTS,
    { "detach", no_argument, NULL, 'd' },
    { "keep", no_argument, NULL, 'k' },
    { "no-subreaper", no_argument, NULL, 'R' },
    { NULL, 0, NULL, 0 },
  };
  struct moat_create_options o = { 0 };
  bool detach = false, keep = false;
  int opt;
  while ((opt = cli_getopt (c, argc, argv, "b:dh", longopts, help)) != -1)
    if (!create_option (c, opt, &o))
      {
        if (opt == 'd')
          detach = true;
        else if (opt == 'k')
          keep = true;
      }
  cli_positionals (c, argc, argv, 1, 1, "container id");
  o.id = argv[optind];
  create_options_finish (c, &o);
  cli_load_policy (c);
  /* run is a person's command: audit findings on stderr too */
  c->ctx.policy_findings_to_stderr = true;
  moat_error *err = NULL;
  int status = 0;
  if (moat_run (&c->ctx, &o, detach, keep, &status, &err) < 0)
    cli_fail (err);
  return status;
}
