/* Automatic id ranges for containers run by the host's root.

   A config with a user namespace and no mappings (or any config, with
   create --userns auto) gets 65536 uids and gids of its own, taken from
   the subordinate ranges of the user `containers` (/etc/subuid and
   /etc/subgid, as Podman's --userns=auto takes them), in blocks of
   65536: block k is uids S_u + 65536 k and gids S_g + 65536 k.  Never the
   host's root, and never two running containers on one block.

   What is taken is recorded in one registry for the whole host,
   MOAT_USERNS_REGISTRY (every state root, so every engine and containerd
   namespace, draws from the same ranges): a file per block in use, named
   by its number, holding the path of the container's state directory,
   made and removed under an exclusive flock of its lock file, so that
   concurrent creates never take the same block.  A block is taken after
   the container's state directory exists and given back before it is
   removed; a file whose state directory is gone (a create or delete
   killed in between) is free again.  */
#include <config.h>
#include "userns-ranges.h"
#include "linux/linux.h"
#include "utils.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLOCK 65536u

/* The registry, locked; -1 on error.  It must be root's and no one
   else's to write: its files decide which ids a container gets.  */
static int
open_locked (int *lockfd, moat_error **err)
{
  const char *reg = MOAT_USERNS_REGISTRY;
  if (mkdir (reg, 0700) < 0 && errno != EEXIST)
    return moat_error_set (err, errno, "make the id range registry `%s`", reg);
  int dirfd = open (reg, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dirfd < 0)
    return moat_error_set (err, errno, "open the id range registry `%s`", reg);
  struct stat st;
  if (fstat (dirfd, &st) < 0 || st.st_uid != 0 || (st.st_mode & 0022))
    {
      close (dirfd);
      return moat_error_setk (err, MOAT_ERR_PERMISSION, 0, "the id range registry `%s` is "
                              "not root's alone: refusing to trust it", reg);
    }
  *lockfd = openat (dirfd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (*lockfd < 0 || flock (*lockfd, LOCK_EX) < 0)
    {
      int e = errno;
      if (*lockfd >= 0)
        close (*lockfd);
      close (dirfd);
      return moat_error_set (err, e, "lock `%s/lock`", reg);
    }
  return dirfd;
}

/* The state directory a block's file names ("" when unreadable).  */
static void
holder_of (int dirfd, const char *name, char *id, size_t size)
{
  id[0] = 0;
  autoclose int fd = openat (dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return;
  ssize_t n = read (fd, id, size - 1);
  id[n > 0 ? n : 0] = 0;
}

/* Is block k's file there, for a container that still exists?  A file
   of one that does not is removed.  */
static bool
block_in_use (int dirfd, unsigned k)
{
  char name[16], holder[PATH_MAX];
  snprintf (name, sizeof name, "%u", k);
  if (faccessat (dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
    return false;
  holder_of (dirfd, name, holder, sizeof holder);
  if (holder[0] == '/' && access (holder, F_OK) == 0)
    return true;
  unlinkat (dirfd, name, 0);
  return false;
}

struct overlap
{
  uint32_t start, count;
  char found[400];
};

static bool
meets (const char *who, uint32_t start, uint32_t count, void *data)
{
  struct overlap *o = data;
  if (strcmp (who, MOAT_USERNS_OWNER) == 0
      || !((unsigned long long) start < (unsigned long long) o->start + o->count
           && o->start < (unsigned long long) start + count))
    return true;
  snprintf (o->found, sizeof o->found, "%.200s:%u:%u", who, start, count);
  return false;
}

/* The first range of FILE, not the owner's, that meets [start,
   start+count), as "FILE: who:start:count"; NULL if none.  */
static const char *
overlapping_line (const char *file, uint32_t start, uint32_t count)
{
  static char found[700];
  struct overlap o = { .start = start, .count = count };
  if (moat_subid_each (file, meets, &o) < 0 || o.found[0] == 0)
    return NULL;
  snprintf (found, sizeof found, "%s: %s", file, o.found);
  return found;
}

int
moat_userns_range_take (const char *state_dir, uint32_t *uid_start, uint32_t *gid_start,
                        moat_error **err)
{
  uint32_t su, cu, sg, cg;
  if (moat_subid_range ("/etc/subuid", (uid_t) -1, MOAT_USERNS_OWNER, &su, &cu) < 0
      || moat_subid_range ("/etc/subgid", (uid_t) -1, MOAT_USERNS_OWNER, &sg, &cg) < 0)
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                            "automatic id ranges come from the subordinate ranges of the "
                            "user `%s`, and /etc/subuid or /etc/subgid has none (add a "
                            "line such as `%s:2147483647:2147483648` to both, as Podman's "
                            "--userns=auto wants too)", MOAT_USERNS_OWNER, MOAT_USERNS_OWNER);
  const char *overlap;
  if (su == 0 || sg == 0)
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0, "the subordinate range of "
                            "`%s` in %s starts at 0: it would map the host's root",
                            MOAT_USERNS_OWNER, su == 0 ? "/etc/subuid" : "/etc/subgid");
  if ((overlap = overlapping_line ("/etc/subuid", su, cu)) != NULL
      || (overlap = overlapping_line ("/etc/subgid", sg, cg)) != NULL)
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0, "the subordinate range of "
                            "`%s` overlaps another one (%s): its ids would not be the "
                            "containers' only", MOAT_USERNS_OWNER, overlap);
  unsigned blocks = (cu < cg ? cu : cg) / BLOCK;
  if (blocks == 0)
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                            "the subordinate ranges of `%s` hold fewer than %u ids: no "
                            "automatic range fits", MOAT_USERNS_OWNER, BLOCK);
  int lockfd;
  int dirfd = open_locked (&lockfd, err);
  if (dirfd < 0)
    return -1;
  int r = -1;
  for (unsigned k = 0; k < blocks; k++)
    {
      if (block_in_use (dirfd, k))
        continue;
      char name[16];
      snprintf (name, sizeof name, "%u", k);
      autoclose int fd = openat (dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW
                                 | O_CLOEXEC, 0600);
      if (fd < 0 || moat_write_all (fd, state_dir, strlen (state_dir)) < 0)
        {
          moat_error_set (err, errno, "record the id range in `%s/%s`",
                          MOAT_USERNS_REGISTRY, name);
          unlinkat (dirfd, name, 0);
          goto out;
        }
      *uid_start = su + k * BLOCK;
      *gid_start = sg + k * BLOCK;
      r = 0;
      goto out;
    }
  moat_error_setk (err, MOAT_ERR_FAILED, 0, "every automatic id range (%u blocks of %u "
                   "ids of `%s`) is in use", blocks, BLOCK, MOAT_USERNS_OWNER);
out:
  close (lockfd);
  close (dirfd);
  return r;
}

void
moat_userns_range_release (const char *state_dir)
{
  if (access (MOAT_USERNS_REGISTRY, F_OK) < 0)
    return;
  int lockfd;
  int dirfd = open_locked (&lockfd, NULL);
  if (dirfd < 0)
    return;
  int scan = dup (dirfd);
  DIR *d = scan >= 0 ? fdopendir (scan) : NULL;
  struct dirent *e;
  while (d && (e = readdir (d)))
    {
      if (e->d_name[0] == '.' || strcmp (e->d_name, "lock") == 0)
        continue;
      char holder[PATH_MAX];
      holder_of (dirfd, e->d_name, holder, sizeof holder);
      if (strcmp (holder, state_dir) == 0)
        unlinkat (dirfd, e->d_name, 0);
    }
  if (d)
    closedir (d);
  else if (scan >= 0)
    close (scan);
  close (lockfd);
  close (dirfd);
}
