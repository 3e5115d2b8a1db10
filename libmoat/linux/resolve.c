/* Paths inside the container's root: resolved with
   openat2(RESOLVE_IN_ROOT) against a directory fd of the rootfs, so a
   symlink planted in the image can never lead to the host.  */
#include <config.h>
#include "linux.h"
#include "syscalls.h"
#include "../utils.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int
moat_open_in_root (int rootfd, const char *path, int flags)
{
  struct open_how how = {
    .flags = flags | O_CLOEXEC,
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  int fd;
  do
    fd = sys_openat2 (rootfd, path, &how);
  while (fd < 0 && errno == EAGAIN);
  return fd;
}

/* Lexically join `base` (an absolute path in the root) and a symlink's
   target, clamping ".." at the root as RESOLVE_IN_ROOT does.  */
static char *
join_in_root (const char *base, const char *target)
{
  size_t cap = strlen (base) + strlen (target) + 2;
  char *out = xmalloc0 (cap + 1);
  autofree char *all = target[0] == '/' ? xstrdup (target) : xasprintf ("%s/%s", base,
                                                                        target);
  char *save = NULL;
  size_t len = 0;
  for (char *c = strtok_r (all, "/", &save); c; c = strtok_r (NULL, "/", &save))
    {
      if (strcmp (c, ".") == 0)
        continue;
      if (strcmp (c, "..") == 0)
        {
          while (len > 0 && out[len - 1] != '/')
            len--;
          if (len > 0)
            len--;
          out[len] = '\0';
          continue;
        }
      len += snprintf (out + len, cap + 1 - len, "/%s", c);
    }
  if (len == 0)
    strcpy (out, "/");
  return out;
}

static int make_in_root_depth (int rootfd, const char *path, bool file, int depth,
                               moat_error **err);

/* Where the directory dirfd really is, as a path inside the root (the
   path as written may have gone through symlinks): what a relative
   symlink in it is relative to.  NULL when it cannot be told.  */
static char *
path_in_root (int rootfd, int dirfd)
{
  char fdbuf[FD_PATH_MAX], root[4096], dir[4096];
  ssize_t nr = readlink (moat_fd_path (rootfd, fdbuf), root, sizeof root - 1);
  ssize_t nd = readlink (moat_fd_path (dirfd, fdbuf), dir, sizeof dir - 1);
  if (nr <= 0 || nd <= 0)
    return NULL;
  root[nr] = dir[nd] = '\0';
  if (strcmp (root, "/") == 0)
    return xstrdup (dir);
  size_t n = strlen (root);
  if (strncmp (dir, root, n) != 0 || (dir[n] != '/' && dir[n] != '\0'))
    return NULL;
  return xstrdup (dir[n] ? dir + n : "/");
}

static bool
has_dot_dot (const char *path)
{
  for (const char *p = path; (p = strstr (p, "..")) != NULL; p += 2)
    if ((p == path || p[-1] == '/') && (p[2] == '/' || p[2] == '\0'))
      return true;
  return false;
}

int
moat_make_in_root (int rootfd, const char *path, bool file, moat_error **err)
{
  return make_in_root_depth (rootfd, path, file, 0, err);
}

/* Open `path` inside the root, creating what is missing: directories for
   every component, and for the last one a directory or (file) an empty
   regular file.  A dangling symlink on the way has its target created,
   inside the root.  Returns an O_PATH fd.  */
static int
make_in_root_depth (int rootfd, const char *path, bool file, int depth, moat_error **err)
{
  if (depth > 40)
    return moat_error_set (err, ELOOP, "`%s`", path);
  /* refused before anything is made */
  if (has_dot_dot (path))
    return moat_error_set (err, 0, "`%s`: `..` is not allowed here", path);
  int fd = moat_open_in_root (rootfd, path, O_PATH);
  if (fd >= 0 || errno != ENOENT)
    {
      if (fd < 0)
        return moat_error_set (err, errno, "open `%s` in the container", path);
      return fd;
    }
  autofree char *copy = xstrdup (path);
  autofree char *prefix = xmalloc0 (strlen (path) + 2);
  autoclose int parent = moat_open_in_root (rootfd, "/", O_PATH | O_DIRECTORY);
  if (parent < 0)
    return moat_error_set (err, errno, "open the container's root");
  char *save = NULL;
  char *comp = strtok_r (copy, "/", &save);
  while (comp)
    {
      char *next = strtok_r (NULL, "/", &save);
      bool last = next == NULL;
      strcat (prefix, "/");
      strcat (prefix, comp);
      int child = moat_open_in_root (rootfd, prefix, O_PATH);
      if (child < 0 && errno == ENOENT)
        {
          /* mkdirat/O_EXCL never follow a symlink in the last component;
             a dangling symlink makes the reopen below fail instead.  */
          if (last && file)
            {
              int c = openat (parent, comp, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW
                              | O_CLOEXEC, 0644);
              if (c < 0 && errno != EEXIST)
                return moat_error_set (err, errno, "create file `%s` in the container",
                                       prefix);
              if (c >= 0)
                close (c);
            }
          else if (mkdirat (parent, comp, 0755) < 0 && errno != EEXIST)
            return moat_error_set (err, errno, "create directory `%s` in the container",
                                   prefix);
          child = moat_open_in_root (rootfd, prefix, O_PATH);
          if (child < 0 && errno == ENOENT)
            {
              /* a dangling symlink: make its target, inside the root */
              char target[4096];
              ssize_t n = readlinkat (parent, comp, target, sizeof target - 1);
              if (n > 0)
                {
                  target[n] = '\0';
                  autofree char *dir = path_in_root (rootfd, parent);
                  if (dir == NULL)
                    {
                      dir = xstrdup (prefix);
                      *strrchr (dir, '/') = '\0';
                    }
                  autofree char *dest = join_in_root (dir[0] ? dir : "/", target);
                  int made = make_in_root_depth (rootfd, dest, last && file, depth + 1,
                                                 err);
                  if (made < 0)
                    return -1;
                  close (made);
                  child = moat_open_in_root (rootfd, prefix, O_PATH);
                }
            }
        }
      if (child < 0)
        return moat_error_set (err, errno, "open `%s` in the container", prefix);
      close (parent);
      parent = child;
      comp = next;
    }
  return steal_fd (&parent);
}
