#include <config.h>
#include "state.h"
#include "userns-ranges.h"
#include "utils.h"
#include "cgroup/cgroup.h"
#include "spec/jsontree.h"
#include "linux/linux.h"
#include <sys/random.h>
#include "fault.h"
#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <time.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

/* A directory name, and room for the temporaries' names.  */
#define MAX_ID_LEN 250
/* state.json holds the config's annotations and two paths: larger than
   the largest config.json accepted, so that any container the parser
   accepts stays readable, and deletable.  */
#define MAX_STATE_SIZE (MOAT_MAX_CONFIG_SIZE + (1u << 20))
/* Temporaries of create, under the state root.  */
#define TMP_DIR ".tmp"

static const char *const status_names[] = {
  [MOAT_STATUS_CREATING] = "creating", [MOAT_STATUS_CREATED] = "created",
  [MOAT_STATUS_RUNNING] = "running", [MOAT_STATUS_PAUSED] = "paused",
  [MOAT_STATUS_STOPPED] = "stopped",
};

const char *
moat_status_name (enum moat_status s)
{
  return s <= MOAT_STATUS_STOPPED ? status_names[s] : "unknown";
}

int
moat_validate_id (const char *id, moat_error **err)
{
  size_t len = strlen (id);
  if (len == 0)
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                            "invalid container id: empty");
  if (len > MAX_ID_LEN)
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                            "invalid container id: longer than %d characters",
                           MAX_ID_LEN);
  if (id[0] == '.')
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                            "invalid container id `%s`: must not start with `.`",
                           id);
  for (const char *p = id; *p; p++)
    {
      unsigned char c = *p;
      if (c == '/')
        return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                                "invalid container id `%s`: must not contain `/`",
                               id);
      if (c <= ' ' || c == 0x7f)
        return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                                "invalid container id: must not contain "
                               "whitespace or control characters");
    }
  return 0;
}

char *
moat_default_state_root (void)
{
  if (!moat_running_rootless ())
    return xstrdup ("/run/moat");
  const char *xdg = getenv ("XDG_RUNTIME_DIR");
  if (xdg && xdg[0] == '/')
    return xasprintf ("%s/moat", xdg);
  return xasprintf ("/run/user/%u/moat", (unsigned) getuid ());
}

int
moat_check_state_root (int rootfd, const char *root, moat_error **err)
{
  struct stat st;
  if (fstat (rootfd, &st) < 0)
    return moat_error_set (err, errno, "state root `%s`", root);
  /* whoever can write here can make moat act on any process or cgroup it
     names in a state.json */
  if (st.st_uid != geteuid ())
    return moat_error_setk (err, MOAT_ERR_PERMISSION, 0,
                            "state root `%s` is owned by uid %u, not by moat's user "
                            "(uid %u): refusing to trust the states in it", root,
                            (unsigned) st.st_uid, (unsigned) geteuid ());
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    return moat_error_setk (err, MOAT_ERR_PERMISSION, 0,
                            "state root `%s` is writable by others (mode %04o): "
                            "refusing to trust the states in it", root,
                            (unsigned) (st.st_mode & 07777));
  return 0;
}

#define TURNSTILE ".turnstile"

static int
flock_retrying (int fd, int op)
{
  int r;
  do
    r = flock (fd, op);
  while (r < 0 && errno == EINTR);
  return r;
}

/* flock favours readers: a stream of shared holders (exec, kill --all)
   would keep start or delete waiting for ever.  Whoever waits for the
   exclusive lock holds the turnstile meanwhile, and every locker passes
   through it first, so that new shared holders queue behind the waiter.
   A directory made by an older moat has no turnstile: plain flock.  */
static int
lock_dir (int fd, bool exclusive)
{
  autoclose int turnstile = openat (fd, TURNSTILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (turnstile >= 0 && flock_retrying (turnstile, LOCK_EX) < 0)
    return -1;
  if (turnstile >= 0 && !exclusive)
    flock_retrying (turnstile, LOCK_UN);
  return flock_retrying (fd, exclusive ? LOCK_EX : LOCK_SH);
}

/* The name of a temporary: its maker's pid and start time (so that a
   sweep can tell a dead maker's debris from a live one's work) and 64
   bits from getrandom, so that nobody can predict or take it first.  */
static void
temporary_name (char out[64])
{
  unsigned char r[8] = { 0 };
  if (getrandom (r, sizeof r, GRND_NONBLOCK) != (ssize_t) sizeof r)
    {
      /* early boot without entropy: unique still, if predictable */
      struct timespec ts;
      clock_gettime (CLOCK_MONOTONIC, &ts);
      memcpy (r, &ts.tv_nsec,
              sizeof ts.tv_nsec < sizeof r ? sizeof ts.tv_nsec : sizeof r);
    }
  int n = snprintf (out, 64, "%d.%llu.", getpid (),
                    moat_process_start_time (getpid (), false));
  for (size_t i = 0; i < sizeof r; i++)
    n += snprintf (out + n, 64 - n, "%02x", r[i]);
}

/* A temporary whose maker is gone: debris of a create killed between its
   mkdir and its rename.  */
static bool
maker_gone (const char *name)
{
  unsigned long long pid, start;
  if (sscanf (name, "%llu.%llu.", &pid, &start) != 2 || pid == 0 || pid > INT_MAX)
    return true;
  return moat_process_start_time (pid, true) != start;
}

/* Remove the temporaries of creates that died.  A live maker holds its
   temporary's lock from right after the mkdir until the rename.  */
static void
sweep_stale_temporaries (int tmpfd)
{
  /* temporaries are directories: on a file system that counts them in
     the link count (tmpfs, ext4; btrfs says 1), 2 means there is none */
  struct stat st;
  if (fstat (tmpfd, &st) == 0 && st.st_nlink == 2)
    return;
  DIR *d = fdopendir (dup (tmpfd));
  if (d == NULL)
    return;
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    {
      if (de->d_name[0] == '.' || !maker_gone (de->d_name))
        continue;
      int fd = openat (tmpfd, de->d_name,
                       O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
      if (fd < 0)
        continue;
      if (flock (fd, LOCK_EX | LOCK_NB) == 0)
        moat_remove_tree_at (tmpfd, de->d_name);
      close (fd);
    }
  closedir (d);
}

void
moat_sweep_temporaries (const char *root)
{
  autofree char *path = xasprintf ("%s/%s", root, TMP_DIR);
  autoclose int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd >= 0)
    sweep_stale_temporaries (fd);
}

int
moat_container_absent (const char *root, const char *id, moat_error **err)
{
  autofree char *path = xasprintf ("%s/%s", root, id);
  if (moat_validate_id (id, err) < 0)
    return -1;
  if (access (path, F_OK) == 0)
    return moat_error_setk (err, MOAT_ERR_WRONG_STATE, 0,
                            "container \"%s\" already exists", id);
  return 0;
}

int
moat_container_dir_create (const char *root, const char *id,
                           const struct moat_state *initial,
                           struct moat_container_dir *out, moat_error **err)
{
  if (moat_validate_id (id, err) < 0)
    return -1;
  if (moat_mkdir_p (root, 0700, err) < 0)
    return moat_error_prefix (err, "state root");
  autoclose int rootfd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return moat_error_set (err, errno, "open state root `%s`", root);
  if (moat_check_state_root (rootfd, root, err) < 0)
    return -1;
  if (mkdirat (rootfd, TMP_DIR, 0700) < 0 && errno != EEXIST)
    return moat_error_set (err, errno, "create `%s/%s`", root, TMP_DIR);
  autoclose int tmpfd = openat (rootfd, TMP_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC
                                | O_NOFOLLOW);
  if (tmpfd < 0)
    return moat_error_set (err, errno, "open `%s/%s`", root, TMP_DIR);
  sweep_stale_temporaries (tmpfd);

  /* Build the directory under a private name, lock it, then move it into
     place with RENAME_NOREPLACE: the id appears atomically and already
     locked, and an existing id can never be replaced.  */
  char tmp[64];
  temporary_name (tmp);
  if (mkdirat (tmpfd, tmp, 0700) < 0)
    return moat_error_set (err, errno, "create directory in `%s/%s`", root, TMP_DIR);
  int fd = openat (tmpfd, tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 || lock_dir (fd, true) < 0)
    {
      int e = errno;
      if (fd >= 0)
        close (fd);
      unlinkat (tmpfd, tmp, AT_REMOVEDIR);
      return moat_error_set (err, e, "lock state directory");
    }
  autoclose int turnstile = openat (fd, TURNSTILE, O_CREAT | O_EXCL | O_RDONLY | O_CLOEXEC,
                                    0600);
  if (turnstile < 0)
    {
      int e = errno;
      close (fd);
      moat_remove_tree_at (tmpfd, tmp);
      return moat_error_set (err, e, "create the state directory's turnstile");
    }
  /* state.json is there before the id becomes visible */
  autofree char *json = moat_state_to_json (initial, true);
  if (moat_fault ("state-tmp", err) < 0
      || moat_write_file_atomic_at (fd, "state.json", json, strlen (json), 0600, err) < 0)
    {
      close (fd);
      moat_remove_tree_at (tmpfd, tmp);
      return -1;
    }
  if (moat_fault ("state-dir", err) < 0)
    {
      close (fd);
      moat_remove_tree_at (tmpfd, tmp);
      return -1;
    }
  if (renameat2 (tmpfd, tmp, rootfd, id, RENAME_NOREPLACE) < 0)
    {
      int e = errno;
      close (fd);
      moat_remove_tree_at (tmpfd, tmp);
      if (e == EEXIST || e == ENOTEMPTY)
        return moat_error_setk (err, MOAT_ERR_WRONG_STATE, 0,
                                "container \"%s\" already exists", id);
      return moat_error_set (err, e, "create state directory for \"%s\"", id);
    }
  out->dirfd = fd;
  out->path = xasprintf ("%s/%s", root, id);
  out->id = xstrdup (id);
  return 0;
}

int
moat_container_dir_open (const char *root, const char *id, bool exclusive,
                         struct moat_container_dir *out, moat_error **err)
{
  if (moat_validate_id (id, err) < 0)
    return -1;
  autofree char *path = xasprintf ("%s/%s", root, id);
  autoclose int rootfd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0 && errno == ENOENT)
    return moat_error_setk (err, MOAT_ERR_NOT_FOUND, 0, "container \"%s\" does not exist",
                            id);
  if (rootfd < 0)
    return moat_error_set (err, errno, "open state root `%s`", root);
  if (moat_check_state_root (rootfd, root, err) < 0)
    return -1;
  int fd = openat (rootfd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    {
      if (errno == ENOENT)
        return moat_error_setk (err, MOAT_ERR_NOT_FOUND, 0,
                                "container \"%s\" does not exist", id);
      return moat_error_set (err, errno, "open state of container \"%s\"", id);
    }
  if (lock_dir (fd, exclusive) < 0)
    {
      int e = errno;
      close (fd);
      return moat_error_set (err, e, "lock state of container \"%s\"", id);
    }
  /* The directory may have been deleted while we waited for the lock.  */
  struct stat st;
  if (fstat (fd, &st) < 0 || st.st_nlink == 0)
    {
      close (fd);
      return moat_error_setk (err, MOAT_ERR_NOT_FOUND, 0,
                              "container \"%s\" does not exist", id);
    }
  out->dirfd = fd;
  out->path = steal_pointer_str (&path);
  out->id = xstrdup (id);
  return 0;
}

int
moat_container_dir_remove (struct moat_container_dir *d, moat_error **err)
{
  autofree char *parent = xstrdup (d->path);
  char *slash = strrchr (parent, '/');
  const char *name = slash ? slash + 1 : parent;
  if (slash)
    *slash = '\0';
  autoclose int pfd = open (slash ? (parent[0] ? parent : "/") : ".",
                            O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int r = 0;
  /* an automatic id range the container held is free again (one access
     when no container on the host ever had one); before the directory
     goes, while
     the id is still taken, so that no create of the same id records a
     block of its own in between */
  if (access (MOAT_USERNS_REGISTRY, F_OK) == 0)
    {
      autofree char *real = realpath (d->path, NULL);
      if (real)
        moat_userns_range_release (real);
    }
  if (pfd < 0 || moat_remove_tree_at (pfd, name) < 0)
    r = moat_error_set (err, errno, "remove state directory `%s`", d->path);
  moat_container_dir_close (d);
  return r;
}

void
moat_container_dir_close (struct moat_container_dir *d)
{
  if (d->dirfd >= 0)
    close (d->dirfd);
  d->dirfd = -1;
  free (d->path);
  free (d->id);
  d->path = d->id = NULL;
}

/* ---- JSON ---- */

static void
gen_kv (yajl_gen g, const char *k, const char *v)
{
  GS (g, k);
  GS (g, v ? v : "");
}

static char *state_json (const struct moat_state *st, bool full, bool indented);

char *
moat_state_to_json (const struct moat_state *st, bool full)
{
  return state_json (st, full, false);
}

char *
moat_state_to_json_indented (const struct moat_state *st)
{
  return state_json (st, false, true);
}

static char *
state_json (const struct moat_state *st, bool full, bool indented)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  if (indented)
    {
      yajl_gen_config (g, yajl_gen_beautify, 1);
      yajl_gen_config (g, yajl_gen_indent_string, "  ");
    }
  yajl_gen_map_open (g);
  gen_kv (g, "ociVersion", OCI_SPEC_VERSION);
  gen_kv (g, "id", st->id);
  GS (g, "pid");
  yajl_gen_integer (g, st->status == MOAT_STATUS_STOPPED && !full ? 0 : st->pid);
  gen_kv (g, "status", moat_status_name (st->status));
  gen_kv (g, "bundle", st->bundle);
  gen_kv (g, "rootfs", st->rootfs);
  gen_kv (g, "created", st->created);
  gen_kv (g, "owner", st->owner);
  if (st->n_annotations > 0)
    {
      GS (g, "annotations");
      yajl_gen_map_open (g);
      for (size_t i = 0; i < st->n_annotations; i++)
        gen_kv (g, st->annotations[i].key, st->annotations[i].value);
      yajl_gen_map_close (g);
    }
  if (full)
    {
      GS (g, "moat");
      yajl_gen_map_open (g);
      GS (g, "startTime");
      char num[32];
      snprintf (num, sizeof num, "%llu", st->start_time);
      yajl_gen_number (g, num, strlen (num));
      if (st->cgroup_driver)
        gen_kv (g, "cgroupDriver", st->cgroup_driver);
      if (st->cgroup_path)
        gen_kv (g, "cgroupPath", st->cgroup_path);
      if (st->cgroup_created_from)
        gen_kv (g, "cgroupCreatedFrom", st->cgroup_created_from);
      if (st->cgroup_created_from_v1)
        gen_kv (g, "cgroupCreatedFromV1", st->cgroup_created_from_v1);
      if (st->cgroup_invocation)
        gen_kv (g, "cgroupInvocation", st->cgroup_invocation);
      if (st->no_new_keyring)
        {
          GS (g, "noNewKeyring");
          yajl_gen_bool (g, 1);
        }
      if (st->no_late_hooks)
        {
          GS (g, "noLateHooks");
          yajl_gen_bool (g, 1);
        }
      if (st->no_process)
        {
          GS (g, "noProcess");
          yajl_gen_bool (g, 1);
        }
      if (st->audit_log)
        gen_kv (g, "auditLog", st->audit_log);
      if (st->notify_socket)
        gen_kv (g, "notifySocket", st->notify_socket);
      if (st->config_sha256)
        gen_kv (g, "configSha256", st->config_sha256);
      yajl_gen_map_close (g);
    }
  yajl_gen_map_close (g);
  const unsigned char *buf;
  size_t len;
  yajl_gen_get_buf (g, &buf, &len);
  char *r = xasprintf ("%.*s", (int) len, buf);
  yajl_gen_free (g);
  return r;
}

static char *
str_at (yajl_val top, const char **path)
{
  yajl_val v = yajl_tree_get (top, path, yajl_t_string);
  return v ? xstrdup (YAJL_GET_STRING (v)) : NULL;
}

int
moat_state_from_json (const char *json, size_t len, struct moat_state *st,
                      moat_error **err)
{
  memset (st, 0, sizeof *st);
  yajl_val top = moat_json_parse (json, len, err);
  if (top == NULL)
    return moat_error_prefix (err, "state.json is corrupt");
  if (!YAJL_IS_OBJECT (top))
    {
      yajl_tree_free (top);
      return moat_error_set (err, 0, "state.json is corrupt: not an object");
    }
  st->id = str_at (top, (const char *[]) { "id", NULL });
  st->bundle = str_at (top, (const char *[]) { "bundle", NULL });
  st->rootfs = str_at (top, (const char *[]) { "rootfs", NULL });
  st->created = str_at (top, (const char *[]) { "created", NULL });
  st->owner = str_at (top, (const char *[]) { "owner", NULL });
  st->cgroup_driver = str_at (top, (const char *[]) { "moat", "cgroupDriver", NULL });
  st->cgroup_path = str_at (top, (const char *[]) { "moat", "cgroupPath", NULL });
  st->cgroup_created_from
    = str_at (top, (const char *[]) { "moat", "cgroupCreatedFrom", NULL });
  st->cgroup_created_from_v1
    = str_at (top, (const char *[]) { "moat", "cgroupCreatedFromV1", NULL });
  st->cgroup_invocation
    = str_at (top, (const char *[]) { "moat", "cgroupInvocation", NULL });
  st->audit_log = str_at (top, (const char *[]) { "moat", "auditLog", NULL });
  st->notify_socket = str_at (top, (const char *[]) { "moat", "notifySocket", NULL });
  st->config_sha256 = str_at (top, (const char *[]) { "moat", "configSha256", NULL });
  st->no_new_keyring
    = yajl_tree_get (top, (const char *[]) { "moat", "noNewKeyring", NULL }, yajl_t_true)
    != NULL;
  st->no_late_hooks
    = yajl_tree_get (top, (const char *[]) { "moat", "noLateHooks", NULL }, yajl_t_true)
    != NULL;
  st->no_process
    = yajl_tree_get (top, (const char *[]) { "moat", "noProcess", NULL }, yajl_t_true)
    != NULL;
  yajl_val v = yajl_tree_get (top, (const char *[]) { "pid", NULL }, yajl_t_number);
  st->pid = v && YAJL_IS_INTEGER (v) && YAJL_GET_INTEGER (v) > 0
    && YAJL_GET_INTEGER (v) <= INT_MAX ? YAJL_GET_INTEGER (v) : 0;
  v = yajl_tree_get (top, (const char *[]) { "moat", "startTime", NULL }, yajl_t_number);
  unsigned long long t = 0;
  if (v)
    moat_parse_uint (YAJL_GET_NUMBER (v), UINT64_MAX, &t);
  st->start_time = t;
  autofree char *status = str_at (top, (const char *[]) { "status", NULL });
  st->status = MOAT_STATUS_STOPPED;
  for (int i = 0; status && i <= MOAT_STATUS_STOPPED; i++)
    if (strcmp (status, status_names[i]) == 0)
      st->status = i;
  v = yajl_tree_get (top, (const char *[]) { "annotations", NULL }, yajl_t_object);
  if (v)
    {
      st->annotations = xmalloc0 (v->u.object.len * sizeof *st->annotations);
      for (size_t i = 0; i < v->u.object.len; i++)
        if (YAJL_IS_STRING (v->u.object.values[i]))
          {
            size_t k = st->n_annotations++;
            st->annotations[k].key = xstrdup (v->u.object.keys[i]);
            st->annotations[k].value = xstrdup (YAJL_GET_STRING (v->u.object.values[i]));
          }
    }
  yajl_tree_free (top);
  if (st->id == NULL)
    {
      moat_state_clear (st);
      return moat_error_set (err, 0, "state.json is corrupt: no id");
    }
  return 0;
}

int
moat_state_write (struct moat_container_dir *d, const struct moat_state *st,
                  moat_error **err)
{
  autofree char *json = moat_state_to_json (st, true);
  return moat_write_file_atomic_at (d->dirfd, "state.json", json, strlen (json), 0600,
                                    err);
}

int
moat_state_read (struct moat_container_dir *d, struct moat_state *st, moat_error **err)
{
  autofree char *json = NULL;
  size_t len;
  if (moat_read_file_at (d->dirfd, "state.json", MAX_STATE_SIZE, &json, &len, err) < 0)
    return moat_error_prefix (err, "container \"%s\"", d->id);
  if (moat_state_from_json (json, len, st, err) < 0)
    return moat_error_prefix (err, "container \"%s\"", d->id);
  return 0;
}

void
moat_state_clear (struct moat_state *st)
{
  free (st->id);
  free (st->bundle);
  free (st->rootfs);
  free (st->created);
  free (st->owner);
  free (st->cgroup_driver);
  free (st->cgroup_path);
  free (st->cgroup_created_from);
  free (st->cgroup_created_from_v1);
  free (st->cgroup_invocation);
  free (st->audit_log);
  free (st->notify_socket);
  free (st->config_sha256);
  for (size_t i = 0; i < st->n_annotations; i++)
    {
      free (st->annotations[i].key);
      free (st->annotations[i].value);
    }
  free (st->annotations);
  memset (st, 0, sizeof *st);
}

int
moat_check_proc (moat_error **err)
{
  static int ours = -1;
  if (ours < 0)
    {
      char buf[32];
      ssize_t n = readlink ("/proc/self", buf, sizeof buf - 1);
      unsigned long long pid = 0;
      if (n > 0)
        {
          buf[n] = '\0';
          moat_parse_uint (buf, INT_MAX, &pid);
        }
      ours = pid == (unsigned long long) getpid ();
    }
  if (!ours)
    return moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, 0,
                            "/proc is not the procfs of moat's pid namespace (/proc/self "
                            "is not pid %d): mount a procfs for this pid namespace "
                            "first", getpid ());
  return 0;
}

unsigned long long
moat_process_start_time (pid_t pid, bool zombie_is_dead)
{
  if (pid <= 0)
    return 0;
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/stat", pid);
  autofree char *stat = NULL;
  if (moat_read_file_at (AT_FDCWD, path, 8192, &stat, NULL, NULL) < 0)
    return 0;
  /* comm may contain spaces and parentheses: parse after the last ')'.  */
  char *p = strrchr (stat, ')');
  if (p == NULL)
    return 0;
  char state;
  unsigned long long start = 0;
  /* fields after comm: state(3) ... starttime(22) */
  if (sscanf (p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
              "%*d %*d %*d %*d %llu", &state, &start) != 2)
    return 0;
  if (zombie_is_dead && (state == 'Z' || state == 'X'))
    return 0;
  return start;
}

static bool
state_frozen (const struct moat_state *st)
{
  struct moat_cgroup cg;
  if (moat_cgroup_from_state (st, &cg, NULL) < 0 || cg.driver == NULL)
    return false;
  bool frozen = cg.driver->frozen (&cg);
  moat_cgroup_release (&cg);
  return frozen;
}

void
moat_state_refresh (struct moat_container_dir *d, struct moat_state *st)
{
  bool alive = st->pid > 0 && st->start_time != 0
    && moat_process_start_time (st->pid, true) == st->start_time;
  if (!alive || st->status == MOAT_STATUS_CREATING)
    {
      st->status = MOAT_STATUS_STOPPED;
      return;
    }
  if (faccessat (d->dirfd, "exec.fifo", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    st->status = MOAT_STATUS_CREATED;
  else if (state_frozen (st))
    st->status = MOAT_STATUS_PAUSED;
  else
    st->status = MOAT_STATUS_RUNNING;
}
