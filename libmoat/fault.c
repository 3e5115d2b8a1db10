#include <config.h>
#include "fault.h"
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
moat_fault (const char *step, moat_error **err)
{
  static const char *fault;
  static int read_env;
  if (!read_env)
    {
      fault = getenv ("MOAT_FAULT");
      read_env = 1;
    }
  if (fault == NULL)
    return 0;
  if (strncmp (fault, "kill:", 5) == 0 && strcmp (fault + 5, step) == 0)
    {
      kill (getpid (), SIGKILL);
      /* the init of a pid namespace ignores its own SIGKILL: it just ends,
         which is the same to everyone else */
      _exit (128 + SIGKILL);
    }
  if (strcmp (fault, step) == 0)
    return moat_error_setk (err, MOAT_ERR_FAILED, 0, "fault injected at %s", step);
  return 0;
}
