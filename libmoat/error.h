/* Error chain: a message with context, the errno that caused it and the
   kind of failure.  Library functions return a negative value and fill a
   moat_error; only the command line prints it, once, at the top.  Callers
   decide by kind, never by the message text.  */
#ifndef MOAT_ERROR_H
#define MOAT_ERROR_H

enum moat_error_kind
{
  MOAT_ERR_FAILED = 0,      /* anything not below */
  MOAT_ERR_NOT_FOUND,       /* the container (or a file it names) does not exist */
  MOAT_ERR_WRONG_STATE,     /* the container's status does not allow the operation */
  MOAT_ERR_INVALID_CONFIG,  /* config.json, process.json or the options are wrong */
  MOAT_ERR_NOT_SUPPORTED,   /* this build or this host cannot do what is asked */
  MOAT_ERR_PERMISSION,      /* not allowed (EPERM, EACCES, refused by policy) */
};

typedef struct moat_error
{
  int errnum;   /* errno that caused the failure, 0 if none */
  enum moat_error_kind kind;
  char *msg;    /* full message, including the strerror text */
} moat_error;

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

/* The kind of an error; MOAT_ERR_FAILED for NULL.  */
enum moat_error_kind moat_error_kind (const moat_error *err);
const char *moat_error_kind_name (enum moat_error_kind kind);

void moat_error_free (moat_error **err);

#endif
