/* Paths inside the container's root (libmoat/linux/resolve.c) on a
   temporary tree full of hostile symlinks: nothing may be opened or
   created outside the root.  A canary directory next to the root must
   stay untouched.  */
#include <config.h>
#include "tap.h"
#include "libmoat/linux/linux.h"
#include "libmoat/utils.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char top[64];     /* /tmp/moat-resolve-XXXXXX */
static char *root;       /* top/root: the container's root */
static char *outside;    /* top/outside: next to the root */
static int rootfd = -1;
static char uniq[64];    /* a name no host path has: moat-unit-<pid> */

static char *
at (const char *base, const char *rel)
{
  return xasprintf ("%s/%s", base, rel);
}

static void
symlink_in (const char *target, const char *rel)
{
  char *p = at (root, rel);
  if (symlink (target, p) < 0)
    abort ();
  free (p);
}

static void
mkdir_in (const char *base, const char *rel)
{
  char *p = at (base, rel);
  if (mkdir (p, 0755) < 0)
    abort ();
  free (p);
}

static void
file_in (const char *base, const char *rel, const char *content)
{
  char *p = at (base, rel);
  FILE *f = fopen (p, "w");
  if (f == NULL)
    abort ();
  fputs (content, f);
  fclose (f);
  free (p);
}

static bool
exists_lstat (const char *base, const char *rel, mode_t type)
{
  char *p = base ? at (base, rel) : xstrdup (rel);
  struct stat st;
  bool r = lstat (p, &st) == 0 && (type == 0 || (st.st_mode & S_IFMT) == type);
  free (p);
  return r;
}

static int
count_fds (void)
{
  DIR *d = opendir ("/proc/self/fd");
  int n = 0;
  struct dirent *e;
  while ((e = readdir (d)))
    if (e->d_name[0] != '.')
      n++;
  closedir (d);
  return n - 1;
}

/* A listing of a tree (names, types, sizes), to see that it did not change.  */
static void
listing (const char *dir, char **out)
{
  DIR *d = opendir (dir);
  if (d == NULL)
    return;
  struct dirent *e;
  while ((e = readdir (d)))
    {
      if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
        continue;
      char *p = at (dir, e->d_name);
      struct stat st;
      lstat (p, &st);
      char *n = xasprintf ("%s%s:%o:%lld:%lld\n", *out ? *out : "", p, st.st_mode,
                           (long long) st.st_size, (long long) st.st_mtime);
      free (*out);
      *out = n;
      if (S_ISDIR (st.st_mode))
        listing (p, out);
      free (p);
    }
  closedir (d);
}

static bool
same_file (int fd, const char *host_path)
{
  struct stat a, b;
  return fd >= 0 && fstat (fd, &a) == 0 && stat (host_path, &b) == 0 && a.st_ino == b.st_ino
    && a.st_dev == b.st_dev;
}

/* make_in_root; the error message (NULL on success, *fd set).  */
static char *
make (const char *path, bool file, int *fd)
{
  moat_error *err = NULL;
  *fd = moat_make_in_root (rootfd, path, file, &err);
  char *msg = *fd < 0 ? xstrdup (err ? err->msg : "(no message)") : NULL;
  if (*fd >= 0 && err)
    msg = xstrdup ("(error set on success)");
  moat_error_free (&err);
  return msg;
}

static void
setup (void)
{
  strcpy (top, "/tmp/moat-resolve-XXXXXX");
  if (mkdtemp (top) == NULL)
    abort ();
  snprintf (uniq, sizeof uniq, "moat-unit-%d", (int) getpid ());
  root = at (top, "root");
  outside = at (top, "outside");
  mkdir (root, 0755);
  mkdir (outside, 0755);
  mkdir_in (outside, "canary");
  file_in (outside, "canary/keep", "canary\n");
  file_in (outside, "secret", "host secret\n");

  mkdir_in (root, "dir");
  file_in (root, "file", "a file\n");
  symlink_in ("/etc", "abs_etc");
  symlink_in ("../../../../../../../../", "dotdot");
  symlink_in ("../outside/secret", "up_secret");             /* lexically: top/outside/secret */
  symlink_in ("../../outside/canary", "up_canary");
  symlink_in ("loop2", "loop1");
  symlink_in ("loop1", "loop2");
  symlink_in ("self", "self");
  symlink_in ("dir", "mid");
  symlink_in ("/dir", "mid_abs");
  char *t = xasprintf ("/%s/made/by/symlink", uniq);
  symlink_in (t, "dangling");
  free (t);
  t = xasprintf ("/%s-file", uniq);
  symlink_in (t, "dangling_file");
  free (t);
  symlink_in ("../../outside/canary/escaped", "dangling_up");
  symlink_in ("../../../../../../tmp/escaped-dir", "dangling_dotdot");
  symlink_in ("/proc/self/root/etc", "proc_root");
  symlink_in ("dangling", "chain");                           /* -> dangling -> /uniq/... */
  symlink_in ("/tmp", "abs_tmp");
  /* a relative dangling link under a directory reached through a link at
     another depth: a/b/real/dl -> ../sibling is a/b/sibling */
  mkdir_in (root, "a");
  mkdir_in (root, "a/b");
  mkdir_in (root, "a/b/real");
  symlink_in ("a/b/real", "alias");
  symlink_in ("../sibling", "a/b/real/dl");

  rootfd = open (root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    abort ();
}

static void
test_open (void)
{
  int fd = moat_open_in_root (rootfd, "/abs_etc/passwd", O_RDONLY);
  ok (fd < 0 && errno == ENOENT, "an absolute symlink to /etc does not reach the host's /etc");
  if (fd >= 0)
    close (fd);
  mkdir_in (root, "etc");
  file_in (root, "etc/passwd", "root:x:0:0:container:/:/bin/sh\n");
  char *passwd = at (root, "etc/passwd");
  fd = moat_open_in_root (rootfd, "/abs_etc/passwd", O_RDONLY);
  ok (same_file (fd, passwd), "/abs_etc/passwd is the root's etc/passwd");
  ok (fd >= 0 && (fcntl (fd, F_GETFD) & FD_CLOEXEC), "the fd is close-on-exec");
  if (fd >= 0)
    close (fd);
  fd = moat_open_in_root (rootfd, "../../../../../etc/passwd", O_RDONLY);
  ok (same_file (fd, passwd), "../../../../../etc/passwd is clamped at the root");
  if (fd >= 0)
    close (fd);
  fd = moat_open_in_root (rootfd, "/dotdot/dotdot/etc/passwd", O_RDONLY);
  ok (same_file (fd, passwd), "a ../../.. symlink chain is clamped at the root");
  if (fd >= 0)
    close (fd);
  fd = moat_open_in_root (rootfd, "/up_secret", O_RDONLY);
  ok (fd < 0 && errno == ENOENT, "a symlink to ../outside/secret does not leave the root");
  if (fd >= 0)
    close (fd);
  fd = moat_open_in_root (rootfd, "/loop1", O_RDONLY);
  ok (fd < 0 && errno == ELOOP, "a symlink loop is ELOOP");
  if (fd >= 0)
    close (fd);
  fd = moat_open_in_root (rootfd, "/self/x", O_PATH);
  ok (fd < 0 && errno == ELOOP, "a symlink to itself is ELOOP");
  if (fd >= 0)
    close (fd);
  fd = moat_open_in_root (rootfd, "/file/sub", O_PATH);
  ok (fd < 0 && errno == ENOTDIR, "a file where a directory is expected is ENOTDIR");
  if (fd >= 0)
    close (fd);
  fd = moat_open_in_root (rootfd, "/proc_root", O_PATH);
  ok (fd < 0 && errno == ENOENT, "a symlink to /proc/self/root/etc stays in the root");
  if (fd >= 0)
    close (fd);
  char *dir = at (root, "dir");
  fd = moat_open_in_root (rootfd, "mid/.", O_PATH | O_DIRECTORY);
  ok (same_file (fd, dir), "a relative path through a symlinked directory");
  if (fd >= 0)
    close (fd);
  fd = moat_open_in_root (rootfd, "/mid_abs/../mid_abs", O_PATH | O_DIRECTORY);
  ok (same_file (fd, dir), "an absolute symlink in an intermediate component");
  if (fd >= 0)
    close (fd);
  free (dir);

  /* magic links: /proc/self as the root, its links refused */
  int self = open ("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC);
  static const char *const magic[] = { "root", "cwd", "exe", "fd/0", "root/etc/passwd",
                                       "cwd/.", "ns/net" };
  for (size_t i = 0; i < ARRAY_SIZE (magic); i++)
    {
      fd = moat_open_in_root (self, magic[i], O_PATH);
      ok (fd < 0 && errno == ELOOP, "magic link /proc/self/%s is refused (%s)", magic[i],
          fd < 0 ? strerror (errno) : "opened");
      if (fd >= 0)
        close (fd);
    }
  fd = moat_open_in_root (self, "status", O_RDONLY);
  ok (fd >= 0, "a plain file under /proc/self opens");
  if (fd >= 0)
    close (fd);
  close (self);
  free (passwd);
}

static void
test_make (void)
{
  int fd;
  char *msg;

  /* plain creation, nested */
  msg = make ("/new/dir/leaf", false, &fd);
  ok (msg == NULL && exists_lstat (root, "new/dir/leaf", S_IFDIR),
      "make a nested directory (%s)", msg ? msg : "ok");
  ok (fd >= 0 && (fcntl (fd, F_GETFL) & O_PATH), "the result is an O_PATH fd");
  if (fd >= 0)
    close (fd);
  free (msg);
  msg = make ("/new/dir/f.txt", true, &fd);
  ok (msg == NULL && exists_lstat (root, "new/dir/f.txt", S_IFREG),
      "make a file (%s)", msg ? msg : "ok");
  char *p = at (root, "new/dir/f.txt");
  struct stat st;
  ok (stat (p, &st) == 0 && st.st_size == 0 && (st.st_mode & 0777) == (0644 & ~umask (022)),
      "the new file is empty, mode 0644 less the umask");
  free (p);
  if (fd >= 0)
    close (fd);
  free (msg);
  msg = make ("/new/dir/f.txt", true, &fd);
  ok (msg == NULL && fd >= 0, "making an existing file again opens it");
  if (fd >= 0)
    close (fd);
  free (msg);

  /* a dangling absolute symlink: its target is made inside the root */
  char *made = xasprintf ("%s/made/by/symlink", uniq);
  char *host_made = xasprintf ("/%s", uniq);
  msg = make ("/dangling", false, &fd);
  ok (msg == NULL && exists_lstat (root, made, S_IFDIR),
      "a dangling absolute symlink has its target made in the root (%s)", msg ? msg : "ok");
  ok (!exists_lstat (NULL, host_made, 0), "nothing appeared at the host's /%s", uniq);
  p = at (root, made);
  ok (same_file (fd, p), "the fd is the made directory");
  free (p);
  if (fd >= 0)
    close (fd);
  free (msg);
  ok (exists_lstat (root, "dangling", S_IFLNK), "the symlink itself is left alone");
  msg = make ("/dangling_file", true, &fd);
  char *made_file = xasprintf ("%s-file", uniq);
  char *host_made_file = xasprintf ("/%s-file", uniq);
  ok (msg == NULL && exists_lstat (root, made_file, S_IFREG)
      && !exists_lstat (NULL, host_made_file, 0),
      "a dangling symlink as a file: a regular file made in the root (%s)", msg ? msg : "ok");
  if (fd >= 0)
    close (fd);
  free (msg);

  /* a symlink to a dangling one */
  rmdir (made);
  msg = make ("/chain/x", false, &fd);
  char *chain_x = xasprintf ("%s/x", made);
  ok (msg == NULL && exists_lstat (root, chain_x, S_IFDIR) && !exists_lstat (NULL, host_made, 0),
      "a symlink to a dangling symlink: made in the root (%s)", msg ? msg : "ok");
  if (fd >= 0)
    close (fd);
  free (msg);
  free (chain_x);

  /* a dangling relative symlink with ../.. pointing at the canary */
  msg = make ("/dangling_up", false, &fd);
  ok (msg == NULL && exists_lstat (root, "outside/canary/escaped", S_IFDIR),
      "../../outside/canary/escaped is made as root/outside/canary/escaped (%s)",
      msg ? msg : "ok");
  ok (!exists_lstat (outside, "canary/escaped", 0), "the real canary has no `escaped`");
  if (fd >= 0)
    close (fd);
  free (msg);
  msg = make ("/dangling_dotdot/sub", true, &fd);
  ok (msg == NULL && exists_lstat (root, "tmp/escaped-dir/sub", S_IFREG)
      && !exists_lstat (NULL, "/tmp/escaped-dir", 0),
      "../../../../tmp/escaped-dir/sub is made under the root's /tmp (%s)", msg ? msg : "ok");
  if (fd >= 0)
    close (fd);
  free (msg);

  /* symlinks at intermediate components */
  msg = make ("/mid/sub/file", true, &fd);
  ok (msg == NULL && exists_lstat (root, "dir/sub/file", S_IFREG),
      "through a relative symlinked directory: made in its target (%s)", msg ? msg : "ok");
  if (fd >= 0)
    close (fd);
  free (msg);
  char *tmpname = xasprintf ("/abs_tmp/%s", uniq);
  char *host_tmp = xasprintf ("/tmp/%s", uniq);
  char *root_tmp = xasprintf ("tmp/%s", uniq);
  msg = make (tmpname, false, &fd);
  ok (msg == NULL && exists_lstat (root, root_tmp, S_IFDIR) && !exists_lstat (NULL, host_tmp, 0),
      "through an absolute symlink to /tmp: made in the root's /tmp (%s)", msg ? msg : "ok");
  if (fd >= 0)
    close (fd);
  free (msg);
  msg = make ("/abs_etc/moat", true, &fd);
  ok (msg == NULL && exists_lstat (root, "etc/moat", S_IFREG) && !exists_lstat (NULL, "/etc/moat", 0),
      "through a symlink to /etc: made in the root's /etc (%s)", msg ? msg : "ok");
  if (fd >= 0)
    close (fd);
  free (msg);
  msg = make ("/up_canary/new", false, &fd);
  ok (msg == NULL && exists_lstat (root, "outside/canary/new", S_IFDIR)
      && !exists_lstat (outside, "canary/new", 0),
      "through a ../.. symlink to the canary: made in the root (%s)", msg ? msg : "ok");
  if (fd >= 0)
    close (fd);
  free (msg);
  msg = make ("/proc_root/x", false, &fd);
  ok (msg == NULL && exists_lstat (root, "proc/self/root/etc/x", S_IFDIR),
      "a symlink to /proc/self/root/etc: a plain directory in the root (%s)", msg ? msg : "ok");
  if (fd >= 0)
    close (fd);
  free (msg);

  /* a relative dangling symlink under a directory reached through a
     symlink at another depth: the kernel resolves ../sibling from the
     link's real directory (a/b/real), not from the path given */
  int before = count_fds ();
  msg = make ("/alias/dl", false, &fd);
  ok (msg == NULL && exists_lstat (root, "a/b/sibling", S_IFDIR),
      "a dangling ../sibling under a symlinked directory is made at a/b/sibling (%s)",
      msg ? msg : "ok");
  ok (!exists_lstat (NULL, "/sibling", 0) && !exists_lstat (top, "sibling", 0),
      "whatever it made stayed in the root");
  if (fd >= 0)
    close (fd);
  ok (fd >= 0 || count_fds () == before, "no fd is left open on failure");
  free (msg);

  /* errors */
  before = count_fds ();
  msg = make ("/loop1/x", false, &fd);
  ok (msg && contains (msg, "Too many levels of symbolic links"),
      "a symlink loop is an error (%s)", msg ? msg : "made");
  if (fd >= 0)
    close (fd);
  free (msg);
  msg = make ("/file/sub", false, &fd);
  ok (msg && contains (msg, "/file/sub") && contains (msg, "Not a directory"),
      "a file where a directory is expected is an error (%s)", msg ? msg : "made");
  if (fd >= 0)
    close (fd);
  free (msg);
  msg = make ("/file/sub/deeper", true, &fd);
  ok (msg && contains (msg, "Not a directory"), "... also deeper down (%s)", msg ? msg : "made");
  if (fd >= 0)
    close (fd);
  free (msg);
  msg = make ("/../../escape", false, &fd);
  ok (msg && contains (msg, "`..` is not allowed here"), "a leading .. is refused (%s)",
      msg ? msg : "made");
  ok (!exists_lstat (top, "escape", 0) && !exists_lstat (root, "escape", 0),
      "and made nothing");
  if (fd >= 0)
    close (fd);
  free (msg);
  msg = make ("/fresh/../x", false, &fd);
  ok (msg && contains (msg, "/fresh/../x") && contains (msg, "`..` is not allowed here"),
      "a .. in the middle is refused (%s)", msg ? msg : "made");
  ok (!exists_lstat (root, "fresh", 0),
      "a refused path leaves nothing behind (fresh %s)",
      exists_lstat (root, "fresh", 0) ? "was made" : "absent");
  if (fd >= 0)
    close (fd);
  free (msg);
  ok (count_fds () == before, "errors leave no fd open (%d, %d before)", count_fds (), before);

  /* magic links, with /proc/self as the root: refused, nothing made */
  int self = open ("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (chdir (outside) == 0)
    {
      moat_error *err = NULL;
      int r = moat_make_in_root (self, "cwd/magic-escape", false, &err);
      ok (r < 0 && err && contains (err->msg, "Too many levels of symbolic links"),
          "make through the magic link /proc/self/cwd is refused (%s)",
          err ? err->msg : "made");
      ok (!exists_lstat (outside, "magic-escape", 0), "nothing was made through it");
      moat_error_free (&err);
      if (r >= 0)
        close (r);
      r = moat_make_in_root (self, "fd/0/x", true, &err);
      ok (r < 0 && err != NULL, "make through /proc/self/fd/0 is refused (%s)",
          err ? err->msg : "made");
      moat_error_free (&err);
      if (r >= 0)
        close (r);
      if (chdir ("/") < 0)
        abort ();
    }
  close (self);

  free (made);
  free (host_made);
  free (made_file);
  free (host_made_file);
  free (tmpname);
  free (host_tmp);
  free (root_tmp);
}

int
main (void)
{
  umask (022);
  setup ();
  int probe = moat_open_in_root (rootfd, ".", O_PATH);
  if (probe < 0 && errno == ENOSYS)
    {
      /* valgrind (before 3.22) does not know openat2 either */
      printf ("1..0 # SKIP openat2(2) is not available here (old kernel, or valgrind)\n");
      close (rootfd);
      char *cmd = xasprintf ("rm -rf '%s'", top);
      if (system (cmd) != 0)
        printf ("# could not remove %s\n", top);
      free (cmd);
      free (root);
      free (outside);
      return 0;
    }
  close (probe);
  char *before = NULL, *after = NULL;
  listing (outside, &before);
  char *top_before = NULL, *top_after = NULL;
  DIR *d = opendir (top);
  struct dirent *e;
  while ((e = readdir (d)))
    {
      char *n = xasprintf ("%s%s\n", top_before ? top_before : "", e->d_name);
      free (top_before);
      top_before = n;
    }
  closedir (d);

  test_open ();
  test_make ();

  listing (outside, &after);
  ok (before && after && strcmp (before, after) == 0, "the canary outside the root is untouched");
  d = opendir (top);
  while ((e = readdir (d)))
    {
      char *n = xasprintf ("%s%s\n", top_after ? top_after : "", e->d_name);
      free (top_after);
      top_after = n;
    }
  closedir (d);
  ok (strcmp (top_before, top_after) == 0, "nothing appeared next to the root");
  free (before);
  free (after);
  free (top_before);
  free (top_after);

  close (rootfd);
  char *cmd = xasprintf ("rm -rf '%s'", top);
  if (system (cmd) != 0)
    printf ("# could not remove %s\n", top);
  free (cmd);
  free (root);
  free (outside);
  return tap_done ();
}
