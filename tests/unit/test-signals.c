#include <config.h>
#include "tap.h"
#include "libmoat/signals.h"
#include <signal.h>

static void
expect (const char *s, int want)
{
  moat_error *err = NULL;
  int sig = -1;
  int r = moat_parse_signal (s, &sig, &err);
  ok (r == 0 && sig == want, "`%s` is signal %d (got %d%s%s)", s, want, sig,
      err ? ": " : "", err ? err->msg : "");
  moat_error_free (&err);
}

static void
expect_bad (const char *s, const char *fragment)
{
  moat_error *err = NULL;
  int sig = -1;
  int r = moat_parse_signal (s, &sig, &err);
  ok (r < 0 && err && contains (err->msg, fragment), "`%s` is refused (%s)", s,
      err ? err->msg : "accepted");
  moat_error_free (&err);
}

int
main (void)
{
  expect ("KILL", SIGKILL);
  expect ("SIGKILL", SIGKILL);
  expect ("kill", SIGKILL);
  expect ("sigterm", SIGTERM);
  expect ("9", 9);
  expect ("15", 15);
  expect ("USR1", SIGUSR1);
  expect ("SIGWINCH", SIGWINCH);
  expect ("RTMIN", SIGRTMIN);
  expect ("RTMIN+3", SIGRTMIN + 3);
  expect ("SIGRTMAX-1", SIGRTMAX - 1);
  expect_bad ("FOO", "unknown signal \"FOO\"");
  expect_bad ("SIG", "unknown signal");
  expect_bad ("", "unknown signal");
  expect ("0", 0);  /* a liveness probe, as with kill(2) */
  expect_bad ("65", "invalid signal number");
  expect_bad ("99999999999999999999", "unknown signal");
  expect_bad ("-9", "unknown signal");
  expect_bad ("RTMIN+40", "unknown signal");
  return tap_done ();
}
