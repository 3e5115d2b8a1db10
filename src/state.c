#include <config.h>
#include "cli.h"
#include <stdio.h>
#include <stdlib.h>

static const char help[] =
  "Usage: moat state ID\n"
  "\n"
  "Print the state of a container as JSON (the OCI state schema).\n";

int
cmd_state (struct cli *c, int argc, char **argv)
{
  static const struct option longopts[] = {
    { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
  };
  while (cli_getopt (c, argc, argv, "h", longopts, help) != -1)
    ;
  cli_positionals (c, argc, argv, 1, 1, "container id");
  moat_error *err = NULL;
  struct moat_state st;
  if (moat_state (&c->ctx, argv[optind], &st, &err) < 0)
    cli_fail (err);
  /* as runc's state: indented, and the owner left empty (list shows it) */
  char *owner = st.owner;
  st.owner = "";
  char *json = moat_state_to_json_indented (&st);
  st.owner = owner;
  printf ("%s\n", json);
  free (json);
  moat_state_clear (&st);
  return 0;
}
