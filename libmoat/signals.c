#include <config.h>
#include "signals.h"
#include "utils.h"
#include <signal.h>
#include <string.h>
#include <strings.h>

static const struct { const char *name; int sig; } signal_names[] = {
  { "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "ILL", SIGILL },
  { "TRAP", SIGTRAP }, { "ABRT", SIGABRT }, { "IOT", SIGIOT }, { "BUS", SIGBUS },
  { "FPE", SIGFPE }, { "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV },
  { "USR2", SIGUSR2 }, { "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM },
  { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CLD", SIGCHLD }, { "CONT", SIGCONT },
  { "STOP", SIGSTOP }, { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },
  { "URG", SIGURG }, { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM },
  { "PROF", SIGPROF }, { "WINCH", SIGWINCH }, { "IO", SIGIO }, { "POLL", SIGPOLL },
  { "PWR", SIGPWR }, { "SYS", SIGSYS },
};

static int
parse_rt (const char *name, int *out)
{
  int base;
  const char *rest;
  if (strncasecmp (name, "RTMIN", 5) == 0)
    base = SIGRTMIN, rest = name + 5;
  else if (strncasecmp (name, "RTMAX", 5) == 0)
    base = SIGRTMAX, rest = name + 5;
  else
    return -1;
  if (*rest == '\0')
    {
      *out = base;
      return 0;
    }
  unsigned long long off;
  if ((rest[0] != '+' && rest[0] != '-') || !moat_parse_uint (rest + 1, 64, &off))
    return -1;
  int sig = rest[0] == '+' ? base + (int) off : base - (int) off;
  if (sig < SIGRTMIN || sig > SIGRTMAX)
    return -1;
  *out = sig;
  return 0;
}

int
moat_parse_signal (const char *s, int *out, moat_error **err)
{
  unsigned long long n;
  if (moat_parse_uint (s, 1000, &n))
    {
      /* 0 sends nothing and tells whether the container is running, as
         with kill(2) and runc */
      if (n > (unsigned long long) SIGRTMAX)
        return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                                "invalid signal number %s (must be 0..%d)", s, SIGRTMAX);
      *out = n;
      return 0;
    }
  const char *name = strncasecmp (s, "SIG", 3) == 0 ? s + 3 : s;
  for (size_t i = 0; i < ARRAY_SIZE (signal_names); i++)
    if (strcasecmp (name, signal_names[i].name) == 0)
      {
        *out = signal_names[i].sig;
        return 0;
      }
  if (parse_rt (name, out) == 0)
    return 0;
  return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0, "unknown signal \"%s\"", s);
}
