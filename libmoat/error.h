/* Error chain: a message with context and the errno that caused it.
   Library functions return a negative value and fill a moat_error;
   only the command line prints it, once, at the top.  */
#ifndef MOAT_ERROR_H
#define MOAT_ERROR_H

typedef struct moat_error
{
  int errnum;   /* errno that caused the failure, 0 if none */
  char *msg;    /* full message, including the strerror text */
} moat_error;

/* Set *err (if err is not NULL and *err is still empty) and return -1.
   When errnum is non-zero, ": <strerror>" is appended.  */
int moat_error_set (moat_error **err, int errnum, const char *fmt, ...)
  __attribute__ ((format (printf, 3, 4)));

/* Put "<context>: " in front of an existing error; return -1.  */
int moat_error_prefix (moat_error **err, const char *fmt, ...)
  __attribute__ ((format (printf, 2, 3)));

void moat_error_free (moat_error **err);

#endif
