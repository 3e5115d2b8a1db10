#include <config.h>
#include "error.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *
vformat (const char *fmt, va_list ap)
{
  char *s = NULL;
  if (vasprintf (&s, fmt, ap) < 0)
    return NULL;
  return s;
}

int
moat_error_set (moat_error **err, int errnum, const char *fmt, ...)
{
  if (err == NULL || *err != NULL)
    return -1;
  va_list ap;
  va_start (ap, fmt);
  char *what = vformat (fmt, ap);
  va_end (ap);

  moat_error *e = calloc (1, sizeof *e);
  if (e == NULL)
    {
      free (what);
      return -1;
    }
  e->errnum = errnum;
  if (errnum != 0 && what != NULL)
    {
      if (asprintf (&e->msg, "%s: %s", what, strerror (errnum)) < 0)
        e->msg = NULL;
      free (what);
    }
  else
    e->msg = what;
  if (e->msg == NULL)
    e->msg = strdup ("out of memory");
  *err = e;
  return -1;
}

int
moat_error_prefix (moat_error **err, const char *fmt, ...)
{
  if (err == NULL || *err == NULL)
    return -1;
  va_list ap;
  va_start (ap, fmt);
  char *ctx = vformat (fmt, ap);
  va_end (ap);
  char *joined = NULL;
  if (ctx != NULL && asprintf (&joined, "%s: %s", ctx, (*err)->msg) >= 0)
    {
      free ((*err)->msg);
      (*err)->msg = joined;
    }
  free (ctx);
  return -1;
}

void
moat_error_free (moat_error **err)
{
  if (err == NULL || *err == NULL)
    return;
  free ((*err)->msg);
  free (*err);
  *err = NULL;
}
