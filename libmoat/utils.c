#include <config.h>
#include "utils.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static void
oom (void)
{
  static const char msg[] = "moat: out of memory\n";
  (void) !write (2, msg, sizeof msg - 1);
  _exit (1);
}

void *
xmalloc0 (size_t n)
{
  void *p = calloc (1, n ? n : 1);
  if (p == NULL)
    oom ();
  return p;
}

void *
xrealloc (void *p, size_t n)
{
  p = realloc (p, n ? n : 1);
  if (p == NULL)
    oom ();
  return p;
}

char *
xstrdup (const char *s)
{
  char *r = strdup (s ? s : "");
  if (r == NULL)
    oom ();
  return r;
}

char *
moat_xvasprintf (const char *fmt, va_list ap)
{
  char *s;
  if (vasprintf (&s, fmt, ap) < 0)
    oom ();
  return s;
}

char *
xasprintf (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char *s = moat_xvasprintf (fmt, ap);
  va_end (ap);
  return s;
}

void
moat_strv_free (char **v)
{
  if (v == NULL)
    return;
  for (char **p = v; *p; p++)
    free (*p);
  free (v);
}

void
moat_strvfreep (char ***v)
{
  moat_strv_free (*v);
}

char **
moat_strv_append (char **v, const char *s)
{
  size_t n = moat_strv_len (v);
  v = xrealloc (v, (n + 2) * sizeof (char *));
  v[n] = xstrdup (s);
  v[n + 1] = NULL;
  return v;
}

char **
moat_env_set (char **env, const char *kv)
{
  const char *eq = strchr (kv, '=');
  size_t klen = eq ? (size_t) (eq - kv) + 1 : strlen (kv);
  for (size_t i = 0; env && env[i]; i++)
    if (strncmp (env[i], kv, klen) == 0)
      {
        free (env[i]);
        env[i] = xstrdup (kv);
        return env;
      }
  return moat_strv_append (env, kv);
}

size_t
moat_strv_len (char *const *v)
{
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

bool
moat_strv_contains (char *const *v, const char *s)
{
  for (size_t i = 0; v && v[i]; i++)
    if (strcmp (v[i], s) == 0)
      return true;
  return false;
}

int
moat_read_file_at (int dirfd, const char *path, size_t max, char **out, size_t *len,
              moat_error **err)
{
  autoclose int fd = openat (dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return moat_error_set (err, errno, "open `%s`", path);
  size_t cap = 4096, n = 0;
  char *buf = xmalloc0 (cap + 1);
  for (;;)
    {
      if (n == cap)
        {
          if (cap >= max)
            {
              free (buf);
              return moat_error_set (err, EFBIG, "read `%s`", path);
            }
          cap = cap * 2 > max ? max : cap * 2;
          buf = xrealloc (buf, cap + 1);
        }
      ssize_t r = read (fd, buf + n, cap - n);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          int e = errno;
          free (buf);
          return moat_error_set (err, e, "read `%s`", path);
        }
      if (r == 0)
        break;
      n += r;
    }
  buf[n] = '\0';
  *out = buf;
  if (len)
    *len = n;
  return 0;
}

int
moat_write_all (int fd, const void *buf, size_t len)
{
  const char *p = buf;
  while (len > 0)
    {
      ssize_t r = write (fd, p, len);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return -1;
      p += r;
      len -= r;
    }
  return 0;
}

int
moat_write_file_atomic_at (int dirfd, const char *name, const void *data, size_t len,
                      mode_t mode, moat_error **err)
{
  autofree char *tmp = xasprintf (".%s.tmp", name);
  autoclose int fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC
                             | O_NOFOLLOW, mode);
  if (fd < 0)
    return moat_error_set (err, errno, "create `%s`", tmp);
  if (moat_write_all (fd, data, len) < 0)
    {
      int e = errno;
      unlinkat (dirfd, tmp, 0);
      return moat_error_set (err, e, "write `%s`", tmp);
    }
  if (renameat (dirfd, tmp, dirfd, name) < 0)
    {
      int e = errno;
      unlinkat (dirfd, tmp, 0);
      return moat_error_set (err, e, "rename `%s` to `%s`", tmp, name);
    }
  return 0;
}

int
moat_write_file (const char *path, const char *data, moat_error **err)
{
  autoclose int fd = open (path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return moat_error_set (err, errno, "open `%s`", path);
  if (moat_write_all (fd, data, strlen (data)) < 0)
    return moat_error_set (err, errno, "write `%s`", path);
  return 0;
}

int
moat_mkdir_p (const char *path, mode_t mode, moat_error **err)
{
  autofree char *p = xstrdup (path);
  for (char *s = p + 1; ; s++)
    {
      if (*s == '/' || *s == '\0')
        {
          char c = *s;
          *s = '\0';
          if (mkdir (p, mode) < 0 && errno != EEXIST)
            return moat_error_set (err, errno, "create directory `%s`", p);
          *s = c;
          if (c == '\0')
            break;
        }
    }
  return 0;
}

int
moat_remove_tree_at (int parent, const char *name)
{
  if (unlinkat (parent, name, 0) == 0 || errno == ENOENT)
    return 0;
  if (errno != EISDIR && errno != EPERM)
    return -1;
  int fd = openat (parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return -1;
  DIR *d = fdopendir (fd);
  if (d == NULL)
    {
      close (fd);
      return -1;
    }
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      moat_remove_tree_at (dirfd (d), de->d_name);
    }
  closedir (d);
  return unlinkat (parent, name, AT_REMOVEDIR);
}

const char *
moat_fd_path (int fd, char buf[FD_PATH_MAX])
{
  snprintf (buf, FD_PATH_MAX, "/proc/self/fd/%d", fd);
  return buf;
}

void
moat_rfc3339_now (char *buf, size_t size, bool nanoseconds)
{
  struct timespec ts;
  struct tm tm;
  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  size_t n = strftime (buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
  if (nanoseconds)
    snprintf (buf + n, size - n, ".%09ldZ", ts.tv_nsec);
  else
    snprintf (buf + n, size - n, "Z");
}

bool
moat_parse_uint (const char *s, unsigned long long max, unsigned long long *out)
{
  if (s == NULL || *s == '\0')
    return false;
  unsigned long long v = 0;
  for (const char *p = s; *p; p++)
    {
      if (*p < '0' || *p > '9')
        return false;
      unsigned d = *p - '0';
      if (v > (max - d) / 10)
        return false;
      v = v * 10 + d;
    }
  *out = v;
  return true;
}

char *
moat_printable (const char *s)
{
  size_t n = 0;
  for (const unsigned char *p = (const unsigned char *) s; *p; p++)
    n += (*p < 0x20 || *p == 0x7f || *p == '\\') ? 4 : 1;
  char *out = xmalloc0 (n + 1), *o = out;
  for (const unsigned char *p = (const unsigned char *) s; *p; p++)
    if (*p < 0x20 || *p == 0x7f || *p == '\\')
      o += sprintf (o, "\\x%02x", *p);
    else
      *o++ = *p;
  return out;
}
