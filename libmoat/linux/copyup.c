/* tmpcopyup: a fresh tmpfs gets a copy of what the image had where it is
   mounted (Podman's --read-only and --tmpfs ask for it, runc and crun do
   it).

   The source is the image's: it may hold anything.  Everything is done
   relative to directory fds opened with O_NOFOLLOW, so no symlink is ever
   followed (symlinks are copied as symlinks); regular files are opened
   non-blocking and checked before they are read; fifos are made anew, and
   device nodes and sockets are left out (a tmpfs copy is for files, and a
   node copied from an image must not bypass what linux.devices says).
   Owners, modes, times and extended attributes come along where the
   kernel allows.  */
#include <config.h>
#include "linux.h"
#include "../utils.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

/* deeper than any real image directory, shallow enough for the stack */
#define MAX_DEPTH 128

/* Extended attributes of from onto to (fds), best effort: tmpfs keeps
   security.* and trusted.*, and user.* on recent kernels; one too large
   for these buffers is left out.  */
static void
copy_xattrs (int from, int to)
{
  char names[4096], value[4096];
  ssize_t n = flistxattr (from, names, sizeof names);
  for (ssize_t off = 0; n > 0 && off < n; off += strlen (names + off) + 1)
    {
      ssize_t v = fgetxattr (from, names + off, value, sizeof value);
      if (v >= 0)
        (void) fsetxattr (to, names + off, value, v, 0);
    }
}

static void
copy_attrs (int to, const struct stat *st)
{
  (void) !fchown (to, st->st_uid, st->st_gid);
  /* after chown, which clears set-id bits */
  (void) fchmod (to, st->st_mode & 07777);
  struct timespec t[2] = { st->st_atim, st->st_mtim };
  (void) futimens (to, t);
}

static int
copy_file (int from_dir, int to_dir, const char *name, const struct stat *st,
           moat_error **err)
{
  autoclose int in = openat (from_dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY
                             | O_CLOEXEC);
  struct stat now;
  if (in < 0 || fstat (in, &now) < 0 || !S_ISREG (now.st_mode)
      || now.st_ino != st->st_ino || now.st_dev != st->st_dev)
    return moat_error_set (err, in < 0 ? errno : EAGAIN, "`%s` changed while copied", name);
  autoclose int out = openat (to_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW
                              | O_CLOEXEC, 0600);
  if (out < 0)
    return moat_error_set (err, errno, "create `%s`", name);
  off_t left = now.st_size;
  while (left > 0)
    {
      ssize_t n = sendfile (out, in, NULL, left > (1 << 30) ? (1 << 30) : left);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return moat_error_set (err, errno, "copy `%s`", name);
      if (n == 0)
        break;  /* it shrank meanwhile: what there was */
      left -= n;
    }
  copy_xattrs (in, out);
  copy_attrs (out, &now);
  return 0;
}

static int
copy_symlink (int from_dir, int to_dir, const char *name, const struct stat *st,
              moat_error **err)
{
  char target[PATH_MAX];
  ssize_t n = readlinkat (from_dir, name, target, sizeof target - 1);
  if (n < 0)
    return moat_error_set (err, errno, "read the symlink `%s`", name);
  target[n] = '\0';
  if (symlinkat (target, to_dir, name) < 0)
    return moat_error_set (err, errno, "create the symlink `%s`", name);
  (void) fchownat (to_dir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW);
  struct timespec t[2] = { st->st_atim, st->st_mtim };
  (void) utimensat (to_dir, name, t, AT_SYMLINK_NOFOLLOW);
  return 0;
}

static int copy_dir (int from, int to, int depth, moat_error **err);

static int
copy_subdir (int from_dir, int to_dir, const char *name, const struct stat *st, int depth,
             moat_error **err)
{
  if (mkdirat (to_dir, name, 0700) < 0)
    return moat_error_set (err, errno, "create `%s`", name);
  autoclose int from = openat (from_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW
                               | O_CLOEXEC);
  autoclose int to = openat (to_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (from < 0 || to < 0)
    return moat_error_set (err, errno, "open `%s`", name);
  if (copy_dir (from, to, depth + 1, err) < 0)
    return moat_error_prefix (err, "%s", name);
  copy_xattrs (from, to);
  copy_attrs (to, st);
  return 0;
}

static int
copy_dir (int from, int to, int depth, moat_error **err)
{
  if (depth > MAX_DEPTH)
    return moat_error_set (err, ELOOP, "more than %d directories deep", MAX_DEPTH);
  DIR *d = fdopendir (dup (from));
  if (d == NULL)
    return moat_error_set (err, errno, "read the directory");
  int r = 0;
  struct dirent *de;
  while (r == 0 && (errno = 0, de = readdir (d)) != NULL)
    {
      const char *name = de->d_name;
      struct stat st;
      if (strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
        continue;
      if (fstatat (from, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        {
          r = moat_error_set (err, errno, "stat `%s`", name);
          break;
        }
      switch (st.st_mode & S_IFMT)
        {
        case S_IFDIR:
          r = copy_subdir (from, to, name, &st, depth, err);
          break;
        case S_IFREG:
          r = copy_file (from, to, name, &st, err);
          break;
        case S_IFLNK:
          r = copy_symlink (from, to, name, &st, err);
          break;
        case S_IFIFO:
          if (mkfifoat (to, name, st.st_mode & 07777) < 0)
            r = moat_error_set (err, errno, "create the fifo `%s`", name);
          else
            (void) fchownat (to, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
          break;
        default:
          break;  /* device nodes and sockets: not copied */
        }
    }
  if (r == 0 && errno != 0 && de == NULL)
    r = moat_error_set (err, errno, "read the directory");
  closedir (d);
  return r;
}

int
moat_copy_tree (int from, int to, moat_error **err)
{
  struct stat st;
  if (fstat (from, &st) < 0)
    return moat_error_set (err, errno, "stat the directory to copy");
  if (copy_dir (from, to, 0, err) < 0)
    return -1;
  copy_attrs (to, &st);
  return 0;
}
