/* Shared by main.c and the subcommands: global options, option parsing
   helpers and the single place that reports an error.  */
#ifndef MOAT_CLI_H
#define MOAT_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include "../libmoat/moat.h"
#include "../libmoat/log.h"
#include "../libmoat/state.h"
#include "../libmoat/error.h"

struct cli
{
  struct moat_context ctx;
  const char *command;     /* subcommand name, for messages */
  const char *policy_path; /* --policy, or NULL: the default file */
};

/* Print "moat: <msg>" on stderr, one error line in --log, exit 1.  */
void cli_fail (moat_error *err) __attribute__ ((noreturn));
void cli_failf (const char *fmt, ...) __attribute__ ((noreturn, format (printf, 1, 2)));

/* s with control characters (and backslashes) escaped as \xNN, so that
   text a container controls (a command line, a path, a message naming a
   config field) cannot drive the terminal it is printed on.  Returns s
   itself when nothing needs escaping, else a new string kept in *buf
   (freed by the next call with the same buf, or by the caller).  */
const char *cli_printable (const char *s, char **buf);

/* getopt_long over a subcommand's arguments (argv[0] is its name).
   Returns the option, -1 at the end; unknown options and missing values
   fail with a clear message.  --help prints help and exits 0.  */
int cli_getopt (struct cli *c, int argc, char **argv, const char *shortopts,
                const struct option *longopts, const char *help);
/* Load the policy (--policy, else the default file) into c->ctx.policy,
   or fail; create, run and check need it, no other command reads it (a
   broken policy must not keep anyone from deleting a container).  */
void cli_load_policy (struct cli *c);

/* The remaining positional arguments must number between min and max.  */
void cli_positionals (struct cli *c, int argc, char **argv, int min, int max,
                      const char *what);

int cmd_spec (struct cli *c, int argc, char **argv);
int cmd_create (struct cli *c, int argc, char **argv);
int cmd_start (struct cli *c, int argc, char **argv);
int cmd_run (struct cli *c, int argc, char **argv);
int cmd_state (struct cli *c, int argc, char **argv);
int cmd_kill (struct cli *c, int argc, char **argv);
int cmd_delete (struct cli *c, int argc, char **argv);
int cmd_list (struct cli *c, int argc, char **argv);
int cmd_features (struct cli *c, int argc, char **argv);
int cmd_exec (struct cli *c, int argc, char **argv);
int cmd_ps (struct cli *c, int argc, char **argv);
int cmd_pause (struct cli *c, int argc, char **argv);
int cmd_resume (struct cli *c, int argc, char **argv);
int cmd_update (struct cli *c, int argc, char **argv);
int cmd_events (struct cli *c, int argc, char **argv);
int cmd_check (struct cli *c, int argc, char **argv);
int cmd_checkpoint (struct cli *c, int argc, char **argv);
int cmd_restore (struct cli *c, int argc, char **argv);

/* Options shared by create and run.  Returns true if it handled opt.  */
bool create_option (struct cli *c, int opt, struct moat_create_options *o);
/* After the options: socket activation (LISTEN_FDS and LISTEN_PID naming
   this process) puts the listening fds first among the preserved ones,
   as runc does.  */
void create_options_finish (struct cli *c, struct moat_create_options *o);
#define CREATE_LONGOPTS                                           \
  { "bundle", required_argument, NULL, 'b' },                     \
  { "pid-file", required_argument, NULL, 'P' },                   \
  { "console-socket", required_argument, NULL, 'C' },             \
  { "no-pivot", no_argument, NULL, 'N' },                         \
  { "no-new-keyring", no_argument, NULL, 'K' },                   \
  { "preserve-fds", required_argument, NULL, 'F' },               \
  { "userns", required_argument, NULL, 'U' },                     \
  { "seccomp-learn", required_argument, NULL, 'L' },              \
  { "seccomp-learn-merge", no_argument, NULL, 'M' },              \
  { "help", no_argument, NULL, 'h' }
#define CREATE_HELP_OPTIONS                                                   \
  "  -b, --bundle DIR          bundle directory (default: current directory)\n" \
  "      --pid-file FILE       write the init's host pid to FILE\n"           \
  "      --console-socket S    unix socket that receives the pty master\n"    \
  "      --no-pivot            use MS_MOVE + chroot instead of pivot_root\n"   \
  "      --no-new-keyring      keep the caller's session keyring\n"           \
  "      --preserve-fds N      pass fds 3..3+N-1 to the container\n"           \
  "      --userns auto         a user namespace of its own, even if the config\n" \
  "                            has none (as root: an automatic id range)\n"   \
  "      --seccomp-learn FILE  let every system call through and write the\n"  \
  "                            profile of those made to FILE at the end\n"   \
  "      --seccomp-learn-merge with what FILE already allows\n"

#endif
