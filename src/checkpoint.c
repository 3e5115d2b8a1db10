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

#define CRIU_HELP_OPTIONS                                                     \
  "  --image-path DIR          where the images are\n"                     \
  "  --work-path DIR           where CRIU's log and work files go\n"        \
  "  --parent-path DIR         the images of a pre-dump to build on\n"      \
  "  --leave-running           keep the container running\n"               \
  "  --tcp-established         take established TCP connections\n"        \
  "  --ext-unix-sk             take external unix sockets\n"               \
  "  --shell-job               the container is a shell job\n"             \
  "  --file-locks              take file locks\n"                          \
  "  --pre-dump                dump memory only, for a later dump\n"       \
  "  --manage-cgroups-mode M   soft, full, strict or ignore\n"             \
  "  --empty-ns NS             a namespace not to take\n"                  \
  "  --auto-dedup              deduplicate the images\n"                   \
  "  --lazy-pages              leave memory pages to a page server\n"      \
  "  --status-fd FD            report on FD\n"                             \
  "  --page-server ADDR        send pages to ADDR\n"

static const char checkpoint_help[] =
  "Usage: moat checkpoint [OPTIONS] ID\n"
  "\n"
  "Checkpoint a running container with CRIU, with runc's options.  This\n"
  "version of moat cannot checkpoint (CRIU in the feature line of its\n"
  "version): it checks the options and the container, then fails.\n"
  "\n"
  CRIU_HELP_OPTIONS
  "  -h, --help                print this help\n";

static const char restore_help[] =
  "Usage: moat restore [OPTIONS] ID\n"
  "\n"
  "Restore a container from a CRIU checkpoint, with runc's options.  This\n"
  "version of moat cannot restore (CRIU in the feature line of its\n"
  "version): it checks the options, then fails.\n"
  "\n"
  CRIU_HELP_OPTIONS
  "  -b, --bundle DIR          the bundle to restore into\n"
  "  --console-socket PATH     where the terminal's master goes\n"
  "  -d, --detach              return once restored\n"
  "  --pid-file FILE           write the init's pid to FILE\n"
  "  --no-subreaper            (accepted, as runc)\n"
  "  --no-pivot                do not pivot_root\n"
  "  --lsm-profile LABEL       the process's LSM label\n"
  "  --lsm-mount-context CTX   the mounts' SELinux context\n"
  "  -h, --help                print this help\n";

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
