/* Error chain: a message with context, the errno that caused it and the
   kind of failure.  Library functions return a negative value and fill a
   moat_error; only the command line prints it, once, at the top.  Callers
   decide by kind, never by the message text.  */
#ifndef MOAT_ERROR_H
#define MOAT_ERROR_H

#include "moat.h"

/* Set *err (if err is not NULL and *err is still empty) and return -1.
   When errnum is non-zero, ": <strerror>" is appended.  The kind is
   MOAT_ERR_PERMISSION for EPERM and EACCES, else MOAT_ERR_FAILED.  */
int moat_error_set (moat_error **err, int errnum, const char *fmt, ...)
  __attribute__ ((format (printf, 3, 4)));
/* The same with an explicit kind.  */
int moat_error_setk (moat_error **err, enum moat_error_kind kind, int errnum,
                     const char *fmt, ...)
  __attribute__ ((format (printf, 4, 5)));

/* Put "<context>: " in front of an existing error; return -1.  */
int moat_error_prefix (moat_error **err, const char *fmt, ...)
  __attribute__ ((format (printf, 2, 3)));

/* Give an existing error a kind when it has none yet (MOAT_ERR_FAILED);
   return -1.  */
int moat_error_mark (moat_error **err, enum moat_error_kind kind);


#endif
