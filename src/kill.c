#include <config.h>
#include "cli.h"
#include "../libmoat/signals.h"
#include <signal.h>

static const char help[] =
  "Usage: moat kill [OPTIONS] ID [SIGNAL]\n"
  "\n"
  "Send a signal (default SIGTERM) to the container's init process.  SIGNAL\n"
  "is a name with or without SIG (TERM, SIGKILL, RTMIN+1) or a number.\n"
  "\n"
  "  -a, --all                 signal every process in the container's cgroup\n"
  "  -h, --help                print this help\n";

int
cmd_kill (struct cli *c, int argc, char **argv)
{
  static const struct option longopts[] = {
    { "all", no_argument, NULL, 'a' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  bool all = false;
  int opt;
  while ((opt = cli_getopt (c, argc, argv, "ah", longopts, help)) != -1)
    if (opt == 'a')
      all = true;
  cli_positionals (c, argc, argv, 1, 2, "container id");
  moat_error *err = NULL;
  int sig = SIGTERM;
  if (argc - optind == 2 && moat_parse_signal (argv[optind + 1], &sig, &err) < 0)
    cli_fail (err);
  if (moat_kill (&c->ctx, argv[optind], sig, all, &err) < 0)
    cli_fail (err);
  return 0;
}
