#include <config.h>
#include "cli.h"
#include "../libmoat/utils.h"
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char help[] =
  "Usage: moat create [OPTIONS] ID\n"
  "\n"
  "Create a container from a bundle.  Its init process is set up and waits\n"
  "for `moat start`; the container is in status created.\n"
  "\n"
  CREATE_HELP_OPTIONS
  "  -h, --help                print this help\n";

bool
create_option (struct cli *c, int opt, struct moat_create_options *o)
{
  unsigned long long n;
  switch (opt)
    {
    case 'b': o->bundle = optarg; return true;
    case 'P': o->pid_file = optarg; return true;
    case 'C': o->console_socket = optarg; return true;
    case 'N': o->no_pivot = true; return true;
    case 'K': o->no_new_keyring = true; return true;
    case 'L': o->seccomp_learn = optarg; return true;
    case 'M': o->seccomp_learn_merge = true; return true;
    case 'U':
      if (strcmp (optarg, "auto") != 0)
        cli_failf ("%s: --userns: unknown value `%s` (auto)", c->command, optarg);
      o->userns_auto = true;
      return true;
    case 'F':
      if (!moat_parse_uint (optarg, INT_MAX - 3, &n))
        cli_failf ("%s: --preserve-fds: `%s` is not a number of fds", c->command, optarg);
      o->preserve_fds = n;
      return true;
    default:
      return false;
    }
}

void
create_options_finish (struct cli *c, struct moat_create_options *o)
{
  const char *fds = getenv ("LISTEN_FDS"), *pid = getenv ("LISTEN_PID");
  unsigned long long n, p;
  if (fds == NULL || pid == NULL || !moat_parse_uint (pid, INT_MAX, &p)
      || p != (unsigned long long) getpid ())
    return;  /* not this process's: not passed on */
  if (!moat_parse_uint (fds, INT_MAX - 3, &n))
    cli_failf ("%s: LISTEN_FDS: `%s` is not a number of fds", c->command, fds);
  if (n > INT_MAX - 3 - o->preserve_fds)
    cli_failf ("%s: LISTEN_FDS %llu and --preserve-fds %u: too many fds", c->command, n,
               o->preserve_fds);
  o->listen_fds = n;
  o->preserve_fds += n;
}

int
cmd_create (struct cli *c, int argc, char **argv)
{
  static const struct option longopts[] = { CREATE_LONGOPTS, { NULL, 0, NULL, 0 } };
  struct moat_create_options o = { 0 };
  int opt;
  while ((opt = cli_getopt (c, argc, argv, "b:h", longopts, help)) != -1)
    create_option (c, opt, &o);
  cli_positionals (c, argc, argv, 1, 1, "container id");
  o.id = argv[optind];
  create_options_finish (c, &o);
  cli_load_policy (c);
  moat_error *err = NULL;
  if (moat_create (&c->ctx, &o, &err) < 0)
    cli_fail (err);
  return 0;
}
