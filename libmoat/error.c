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

static int
set_error (moat_error **err, enum moat_error_kind kind, int errnum, char *what)
{
  moat_error *e = calloc (1, sizeof *e);
  if (e == NULL)
    {
      free (what);
      return -1;
    }
  e->errnum = errnum;
  e->kind = kind;
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
moat_error_set (moat_error **err, int errnum, const char *fmt, ...)
{
  if (err == NULL || *err != NULL)
    return -1;
  va_list ap;
  va_start (ap, fmt);
  char *what = vformat (fmt, ap);
  va_end (ap);
  enum moat_error_kind kind = errnum == EPERM || errnum == EACCES
    ? MOAT_ERR_PERMISSION : MOAT_ERR_FAILED;
  return set_error (err, kind, errnum, what);
}

int
moat_error_setk (moat_error **err, enum moat_error_kind kind, int errnum,
                 const char *fmt, ...)
{
  if (err == NULL || *err != NULL)
    return -1;
  va_list ap;
  va_start (ap, fmt);
  char *what = vformat (fmt, ap);
  va_end (ap);
  return set_error (err, kind, errnum, what);
}

int
moat_error_mark (moat_error **err, enum moat_error_kind kind)
{
  if (err && *err && (*err)->kind == MOAT_ERR_FAILED)
    (*err)->kind = kind;
  return -1;
}

enum moat_error_kind
moat_error_kind (const moat_error *err)
{
  return err ? err->kind : MOAT_ERR_FAILED;
}

const char *
moat_error_kind_name (enum moat_error_kind kind)
{
  static const char *const names[] = {
    [MOAT_ERR_FAILED] = "failed", [MOAT_ERR_NOT_FOUND] = "not found",
    [MOAT_ERR_WRONG_STATE] = "wrong state", [MOAT_ERR_INVALID_CONFIG] = "invalid config",
    [MOAT_ERR_NOT_SUPPORTED] = "not supported", [MOAT_ERR_PERMISSION] = "permission",
  };
  return (unsigned) kind < sizeof names / sizeof names[0] ? names[kind] : "failed";
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
