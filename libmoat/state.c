#include <config.h>
#include "state.h"
#include "utils.h"
#include "cgroup/cgroup.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#define MAX_ID_LEN 1024
#define MAX_STATE_SIZE (4u << 20)

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
    return moat_error_set (err, 0, "invalid container id: empty");
  if (len > MAX_ID_LEN)
    return moat_error_set (err, 0, "invalid container id: longer than %d characters",
                           MAX_ID_LEN);
  if (id[0] == '.')
    return moat_error_set (err, 0, "invalid container id `%s`: must not start with `.`",
                           id);
  for (const char *p = id; *p; p++)
    {
      unsigned char c = *p;
      if (c == '/')
        return moat_error_set (err, 0, "invalid container id `%s`: must not contain `/`",
                               id);
      if (c <= ' ' || c == 0x7f)
        return moat_error_set (err, 0, "invalid container id: must not contain "
                               "whitespace or control characters");
    }
  return 0;
}

/* True when the process is in the initial user namespace: its uid_map is
   the identity over the whole range.  */
static bool
in_initial_userns (void)
{
  autofree char *map = NULL;
  if (moat_read_file_at (AT_FDCWD, "/proc/self/uid_map", 4096, &map, NULL, NULL) < 0)
    return true;
  unsigned long a, b, c;
  return sscanf (map, "%lu %lu %lu", &a, &b, &c) == 3 && a == 0 && b == 0
    && c == 4294967295UL;
}

char *
moat_default_state_root (void)
{
  if (geteuid () == 0 && in_initial_userns ())
    return xstrdup ("/run/moat");
  const char *xdg = getenv ("XDG_RUNTIME_DIR");
  if (xdg && xdg[0] == '/')
    return xasprintf ("%s/moat", xdg);
  return xasprintf ("/run/user/%u/moat", (unsigned) getuid ());
}

static int
lock_dir (int fd, bool exclusive)
{
  int r;
  do
    r = flock (fd, exclusive ? LOCK_EX : LOCK_SH);
  while (r < 0 && errno == EINTR);
  return r;
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

  /* Build the directory under a private name, lock it, then move it into
     place with RENAME_NOREPLACE: the id appears atomically and already
     locked, and an existing id can never be replaced.  */
  char tmp[64];
  snprintf (tmp, sizeof tmp, ".new-%d-%lx", getpid (), (unsigned long) random ());
  if (mkdirat (rootfd, tmp, 0700) < 0)
    return moat_error_set (err, errno, "create directory in `%s`", root);
  int fd = openat (rootfd, tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 || lock_dir (fd, true) < 0)
    {
      int e = errno;
      if (fd >= 0)
        close (fd);
      unlinkat (rootfd, tmp, AT_REMOVEDIR);
      return moat_error_set (err, e, "lock state directory");
    }
  /* state.json is there before the id becomes visible */
  autofree char *json = moat_state_to_json (initial, true);
  if (moat_write_file_atomic_at (fd, "state.json", json, strlen (json), 0600, err) < 0)
    {
      close (fd);
      moat_remove_tree_at (rootfd, tmp);
      return -1;
    }
  if (renameat2 (rootfd, tmp, rootfd, id, RENAME_NOREPLACE) < 0)
    {
      int e = errno;
      close (fd);
      moat_remove_tree_at (rootfd, tmp);
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
  int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
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
  if (fstat (fd, &st) < 0 || st.st_nlink == 0
      || faccessat (fd, "state.json", F_OK, 0) < 0)
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

#define GS(g, s) yajl_gen_string (g, (const unsigned char *) (s), strlen (s))

static void
gen_kv (yajl_gen g, const char *k, const char *v)
{
  GS (g, k);
  GS (g, v ? v : "");
}

char *
moat_state_to_json (const struct moat_state *st, bool full)
{
  yajl_gen g = yajl_gen_alloc (NULL);
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
      if (st->cgroup_path)
        gen_kv (g, "cgroupPath", st->cgroup_path);
      if (st->cgroup_created_from)
        gen_kv (g, "cgroupCreatedFrom", st->cgroup_created_from);
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
moat_state_from_json (const char *json, struct moat_state *st, moat_error **err)
{
  char ebuf[128];
  yajl_val top = yajl_tree_parse (json, ebuf, sizeof ebuf);
  if (top == NULL || !YAJL_IS_OBJECT (top))
    {
      if (top)
        yajl_tree_free (top);
      return moat_error_set (err, 0, "state.json is corrupt");
    }
  memset (st, 0, sizeof *st);
  st->id = str_at (top, (const char *[]) { "id", NULL });
  st->bundle = str_at (top, (const char *[]) { "bundle", NULL });
  st->rootfs = str_at (top, (const char *[]) { "rootfs", NULL });
  st->created = str_at (top, (const char *[]) { "created", NULL });
  st->owner = str_at (top, (const char *[]) { "owner", NULL });
  st->cgroup_path = str_at (top, (const char *[]) { "moat", "cgroupPath", NULL });
  st->cgroup_created_from
    = str_at (top, (const char *[]) { "moat", "cgroupCreatedFrom", NULL });
  yajl_val v = yajl_tree_get (top, (const char *[]) { "pid", NULL }, yajl_t_number);
  st->pid = v && YAJL_IS_INTEGER (v) ? YAJL_GET_INTEGER (v) : 0;
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
    return moat_error_set (err, 0, "state.json is corrupt: no id");
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
  if (moat_read_file_at (d->dirfd, "state.json", MAX_STATE_SIZE, &json, NULL, err) < 0)
    return moat_error_prefix (err, "container \"%s\"", d->id);
  if (moat_state_from_json (json, st, err) < 0)
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
  free (st->cgroup_path);
  free (st->cgroup_created_from);
  for (size_t i = 0; i < st->n_annotations; i++)
    {
      free (st->annotations[i].key);
      free (st->annotations[i].value);
    }
  free (st->annotations);
  memset (st, 0, sizeof *st);
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
  else if (st->cgroup_path && moat_cgroup_event (st->cgroup_path, "frozen 1"))
    st->status = MOAT_STATUS_PAUSED;
  else
    st->status = MOAT_STATUS_RUNNING;
}
