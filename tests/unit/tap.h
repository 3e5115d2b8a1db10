/* Minimal TAP producer for the unit tests.  */
#ifndef MOAT_TAP_H
#define MOAT_TAP_H
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...)                                              \
  do {                                                             \
    int ok_ = (cond);                                              \
    tap_n++;                                                       \
    if (!ok_) tap_failed++;                                        \
    printf ("%s %d - ", ok_ ? "ok" : "not ok", tap_n);             \
    printf (__VA_ARGS__);                                          \
    printf ("\n");                                                 \
    if (!ok_) printf ("#   failed at %s:%d\n", __FILE__, __LINE__); \
  } while (0)

#define contains(hay, needle) ((hay) != NULL && strstr ((hay), (needle)) != NULL)

static inline int
tap_done (void)
{
  printf ("1..%d\n", tap_n);
  return tap_failed ? 1 : 0;
}
#endif
