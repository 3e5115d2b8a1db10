#include <config.h>
#include "cli.h"
#include "../libmoat/linux/linux.h"
#include "../libmoat/spec/spec.h"
#include "../libmoat/utils.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>

static const char help[] =
  "Usage: moat spec [OPTIONS]\n"
  "\n"
  "Write a config.json for a bundle whose root filesystem is in rootfs/: a\n"
  "hardened one that runs as root and as a user without privileges (a user\n"
  "namespace moat maps, uid 1000, the default seccomp profile, ...).\n"
  "\n"
  "  -b, --bundle DIR          bundle directory (default: current directory)\n"
  "      --rootless            without the limits root's config has (as\n"
  "                            a user without privileges writes it)\n"
  "  -h, --help                print this help\n";

int
cmd_spec (struct cli *c, int argc, char **argv)
{
  static const struct option longopts[] = {
    { "bundle", required_argument, NULL, 'b' },
    { "rootless", no_argument, NULL, 'r' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const char *bundle = ".";
  bool rootless = false;
  int opt;
  while ((opt = cli_getopt (c, argc, argv, "b:h", longopts, help)) != -1)
    if (opt == 'b')
      bundle = optarg;
    else if (opt == 'r')
      rootless = true;
  cli_positionals (c, argc, argv, 0, 0, "");
  autofree char *json = moat_spec_default_json (rootless || moat_running_rootless ());
  autofree char *path = xasprintf ("%s/config.json", bundle);
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      if (errno == EEXIST)
        cli_failf ("spec: `%s` already exists; remove it first", path);
      cli_failf ("spec: create `%s`: %s", path, strerror (errno));
    }
  if (moat_write_all (fd, json, strlen (json)) < 0 || close (fd) < 0)
    cli_failf ("spec: write `%s`: %s", path, strerror (errno));
  return 0;
}
