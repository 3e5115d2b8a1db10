/* checkpoint and restore: runc's commands and flags, so that an engine
   configured for them gets moat's answer about checkpointing rather than
   an unknown command or option.  This version of moat cannot checkpoint
   (the feature table says why: built without libcriu, or not
   implemented): both refuse, as "not supported", after checking what
   they are given.  */
#include <config.h>
#include "cli.h"
#include "../libmoat/feature-table.h"
#include <string.h>

static const char checkpoint_help[] =
  "Usage: moat checkpoint [OPTIONS] ID\n"
  "\n"
  "Checkpoint a running container with CRIU (runc's options: --image-path,\n"
  "--work-path, --parent-path, --leave-running, --tcp-established,\n"
  "--ext-unix-sk, --shell-job, --file-locks, --pre-dump,\n"
  "--manage-cgroups-mode, --empty-ns, --auto-dedup, --lazy-pages,\n"
  "--status-fd, --page-server).  Not supported by this version of moat:\n"
  "see `moat --version` (CRIU).\n";

static const char restore_help[] =
  "Usage: moat restore [OPTIONS] ID\n"
  "\n"
  "Restore a container from a CRIU checkpoint (runc's options, as for\n"
  "checkpoint, and --bundle, --console-socket, --detach, --pid-file,\n"
  "--no-subreaper, --no-pivot, --lsm-profile, --lsm-mount-context).  Not\n"
  "supported by this version of moat: see `moat --version` (CRIU).\n";

/* runc's flags of both commands: each taken (with its value), none used */
static const struct option criu_options[] = {
  { "image-path", required_argument, NULL, 'i' },
  { "work-path", required_argument, NULL, 'w' },
  { "parent-path", required_argument, NULL, 'P' },
  { "leave-running", no_argument, NULL, 'L' },
  { "tcp-established", no_argument, NULL, 'T' },
  { "ext-unix-sk", no_argument, NULL, 'U' },
  { "shell-job", no_argument, NULL, 'S' },
  { "file-locks", no_argument, NULL, 'F' },
  { "pre-dump", no_argument, NULL, 'D' },
  { "manage-cgroups-mode", required_argument, NULL, 'm' },
  { "empty-ns", required_argument, NULL, 'e' },
  { "auto-dedup", no_argument, NULL, 'A' },
  { "lazy-pages", no_argument, NULL, 'l' },
  { "status-fd", required_argument, NULL, 's' },
  { "page-server", required_argument, NULL, 'p' },
  { "bundle", required_argument, NULL, 'b' },
  { "console-socket", required_argument, NULL, 'c' },
  { "detach", no_argument, NULL, 'd' },
  { "pid-file", required_argument, NULL, 'f' },
  { "no-subreaper", no_argument, NULL, 'R' },
  { "no-pivot", no_argument, NULL, 'N' },
  { "lsm-profile", required_argument, NULL, 'o' },
  { "lsm-mount-context", required_argument, NULL, 'M' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

static int
refuse (struct cli *c, int argc, char **argv, bool checkpoint)
{
  const char *help = checkpoint ? checkpoint_help : restore_help;
  int opt;
  /* checkpoint has no bundle or restore-only flags */
  while ((opt = cli_getopt (c, argc, argv, "hb:d", criu_options, help)) != -1)
    if (checkpoint && strchr ("bcdfRNoM", opt))
      for (const struct option *o = criu_options; o->name; o++)
        if (o->val == opt)
          cli_failf ("checkpoint: unknown option `--%s` (an option of restore)", o->name);
  cli_positionals (c, argc, argv, 1, 1, "container id");
  moat_error *err = NULL;
  if (checkpoint)
    {
      /* a missing container is said first, as for every command on one */
      struct moat_state st = { 0 };
      if (moat_state (&c->ctx, argv[optind], &st, &err) < 0)
        cli_fail (err);
      moat_state_clear (&st);
    }
  moat_feature_require (MOAT_FEATURE_CRIU, c->command, &err);
  cli_fail (err);
}

int
cmd_checkpoint (struct cli *c, int argc, char **argv)
{
  return refuse (c, argc, argv, true);
}

int
cmd_restore (struct cli *c, int argc, char **argv)
{
  return refuse (c, argc, argv, false);
}
