#include <config.h>
#include "cli.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
  "Usage: moat events [OPTIONS] ID\n"
  "\n"
  "Print the container's usage figures as JSON, one object per line:\n"
  "every interval until it stops, with an \"oom\" event when the OOM killer\n"
  "takes one of its processes.\n"
  "\n"
  "      --stats               print the figures once and exit\n"
  "      --interval D          how often (default 5s; 500ms, 2s, 1m)\n"
  "  -h, --help                print this help\n";

enum { O_STATS = 256, O_INTERVAL };

/* "500ms", "2s", "1m", "3" (seconds) in milliseconds; 0 when invalid */
static unsigned
parse_interval (const char *text)
{
  char *end;
  double v = strtod (text, &end);
  double ms = strcmp (end, "ms") == 0 ? v : strcmp (end, "s") == 0 || *end == '\0' ? v * 1000
    : strcmp (end, "m") == 0 ? v * 60000 : -1;
  return end == text || ms < 1 || ms > 86400000 ? 0 : (unsigned) ms;
}

static void
print_line (const char *json, void *arg)
{
  (void) arg;
  puts (json);
  fflush (stdout);
}

int
cmd_events (struct cli *c, int argc, char **argv)
{
  static const struct option longopts[] = {
    { "stats", no_argument, NULL, O_STATS },
    { "interval", required_argument, NULL, O_INTERVAL },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  bool once = false;
  unsigned interval = 5000;
  int opt;
  while ((opt = cli_getopt (c, argc, argv, "h", longopts, help)) != -1)
    if (opt == O_STATS)
      once = true;
    else if (opt == O_INTERVAL && (interval = parse_interval (optarg)) == 0)
      cli_failf ("events: --interval `%s`: not a duration such as 500ms, 5s or 1m", optarg);
  cli_positionals (c, argc, argv, 1, 1, "container id");
  moat_error *err = NULL;
  if (moat_events (&c->ctx, argv[optind], once, interval, print_line, NULL, &err) < 0)
    cli_fail (err);
  return 0;
}
