/* Shared by the libFuzzer targets of tests/fuzz: the input as a
   NUL-terminated copy, a quiet log, and checks that abort (a finding)
   with a message saying which contract broke.  */
#ifndef MOAT_FUZZ_COMMON_H
#define MOAT_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "libmoat/error.h"
#include "libmoat/log.h"

/* A broken contract: print it and abort, which libFuzzer reports as a
   crash and saves the input for.  */
#define fuzz_check(cond, ...)                                           \
  do {                                                                  \
    if (!(cond))                                                        \
      {                                                                 \
        fprintf (stderr, "fuzz check failed at %s:%d: %s: ", __FILE__,  \
                 __LINE__, #cond);                                      \
        fprintf (stderr, __VA_ARGS__);                                  \
        fputc ('\n', stderr);                                           \
        abort ();                                                       \
      }                                                                 \
  } while (0)

/* data as a malloc'd, NUL-terminated string (the NUL is not counted in
   size: the parsers get the length and must not read past it).  */
static inline char *
fuzz_text (const uint8_t *data, size_t size)
{
  char *t = malloc (size + 1);
  if (t == NULL)
    abort ();
  if (size > 0)
    memcpy (t, data, size);
  t[size] = '\0';
  return t;
}

/* Warnings (unknown capabilities, ...) would flood the fuzzer's output.  */
static inline void
fuzz_quiet (void)
{
  moat_error *err = NULL;
  moat_log_init (NULL, MOAT_LOG_TEXT, MOAT_LOG_ERROR, &err);
  moat_error_free (&err);
}

/* A function that returns -1 / NULL must have set the error, and one that
   succeeded must not have.  */
#define fuzz_check_result(failed, err, what)                                     \
  do {                                                                           \
    fuzz_check (!(failed) || ((err) != NULL && (err)->msg != NULL),              \
                "%s failed without an error", what);                             \
    fuzz_check ((failed) || (err) == NULL, "%s succeeded but set an error: %s",  \
                what, (err)->msg);                                               \
  } while (0)

#endif
