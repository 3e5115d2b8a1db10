#include <config.h>
#include "cli.h"
#include "../libmoat/utils.h"
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
  "Usage: moat exec [OPTIONS] ID [COMMAND [ARG...]]\n"
  "\n"
  "Run a process in a running container: in all its namespaces and its\n"
  "cgroup, with its capabilities and user unless the options say otherwise.\n"
  "In the foreground moat exits with the process's status.\n"
  "\n"
  "  -p, --process FILE        the process as a JSON process object\n"
  "  -t, --tty                 allocate a terminal\n"
  "  -d, --detach              return once the process runs\n"
  "      --pid-file FILE       write the process's host pid to FILE\n"
  "      --console-socket S    unix socket that receives the pty master\n"
  "      --cwd DIR             working directory in the container\n"
  "  -e, --env KEY=VALUE       add an environment variable (repeatable)\n"
  "  -u, --user UID[:GID]      run as this user\n"
  "      --additional-gids G   add a supplementary group (repeatable)\n"
  "  -c, --cap CAP             add a capability (repeatable)\n"
  "      --no-new-privs        set no_new_privs\n"
  "      --process-label L     the SELinux context of the process\n"
  "      --apparmor P          AppArmor profile of the process (default: the\n                            container's)\n"
  "      --preserve-fds N      pass fds 3..3+N-1 to the process\n"
  "      --cgroup [:]PATH      run in this existing cgroup below the container's\n"
  "      --ignore-paused       exec into a paused container (runs at resume)\n"
  "  -h, --help                print this help\n";

static uint32_t
parse_id (struct cli *c, const char *s, const char *what)
{
  unsigned long long v;
  if (!moat_parse_uint (s, UINT32_MAX - 1, &v))
    cli_failf ("%s: %s: `%s` is not a numeric id", c->command, what, s);
  return v;
}

int
cmd_exec (struct cli *c, int argc, char **argv)
{
  enum { O_PID = 1000, O_CONSOLE, O_CWD, O_GIDS, O_NNP, O_LABEL, O_APPARMOR, O_PRESERVE,
         O_IGNORE_PAUSED, O_CGROUP };
  static const struct option longopts[] = {
    { "process", required_argument, NULL, 'p' },
    { "tty", no_argument, NULL, 't' },
    { "detach", no_argument, NULL, 'd' },
    { "pid-file", required_argument, NULL, O_PID },
    { "console-socket", required_argument, NULL, O_CONSOLE },
    { "cwd", required_argument, NULL, O_CWD },
    { "env", required_argument, NULL, 'e' },
    { "user", required_argument, NULL, 'u' },
    { "additional-gids", required_argument, NULL, O_GIDS },
    { "cap", required_argument, NULL, 'c' },
    { "no-new-privs", no_argument, NULL, O_NNP },
    { "process-label", required_argument, NULL, O_LABEL },
    { "apparmor", required_argument, NULL, O_APPARMOR },
    { "preserve-fds", required_argument, NULL, O_PRESERVE },
    { "ignore-paused", no_argument, NULL, O_IGNORE_PAUSED },
    { "cgroup", required_argument, NULL, O_CGROUP },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct moat_exec_options o = { 0 };
  int opt;
  unsigned long long n;
  while ((opt = cli_getopt (c, argc, argv, "p:tde:u:c:h", longopts, help)) != -1)
    switch (opt)
      {
      case 'p': o.process_file = optarg; break;
      case 't': o.tty = o.tty_set = true; break;
      case 'd': o.detach = true; break;
      case O_PID: o.pid_file = optarg; break;
      case O_CONSOLE: o.console_socket = optarg; break;
      case O_CWD: o.cwd = optarg; break;
      case 'e':
        if (strchr (optarg, '=') == NULL)
          cli_failf ("exec: --env: `%s` is not KEY=VALUE", optarg);
        o.env = moat_strv_append (o.env, optarg);
        break;
      case 'u':
        {
          /* argv stays intact: the command may run again from a sealed copy */
          char *user = xstrdup (optarg);
          char *colon = strchr (user, ':');
          if (colon)
            {
              *colon = '\0';
              o.gid = parse_id (c, colon + 1, "--user gid");
              o.has_gid = true;
            }
          o.uid = parse_id (c, user, "--user uid");
          o.has_user = true;
          free (user);
          break;
        }
      case O_GIDS:
        o.additional_gids = xrealloc (o.additional_gids,
                                      (o.n_additional_gids + 1) * sizeof (uint32_t));
        o.additional_gids[o.n_additional_gids++] = parse_id (c, optarg,
                                                             "--additional-gids");
        break;
      case 'c': o.caps = moat_strv_append (o.caps, optarg); break;
      case O_NNP: o.no_new_privs = true; break;
      case O_LABEL: o.process_label = optarg; break;
      case O_APPARMOR: o.apparmor = optarg; break;
      case O_IGNORE_PAUSED: o.ignore_paused = true; break;
      case O_CGROUP: o.cgroup = optarg; break;
      case O_PRESERVE:
        if (!moat_parse_uint (optarg, INT_MAX - 3, &n))
          cli_failf ("exec: --preserve-fds: `%s` is not a number of fds", optarg);
        o.preserve_fds = n;
        break;
      }
  cli_positionals (c, argc, argv, 1, INT_MAX, "container id");
  o.id = argv[optind];
  if (argc - optind > 1)
    o.args = argv + optind + 1;
  moat_error *err = NULL;
  int status = 0;
  int r = moat_exec (&c->ctx, &o, &status, &err);
  /* what the options allocated (LeakSanitizer reports it at exit) */
  moat_strv_free (o.env);
  moat_strv_free (o.caps);
  free (o.additional_gids);
  if (r < 0)
    cli_fail (err);
  return status;
}
