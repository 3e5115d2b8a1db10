/* checkpoint and restore: runc's commands and flags, turned into
   moat_checkpoint and moat_restore (CRIU through its RPC).  Each flag
   reaches CRIU or is refused, never dropped.  */
#include <config.h>
#include "cli.h"
#include "../libmoat/utils.h"
#include <limits.h>
#include <string.h>

#define CRIU_HELP_OPTIONS                                                     \
  "  --image-path DIR          where the images are\n"                     \
  "  --work-path DIR           where CRIU's log and work files go\n"        \
  "  --tcp-established         take established TCP connections\n"        \
  "  --ext-unix-sk             take external unix sockets\n"               \
  "  --shell-job               the container is a shell job\n"             \
  "  --file-locks              take file locks\n"                          \
  "  --manage-cgroups-mode M   soft, full, strict or ignore (restore:\n"   \
  "                            ignore only)\n"                             \
  "  --empty-ns NS             a namespace made empty, its contents not\n" \
  "                            taken (network only)\n"                     \
  "  --auto-dedup              deduplicate the images\n"                   \
  "  --lazy-pages              memory on demand, through userfaultfd\n"

static const char checkpoint_help[] =
  "Usage: moat checkpoint [OPTIONS] ID\n"
  "\n"
  "Checkpoint a running (or paused) container with CRIU, runc's options.\n"
  "Its processes are dumped into the image directory, then killed: the\n"
  "container is stopped (unless --leave-running or --pre-dump).\n"
  "\n"
  CRIU_HELP_OPTIONS
  "  --parent-path DIR         the images of a pre-dump to build on\n"
  "  --leave-running           keep the container running\n"
  "  --pre-dump                dump memory only, for a later dump\n"
  "  --page-server ADDR:PORT   send the memory to a page server (with\n"
  "                            --lazy-pages: serve it there)\n"
  "  --status-fd FD            with --lazy-pages: a byte 0 written to FD\n"
  "                            once the page server is ready\n"
  "  -h, --help                print this help\n";

static const char restore_help[] =
  "Usage: moat restore [OPTIONS] ID\n"
  "\n"
  "Restore a container from a CRIU checkpoint, runc's options: a new\n"
  "container from the bundle, its processes running on where they were\n"
  "checkpointed.  Without --detach moat waits for it, as run does.\n"
  "\n"
  CRIU_HELP_OPTIONS
  "  -b, --bundle DIR          the bundle to restore into\n"
  "  --console-socket PATH     where the terminal's master goes\n"
  "  -d, --detach              return once restored\n"
  "  --pid-file FILE           write the init's pid to FILE\n"
  "  --no-subreaper            (accepted, as runc)\n"
  "  --no-pivot                (accepted, as runc: no effect)\n"
  "  --lsm-profile TYPE:LABEL  the restored processes' LSM label\n"
  "                            (apparmor:NAME or selinux:LABEL)\n"
  "  --lsm-mount-context CTX   the SELinux context of the restored mounts\n"
  "  -h, --help                print this help\n";

/* runc's flags of both commands; each command refuses the other's */
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

static const char *
option_name (int opt)
{
  for (const struct option *o = criu_options; o->name; o++)
    if (o->val == opt)
      return o->name;
  return "?";
}

/* A flag of the other command.  */
static void
check_option (struct cli *c, int opt, bool checkpoint)
{
  const char *other = checkpoint ? "bcdfRNoM" : "PLDsp";
  if (strchr (other, opt))
    cli_failf ("%s: unknown option `--%s` (an option of %s)", c->command,
               option_name (opt), checkpoint ? "restore" : "checkpoint");
}

/* An option both commands take: true when it was one.  */
static bool
criu_option (int opt, struct moat_criu_options *o)
{
  switch (opt)
    {
    case 'i': o->image_path = optarg; return true;
    case 'w': o->work_path = optarg; return true;
    case 'T': o->tcp_established = true; return true;
    case 'U': o->ext_unix_sk = true; return true;
    case 'S': o->shell_job = true; return true;
    case 'F': o->file_locks = true; return true;
    case 'm': o->manage_cgroups_mode = optarg; return true;
    case 'e': o->empty_ns = optarg; return true;
    case 'A': o->auto_dedup = true; return true;
    case 'l': o->lazy_pages = true; return true;
    default: return false;
    }
}

/* containerd's shim (go-runc) spells a flag with a single dash
   (`restore -no-subreaper`), which runc's parser takes as the long
   option: a long option's whole name after one dash is read as it.  */
static void
single_dash_long_options (int argc, char **argv)
{
  for (int i = 1; i < argc && strcmp (argv[i], "--") != 0; i++)
    {
      const char *a = argv[i];
      if (a[0] != '-' || a[1] == '-' || strlen (a) < 3)
        continue;
      size_t n = strcspn (a + 1, "=");
      for (const struct option *o = criu_options; o->name; o++)
        if (strlen (o->name) == n && strncmp (o->name, a + 1, n) == 0)
          argv[i] = xasprintf ("-%s", a);
    }
}

int
cmd_checkpoint (struct cli *c, int argc, char **argv)
{
  struct moat_checkpoint_options o = { 0 };
  int opt;
  single_dash_long_options (argc, argv);
  while ((opt = cli_getopt (c, argc, argv, "h", criu_options, checkpoint_help)) != -1)
    {
      check_option (c, opt, true);
      if (criu_option (opt, &o.criu))
        continue;
      if (opt == 'P')
        o.parent_path = optarg;
      else if (opt == 'L')
        o.leave_running = true;
      else if (opt == 'D')
        o.pre_dump = true;
      else if (opt == 'p')
        o.page_server = optarg;
      else if (opt == 's')
        {
          unsigned long long fd;
          if (!moat_parse_uint (optarg, INT_MAX, &fd))
            cli_failf ("checkpoint: --status-fd: `%s` is not an fd", optarg);
          o.status_fd_set = true;
          o.status_fd = (int) fd;
        }
    }
  cli_positionals (c, argc, argv, 1, 1, "container id");
  o.id = argv[optind];
  moat_error *err = NULL;
  if (moat_checkpoint (&c->ctx, &o, &err) < 0)
    cli_fail (err);
  return 0;
}

int
cmd_restore (struct cli *c, int argc, char **argv)
{
  struct moat_restore_options o = { 0 };
  int opt;
  single_dash_long_options (argc, argv);
  while ((opt = cli_getopt (c, argc, argv, "hb:d", criu_options, restore_help)) != -1)
    {
      check_option (c, opt, false);
      if (criu_option (opt, &o.criu))
        continue;
      if (opt == 'b')
        o.create.bundle = optarg;
      else if (opt == 'c')
        o.create.console_socket = optarg;
      else if (opt == 'd')
        o.detach = true;
      else if (opt == 'f')
        o.create.pid_file = optarg;
      else if (opt == 'N')
        o.create.no_pivot = true;
      else if (opt == 'o')
        o.lsm_profile = optarg;
      else if (opt == 'M')
        o.lsm_mount_context = optarg;
    }
  cli_positionals (c, argc, argv, 1, 1, "container id");
  o.create.id = argv[optind];
  /* a restore makes a container from a bundle: the policy checks it as
     at create */
  cli_load_policy (c);
  moat_error *err = NULL;
  int status = 0;
  if (moat_restore (&c->ctx, &o, &status, &err) < 0)
    cli_fail (err);
  return status;
}
