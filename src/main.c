/* moat: global options, then dispatch to one subcommand.  */
#include <config.h>
#include "cli.h"
#include "src/version.h"
#include "../libmoat/feature-table.h"
#include "../libmoat/linux/linux.h"
#include "../libmoat/utils.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
  "Usage: moat [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]\n"
  "\n"
  "A minimal, hardened OCI container runtime.\n"
  "\n"
  "Commands:\n"
  "  spec       write a config.json for a new bundle\n"
  "  create     create a container that waits for start\n"
  "  start      run the process of a created container\n"
  "  run        create and start a container\n"
  "  state      print the state of a container as JSON\n"
  "  exec       run a process in a running container\n"
  "  ps         list the processes of a container\n"
  "  pause      freeze a running container\n"
  "  resume     thaw a paused container\n"
  "  update     change the resource limits of a container\n"
  "  events     print a container's usage figures and OOM kills\n"
  "  kill       send a signal to a container\n"
  "  delete     delete a container\n"
  "  list       list containers\n"
  "  features   print the features this build supports as JSON\n"
  "  check      print what the policy finds in a bundle's config\n"
  "  checkpoint checkpoint a running container with CRIU\n"
  "  restore    restore a container from a CRIU checkpoint\n"
  "\n"
  "Global options:\n"
  "  --root DIR                state directory (default /run/moat as root,\n"
  "                            $XDG_RUNTIME_DIR/moat otherwise)\n"
  "  --log FILE                append log messages to FILE\n"
  "  --log-format text|json    format of --log (default text)\n"
  "  --log-level LEVEL         error, warning, info or debug (default warning)\n"
  "  --debug                   same as --log-level debug\n"
  "  --systemd-cgroup          use the systemd cgroup driver\n"
  "  --cgroup-manager M        cgroupfs, systemd or disabled (default cgroupfs)\n"
  "  --policy FILE             the hardening policy (default /etc/moat/policy.json\n"
  "                            as root, $XDG_CONFIG_HOME/moat/policy.json rootless)\n"
  "  --audit-log FILE          append a JSON line per lifecycle event to FILE\n"
  "                            (default: the policy's audit.log)\n"
  "  --rootless auto|true|false\n"
  "                            without the host's root or not (auto: not uid 0,\n"
  "                            or in a user namespace of its own)\n"
  "  --criu PATH               the criu binary for checkpoint and restore\n"
  "                            (refused where moat cannot checkpoint)\n"
  "  -v, --version             print version information\n"
  "  -h, --help                print this help\n"
  "\n"
  "`moat COMMAND --help` describes each command.\n";

static const char *log_path;
static char **original_argv;

static int
reexec_sealed (moat_error **err)
{
  fflush (NULL);
  return moat_reexec_from_sealed_copy (original_argv, err);
}
static bool log_json;

/* --criu PATH: refused where moat cannot checkpoint (the option would do
   nothing); else an executable regular file, by path or found in $PATH:
   the path checked (free it) */
static char *
check_criu_path (const char *path)
{
  moat_error *err = NULL;
  if (moat_feature_require (MOAT_FEATURE_CRIU, "--criu", &err) < 0)
    cli_fail (err);
  char *found = NULL;
  if (strchr (path, '/') == NULL)
    {
      if ((found = moat_find_program (path)) == NULL)
        cli_failf ("--criu: `%s` is not found in $PATH", path);
      path = found;
    }
  struct stat st;
  if (stat (path, &st) < 0)
    cli_failf ("--criu: `%s`: %s", path, strerror (errno));
  if (!S_ISREG (st.st_mode) || access (path, X_OK) < 0)
    cli_failf ("--criu: `%s` is not an executable file", path);
  /* the path found: libcriu runs what was checked */
  return found ? found : xstrdup (path);
}

const char *
cli_printable (const char *s, char **buf)
{
  free (*buf);
  *buf = NULL;
  if (s == NULL)
    return "";
  *buf = moat_printable (s);
  return *buf;
}

void
cli_fail (moat_error *err)
{
  const char *msg = err && err->msg ? err->msg : "unknown error";
  autofree char *printable = NULL;
  fprintf (stderr, "moat: %s\n", cli_printable (msg, &printable));
  moat_log_discard ();
  moat_log_error_to_file (msg);
  exit (1);
}

void
cli_failf (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char *msg = NULL;
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  moat_error e = { .msg = msg };
  cli_fail (&e);
}

int
cli_getopt (struct cli *c, int argc, char **argv, const char *shortopts,
            const struct option *longopts, const char *help)
{
  autofree char *so = xasprintf ("+:%s", shortopts);
  int opt = getopt_long (argc, argv, so, longopts, NULL);
  if (opt == 'h')
    {
      fputs (help, stdout);
      exit (0);
    }
  if (opt == '?')
    {
      if (optopt)
        cli_failf ("%s: unknown option `-%c`", c->command, optopt);
      cli_failf ("%s: unknown option `%s`", c->command, argv[optind - 1]);
    }
  if (opt == ':')
    cli_failf ("%s: option `%s` needs a value", c->command, argv[optind - 1]);
  return opt;
}

void
cli_positionals (struct cli *c, int argc, char **argv, int min, int max,
                 const char *what)
{
  (void) argv;
  int n = argc - optind;
  if (n < min)
    cli_failf ("%s: missing %s (see `moat %s --help`)", c->command, what, c->command);
  if (n > max)
    cli_failf ("%s: unexpected argument `%s` (see `moat %s --help`)", c->command,
               argv[optind + max], c->command);
}

void
cli_load_policy (struct cli *c)
{
  struct moat_policy *p = NULL;
  moat_error *err = NULL;
  if (moat_policy_load (c->policy_path, &p, &err) < 0)
    cli_fail (err);
  c->ctx.policy = p;  /* for the life of the command */
  if (c->ctx.audit_log == NULL)
    c->ctx.audit_log = moat_policy_audit_log (p);
}

/* Features are listed as + only when this build really applies them.  */
static void
print_version (void)
{
  printf ("moat version %s\ncommit: %s\nspec: %s\n%s\n", PACKAGE_VERSION, MOAT_COMMIT,
          OCI_SPEC_VERSION, moat_version_features ());
}

static const struct
{
  const char *name;
  int (*fn) (struct cli *, int, char **);
} commands[] = {
  { "spec", cmd_spec }, { "create", cmd_create }, { "start", cmd_start },
  { "run", cmd_run }, { "state", cmd_state }, { "kill", cmd_kill },
  { "delete", cmd_delete }, { "list", cmd_list }, { "features", cmd_features },
  { "exec", cmd_exec }, { "ps", cmd_ps }, { "pause", cmd_pause }, { "resume", cmd_resume },
  { "update", cmd_update }, { "events", cmd_events }, { "check", cmd_check },
  { "checkpoint", cmd_checkpoint }, { "restore", cmd_restore },
};

enum
{
  OPT_ROOT = 1000, OPT_LOG, OPT_LOG_FORMAT, OPT_LOG_LEVEL, OPT_DEBUG,
  OPT_SYSTEMD_CGROUP, OPT_CGROUP_MANAGER, OPT_ROOTLESS, OPT_CRIU, OPT_POLICY,
  OPT_AUDIT_LOG,
};

static const struct option global_options[] = {
  { "root", required_argument, NULL, OPT_ROOT },
  { "log", required_argument, NULL, OPT_LOG },
  { "log-format", required_argument, NULL, OPT_LOG_FORMAT },
  { "log-level", required_argument, NULL, OPT_LOG_LEVEL },
  { "debug", no_argument, NULL, OPT_DEBUG },
  { "systemd-cgroup", no_argument, NULL, OPT_SYSTEMD_CGROUP },
  { "cgroup-manager", required_argument, NULL, OPT_CGROUP_MANAGER },
  { "rootless", required_argument, NULL, OPT_ROOTLESS },
  { "criu", required_argument, NULL, OPT_CRIU },
  { "policy", required_argument, NULL, OPT_POLICY },
  { "audit-log", required_argument, NULL, OPT_AUDIT_LOG },
  { "version", no_argument, NULL, 'v' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

int
main (int argc, char **argv)
{
  struct cli c = { .command = "moat" };
  original_argv = argv;
  const char *root = NULL, *log_format = "text", *log_level = NULL;
  const char *rootless = "auto";
  bool debug = false;
  enum moat_cgroup_manager manager = MOAT_CGROUP_CGROUPFS;
  autofree char *criu_path = NULL;
  int opt;

  opterr = 0;
  while ((opt = getopt_long (argc, argv, "+:vh", global_options, NULL)) != -1)
    switch (opt)
      {
      case OPT_ROOT: root = optarg; break;
      case OPT_LOG: log_path = optarg; break;
      case OPT_LOG_FORMAT: log_format = optarg; break;
      case OPT_LOG_LEVEL: log_level = optarg; break;
      case OPT_DEBUG: debug = true; break;
      case OPT_SYSTEMD_CGROUP: manager = MOAT_CGROUP_SYSTEMD; break;
      case OPT_CRIU:
        /* the criu binary for checkpoint/restore, as runc takes it */
        free (criu_path);
        c.ctx.criu_path = criu_path = check_criu_path (optarg);
        break;
      case OPT_ROOTLESS: rootless = optarg; break;
      case OPT_POLICY: c.policy_path = optarg; break;
      case OPT_AUDIT_LOG:
        if (optarg[0] != '/')
          cli_failf ("--audit-log: `%s` is not an absolute path", optarg);
        c.ctx.audit_log = optarg;
        break;
      case OPT_CGROUP_MANAGER:
        if (strcmp (optarg, "cgroupfs") == 0)
          manager = MOAT_CGROUP_CGROUPFS;
        else if (strcmp (optarg, "systemd") == 0)
          manager = MOAT_CGROUP_SYSTEMD;
        else if (strcmp (optarg, "disabled") == 0)
          manager = MOAT_CGROUP_DISABLED;
        else
          cli_failf ("--cgroup-manager: unknown value `%s` (cgroupfs, systemd or "
                     "disabled)", optarg);
        break;
      case 'v': print_version (); return 0;
      case 'h': fputs (usage, stdout); return 0;
      case ':': cli_failf ("option `%s` needs a value", argv[optind - 1]);
      default:
        if (optopt)
          cli_failf ("unknown option `-%c` (see `moat --help`)", optopt);
        cli_failf ("unknown option `%s` (see `moat --help`)", argv[optind - 1]);
      }

  /* Set up logging first, so even bad flags below are logged.  */
  enum moat_log_format fmt;
  if (strcmp (log_format, "json") == 0)
    fmt = MOAT_LOG_JSON, log_json = true;
  else if (strcmp (log_format, "text") == 0)
    fmt = MOAT_LOG_TEXT;
  else
    cli_failf ("--log-format: unknown value `%s` (text or json)", log_format);
  enum moat_log_level level = MOAT_LOG_WARNING;
  if (debug)
    level = MOAT_LOG_DEBUG;
  else if (log_level && moat_log_level_from_string (log_level, &level) < 0)
    cli_failf ("--log-level: unknown value `%s` (error, warning, info or debug)",
               log_level);
  moat_error *err = NULL;
  if (moat_log_init (log_path, fmt, level, &err) < 0)
    cli_fail (err);

  if (strcmp (rootless, "auto") != 0 && strcmp (rootless, "true") != 0
      && strcmp (rootless, "false") != 0)
    cli_failf ("--rootless: unknown value `%s` (auto, true or false)", rootless);
  moat_set_rootless_mode (strcmp (rootless, "true") == 0 ? MOAT_ROOTLESS_TRUE
                          : strcmp (rootless, "false") == 0 ? MOAT_ROOTLESS_FALSE
                          : MOAT_ROOTLESS_AUTO);
  autofree char *default_root = NULL;
  if (root == NULL)
    root = default_root = moat_default_state_root ();
  c.ctx.state_root = root;
  c.ctx.cgroup_manager = manager;
  c.ctx.reexec_sealed = reexec_sealed;
  /* a service manager's socket: create, start and run relay the
     container's READY=1 to it (docs/moat.1.md, NOTIFY_SOCKET) */
  const char *notify = getenv ("NOTIFY_SOCKET");
  c.ctx.notify_socket = notify && notify[0] ? notify : NULL;

  if (optind >= argc)
    {
      fputs (usage, stderr);
      cli_failf ("missing command");
    }
  const char *name = argv[optind];
  for (size_t i = 0; i < ARRAY_SIZE (commands); i++)
    if (strcmp (name, commands[i].name) == 0)
      {
        c.command = name;
        int sub_argc = argc - optind;
        char **sub_argv = argv + optind;
        optind = 0;  /* restart getopt for the subcommand */
        int r = commands[i].fn (&c, sub_argc, sub_argv);
        moat_policy_free ((struct moat_policy *) c.ctx.policy);
        moat_log_flush ();
        return r;
      }
  if (strcmp (name, "help") == 0)
    {
      fputs (usage, stdout);
      return 0;
    }
  cli_failf ("unknown command `%s` (see `moat --help`)", name);
}
