/* Small helpers shared by the whole library.  */
#ifndef MOAT_UTILS_H
#define MOAT_UTILS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>
#include "error.h"

static inline void moat_freep (void *p) { free (*(void **) p); }
static inline void moat_closep (int *fd) { if (*fd >= 0) close (*fd); }
void moat_strvfreep (char ***v);

#define autofree __attribute__ ((cleanup (moat_freep)))
#define autoclose __attribute__ ((cleanup (moat_closep)))
#define autostrv __attribute__ ((cleanup (moat_strvfreep)))

#define ARRAY_SIZE(a) (sizeof (a) / sizeof ((a)[0]))

/* Allocation that cannot fail silently: on failure the process is out of
   memory and nothing sensible can be done.  */
void *moat_xmalloc0 (size_t n);
void *moat_xrealloc (void *p, size_t n);
char *moat_xstrdup (const char *s);
char *moat_xasprintf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
/* Every symbol of the library carries its prefix; inside it, the short
   names read better.  */
#define xmalloc0 moat_xmalloc0
#define xrealloc moat_xrealloc
#define xstrdup moat_xstrdup
#define xasprintf moat_xasprintf
/* The same from a va_list.  */
char *moat_xvasprintf (const char *fmt, va_list ap);

void moat_strv_free (char **v);
size_t moat_strv_len (char *const *v);
/* s is one of the strings of v (which may be NULL).  */
bool moat_strv_contains (char *const *v, const char *s);
/* Append a copy of s to the NULL-terminated v (which may be NULL).  */
char **moat_strv_append (char **v, const char *s);
/* KEY=VALUE replaces an existing KEY in env (a strv), or is added.  */
char **moat_env_set (char **env, const char *kv);

#define FREE_AND_NULL(p) do { free (p); (p) = NULL; } while (0)

/* Take ownership of a pointer; return it and set *p to NULL.  */
#define steal_pointer(pp) ({ __typeof__ (*(pp)) r_ = *(pp); *(pp) = NULL; r_; })

/* Take ownership of a string; return it and set *p to NULL.  */
static inline char *steal_pointer_str (char **p) { char *r = *p; *p = NULL; return r; }

/* Take ownership of fd; return it and set *fd to -1.  */
static inline int steal_fd (int *fd) { int r = *fd; *fd = -1; return r; }

/* Read a whole file (at most max bytes) into a NUL-terminated buffer.  */
int moat_read_file_at (int dirfd, const char *path, size_t max, char **out,
                  size_t *len, moat_error **err);
/* Write data to dirfd/name atomically: a temporary file, fsync-free, then
   rename over the target.  */
int moat_write_file_atomic_at (int dirfd, const char *name, const void *data,
                          size_t len, mode_t mode, moat_error **err);
/* Write all of buf to fd, retrying on EINTR and short writes.  */
int moat_write_all (int fd, const void *buf, size_t len);
/* Write a string to an existing file (e.g. a /proc or cgroup file).  */
int moat_write_file (const char *path, const char *data, moat_error **err);

/* Create a directory and its parents (mode for new ones).  */
int moat_mkdir_p (const char *path, mode_t mode, moat_error **err);

/* Recursively remove dirfd/name (no symlink following).  */
int moat_remove_tree_at (int dirfd, const char *name);

/* "/proc/self/fd/N" in a caller-provided buffer.  */
#define FD_PATH_MAX 32
const char *moat_fd_path (int fd, char buf[FD_PATH_MAX]);

/* A copy of s with control characters (and backslashes) as \xNN: text a
   config or a container controls, printed, must not drive the terminal
   or split a log's lines.  */
char *moat_printable (const char *s);

/* Current time as RFC 3339 with nanoseconds, UTC.  */
void moat_rfc3339_now (char *buf, size_t size, bool nanoseconds);

/* Parse a non-negative decimal integer; false if not entirely digits.  */
bool moat_parse_uint (const char *s, unsigned long long max, unsigned long long *out);

#endif
