/* checkpoint: a running container's processes dumped by CRIU (the criu
   binary, spoken to through its RPC: criu-rpc.c).  What CRIU cannot take into the images
   is declared external, and recorded beside them for restore: the bind
   mounts of the config, host device nodes bound in (masked files,
   devices in a user namespace), the network and pid namespaces joined by
   path, and the init's stdio when it is a pipe or a file outside the
   container.  */
#include <config.h>
#include "moat.h"
#include "feature-table.h"
#ifdef HAVE_CRIU
#include "audit.h"
#include "criu.h"
#include "log.h"
#include "spec/spec.h"
#include "state.h"
#include "utils.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* The most mounts a container's mountinfo is read for.  */
#define MAX_MOUNT_IDS 4096

struct checkpoint
{
  const struct moat_context *ctx;
  const struct moat_checkpoint_options *o;
  struct moat_container_dir dir;
  struct moat_state st;
  struct moat_spec *spec;        /* the kept config */
  char *config_text;
  size_t config_len;
  struct moat_criu_record rec;
  int mount_ids[MAX_MOUNT_IDS];  /* the container's mounts */
  size_t n_mount_ids;
  int images_fd, work_fd;
  const char *image_path, *work_path;
  char *page_server_address;     /* --page-server, split */
  int page_server_port;
  struct moat_criu criu;
};

static bool
is_config_bind (const struct moat_spec *s, const char *mnt)
{
  for (size_t i = 0; i < s->n_mounts; i++)
    {
      const struct moat_mount *m = &s->mounts[i];
      bool bind = m->type && strcmp (m->type, "bind") == 0;
      for (size_t k = 0; !bind && m->options && m->options[k]; k++)
        bind = strcmp (m->options[k], "bind") == 0 || strcmp (m->options[k], "rbind") == 0;
      if (bind && moat_criu_same_path (m->destination, mnt))
        return true;
    }
  return false;
}

static void
add_ext (struct moat_criu_record *r, const char *key, enum moat_criu_ext_kind kind,
         const char *node)
{
  r->ext = xrealloc (r->ext, (r->n_ext + 1) * sizeof *r->ext);
  r->ext[r->n_ext].key = xstrdup (key);
  r->ext[r->n_ext].kind = kind;
  r->ext[r->n_ext].node = node ? xstrdup (node) : NULL;
  r->n_ext++;
}

/* One line of the container's mountinfo: its id kept, and the mount
   declared external when the images cannot hold it.  */
static void
take_mount (struct checkpoint *c, char *line)
{
  char *f[10] = { 0 };
  int n = 0;
  for (char *t = strtok (line, " "); t && n < 10; t = strtok (NULL, " "))
    {
      if (strcmp (t, "-") == 0)
        {
          /* the fields after the separator: type and source */
          f[6] = strtok (NULL, " ");
          n = 10;
          break;
        }
      if (n < 6)
        f[n] = t;
      n++;
    }
  if (f[0] == NULL || f[4] == NULL || f[6] == NULL)
    return;
  if (c->n_mount_ids < MAX_MOUNT_IDS)
    c->mount_ids[c->n_mount_ids++] = atoi (f[0]);
  moat_criu_unescape (f[3]);
  moat_criu_unescape (f[4]);
  if (strcmp (f[4], "/") == 0)
    return;
  if (is_config_bind (c->spec, f[4]))
    add_ext (&c->rec, f[4], MOAT_CRIU_EXT_BIND, NULL);
  else if (strcmp (f[6], "devtmpfs") == 0 && strcmp (f[3], "/") != 0)
    {
      /* a host node bound: /dev/null on a masked file, a device in a
         user namespace */
      autofree char *node = xasprintf ("/dev%s", f[3]);
      add_ext (&c->rec, f[4], MOAT_CRIU_EXT_NODE, node);
    }
}

static int
read_mounts (struct checkpoint *c, moat_error **err)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/mountinfo", c->st.pid);
  autofree char *text = NULL;
  size_t len;
  if (moat_read_file_at (AT_FDCWD, path, 16 << 20, &text, &len, err) < 0)
    return moat_error_prefix (err, "the container's mounts");
  char *save = NULL;
  for (char *line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    take_mount (c, line);
  return 0;
}

static bool
container_mount (const struct checkpoint *c, int id)
{
  for (size_t i = 0; i < c->n_mount_ids; i++)
    if (c->mount_ids[i] == id)
      return true;
  return false;
}

/* CRIU's key of the init's fd, when it comes from outside the container:
   a pipe, or a file (or a memory device such as /dev/null) on a mount
   the container does not have.  NULL otherwise (CRIU takes it).  */
static char *
stdio_key (const struct checkpoint *c, int fd)
{
  char path[64], link[256];
  snprintf (path, sizeof path, "/proc/%d/fd/%d", c->st.pid, fd);
  ssize_t n = readlink (path, link, sizeof link - 1);
  if (n <= 0)
    return NULL;
  link[n] = '\0';
  if (strncmp (link, "pipe:[", 6) == 0)
    return xstrdup (link);
  struct stat st;
  if (link[0] != '/' || stat (path, &st) < 0
      || !(S_ISREG (st.st_mode) || (S_ISCHR (st.st_mode) && major (st.st_rdev) == 1)))
    return NULL;
  snprintf (path, sizeof path, "/proc/%d/fdinfo/%d", c->st.pid, fd);
  autofree char *info = NULL;
  size_t len;
  if (moat_read_file_at (AT_FDCWD, path, 1 << 16, &info, &len, NULL) < 0)
    return NULL;
  const char *m = strstr (info, "mnt_id:");
  if (m == NULL)
    return NULL;
  int mnt_id = atoi (m + 7);
  if (container_mount (c, mnt_id))
    return NULL;
  return xasprintf ("file[%x:%llx]", (unsigned) mnt_id, (unsigned long long) st.st_ino);
}

/* ---- the steps ---- */

static int
open_running (struct checkpoint *c, moat_error **err)
{
  const char *id = c->o->id;
  if (moat_check_proc (err) < 0
      || moat_container_dir_open (c->ctx->state_root, id, true, &c->dir, err) < 0
      || moat_state_read (&c->dir, &c->st, err) < 0)
    return -1;
  moat_state_refresh (&c->dir, &c->st);
  if (c->st.status != MOAT_STATUS_RUNNING && c->st.status != MOAT_STATUS_PAUSED)
    return moat_error_setk (err, MOAT_ERR_WRONG_STATE, 0, "cannot checkpoint container "
                            "\"%s\" that is not running: it is %s", id,
                            moat_status_name (c->st.status));
  if (c->st.notify_socket)
    return moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, 0, "cannot checkpoint container "
                            "\"%s\": it relays NOTIFY_SOCKET (a socket of the host)", id);
  if (moat_read_file_at (c->dir.dirfd, "config.json", MOAT_MAX_CONFIG_SIZE,
                         &c->config_text, &c->config_len, err) < 0)
    return moat_error_prefix (err, "container \"%s\": its kept config", id);
  c->spec = moat_spec_parse (c->config_text, c->config_len, err);
  if (c->spec == NULL)
    return moat_error_prefix (err, "container \"%s\": its kept config", id);
  return 0;
}

/* Namespaces joined by path: the network and pid ones are given back at
   restore; CRIU cannot leave any other out of the images.  No user
   namespace.  */
/* The init's user namespace is not moat's (the config's, or create's
   --userns auto, which the kept config does not show).  */
static bool
in_other_userns (pid_t pid)
{
  char path[64];
  struct stat theirs, ours;
  snprintf (path, sizeof path, "/proc/%d/ns/user", pid);
  return stat (path, &theirs) < 0 || stat ("/proc/self/ns/user", &ours) < 0
         || theirs.st_ino != ours.st_ino || theirs.st_dev != ours.st_dev;
}

static int
check_joined_namespaces (struct checkpoint *c, moat_error **err)
{
  static const char *const names[MOAT_NS_COUNT] = {
    [MOAT_NS_MNT] = "mount", [MOAT_NS_IPC] = "ipc", [MOAT_NS_UTS] = "uts",
    [MOAT_NS_USER] = "user", [MOAT_NS_CGROUP] = "cgroup", [MOAT_NS_TIME] = "time",
  };
  for (int i = 0; i < MOAT_NS_COUNT; i++)
    if (names[i] && c->spec->ns[i].path)
      return moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, 0, "cannot checkpoint container "
                              "\"%s\": its %s namespace is joined by path (CRIU can leave "
                              "out only the network and pid namespaces)", c->o->id,
                              names[i]);
  /* CRIU would restore the id maps of the images, which restore cannot
     hold against the config's (or an automatic range moat gave out) */
  if (in_other_userns (c->st.pid))
    return moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, 0, "cannot checkpoint container "
                            "\"%s\": it has a user namespace (not supported by this "
                            "version of moat)", c->o->id);
  c->rec.net_external = c->spec->ns[MOAT_NS_NET].path != NULL;
  c->rec.pid_external = c->spec->ns[MOAT_NS_PID].path != NULL;
  return 0;
}

/* "net[INODE]:KEY": the container's namespace, as CRIU names it.  */
static int
add_external_ns (struct checkpoint *c, CriuOpts *opts, const char *ns, const char *key,
                 moat_error **err)
{
  char path[64];
  struct stat st;
  snprintf (path, sizeof path, "/proc/%d/ns/%s", c->st.pid, ns);
  if (stat (path, &st) < 0)
    return moat_error_set (err, errno, "the container's %s namespace", ns);
  autofree char *ext = xasprintf ("%s[%llu]:%s", ns, (unsigned long long) st.st_ino, key);
  moat_criu_add_external (opts, ext);
  return 0;
}

static int
set_dump_opts (struct checkpoint *c, CriuOpts *opts, moat_error **err)
{
  const struct moat_checkpoint_options *o = c->o;
  MOAT_CRIU_SET (opts, pid, c->st.pid);
  moat_criu_set_str (&opts->root, c->st.rootfs);
  MOAT_CRIU_SET (opts, leave_running, o->leave_running || o->pre_dump);
  MOAT_CRIU_SET (opts, track_mem, o->pre_dump || o->parent_path);
  moat_criu_set_str (&opts->parent_img, o->parent_path);
  /* the cgroup freezer stops every process at once (a paused container
     stays frozen) */
  moat_criu_set_str (&opts->freeze_cgroup, c->st.cgroup_path);
  /* the terminal's master is held outside (by the console socket's
     receiver): restore makes a new one */
  MOAT_CRIU_SET (opts, orphan_pts_master, c->spec->terminal);
  if (c->page_server_address)
    moat_criu_set_page_server (opts, c->page_server_address, c->page_server_port);
  for (size_t i = 0; i < c->rec.n_ext; i++)
    moat_criu_add_ext_mount (opts, c->rec.ext[i].key, c->rec.ext[i].key);
  for (size_t i = 0; i < 3; i++)
    if (c->rec.stdio[i] && strncmp (c->rec.stdio[i], "file[", 5) == 0)
      moat_criu_add_external (opts, c->rec.stdio[i]);
  if (c->rec.net_external && add_external_ns (c, opts, "net", MOAT_CRIU_NET_KEY, err) < 0)
    return -1;
  if (c->rec.pid_external && add_external_ns (c, opts, "pid", MOAT_CRIU_PID_KEY, err) < 0)
    return -1;
  return 0;
}

/* "ADDRESS:PORT" (the port after the last colon).  */
static int
parse_page_server (struct checkpoint *c, const char *arg, moat_error **err)
{
  const char *colon = strrchr (arg, ':');
  char *end = NULL;
  long port = colon ? strtol (colon + 1, &end, 10) : 0;
  if (colon == NULL || colon == arg || colon[1] == '\0' || *end != '\0' || port < 1
      || port > 65535)
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0, "--page-server: `%s` is not "
                            "ADDRESS:PORT", arg);
  c->page_server_address = xasprintf ("%.*s", (int) (colon - arg), arg);
  c->page_server_port = (int) port;
  return 0;
}

/* The flags that need one another, or a namespace of the container.  */
static int
check_flags (struct checkpoint *c, moat_error **err)
{
  const struct moat_checkpoint_options *o = c->o;
  if (o->page_server && parse_page_server (c, o->page_server, err) < 0)
    return -1;
  if (o->criu.lazy_pages && (o->page_server == NULL || o->pre_dump))
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0, "--lazy-pages: the memory "
                            "is served by a page server: it needs --page-server "
                            "ADDRESS:PORT, and no --pre-dump");
  if (o->status_fd_set && !o->criu.lazy_pages)
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0, "--status-fd: it says when "
                            "lazy pages are served: only with --lazy-pages");
  if (o->status_fd_set)
    {
      int fl = fcntl (o->status_fd, F_GETFL);
      if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY)
        return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, fl < 0 ? errno : 0,
                                "--status-fd %d: not an fd open for writing",
                                o->status_fd);
    }
  if (o->criu.empty_ns && strcmp (o->criu.empty_ns, "network") == 0)
    {
      const struct moat_namespace *net = &c->spec->ns[MOAT_NS_NET];
      if (!net->present || net->path)
        return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0, "--empty-ns network: "
                                "container \"%s\" has no network namespace of its own "
                                "(%s): there is none to leave empty", o->id,
                                net->present ? "it joins one by path" : "it has none");
      c->rec.net_empty = true;
    }
  return 0;
}

/* The images are a checkpoint of this container: moat's record and the
   config, beside them.  */
static int
write_record (struct checkpoint *c, moat_error **err)
{
  if (moat_criu_record_write (c->images_fd, &c->rec, err) < 0
      || moat_write_file_atomic_at (c->images_fd, MOAT_CRIU_CONFIG, c->config_text,
                                    c->config_len, 0600, err) < 0)
    return moat_error_prefix (err, "--image-path");
  return 0;
}

/* CRIU's notifications: the page server ready (--lazy-pages) said on
   --status-fd, as it is said to runc's callers.  */
static int
on_notify (void *data, const char *script, pid_t pid, int fd, moat_error **err)
{
  struct checkpoint *c = data;
  (void) pid;
  (void) fd;
  if (strcmp (script, "status-ready") == 0 && c->o->status_fd_set)
    {
      char zero = 0;
      if (moat_write_all (c->o->status_fd, &zero, 1) < 0)
        return moat_error_set (err, errno, "--status-fd %d: write", c->o->status_fd);
    }
  return 0;
}

static int
dump (struct checkpoint *c, moat_error **err)
{
  const struct moat_checkpoint_options *o = c->o;
  const char *log = o->pre_dump ? "pre-dump.log" : "dump.log";
  moat_criu_dirs (&c->criu, c->images_fd, c->work_fd, c->work_path, log);
  if (set_dump_opts (c, c->criu.opts, err) < 0)
    return -1;
  struct moat_criu_notify cb = { on_notify, c };
  return moat_criu_run (&c->criu, o->pre_dump ? CRIU_REQ_TYPE__SINGLE_PRE_DUMP
                        : CRIU_REQ_TYPE__DUMP, o->pre_dump ? "pre-dump" : "dump", &cb,
                        NULL, err);
}

static int
do_checkpoint (struct checkpoint *c, moat_error **err)
{
  const struct moat_checkpoint_options *o = c->o;
  if (open_running (c, err) < 0 || check_joined_namespaces (c, err) < 0
      || read_mounts (c, err) < 0
      || check_flags (c, err) < 0
      || moat_criu_open (c->ctx, &o->criu, &c->criu, err) < 0)
    return -1;
  c->rec.id = xstrdup (c->st.id);
  c->rec.terminal = c->spec->terminal;
  for (int fd = 0; fd < 3; fd++)
    c->rec.stdio[fd] = stdio_key (c, fd);
  c->image_path = o->criu.image_path ? o->criu.image_path : "checkpoint";
  c->work_path = o->criu.work_path ? o->criu.work_path : c->image_path;
  if (moat_criu_open_dir ("--image-path", c->image_path, true, &c->images_fd, err) < 0
      || moat_criu_open_dir ("--work-path", c->work_path, true, &c->work_fd, err) < 0)
    return -1;
  if (o->parent_path && (o->parent_path[0] == '\0'
                         || faccessat (c->images_fd, o->parent_path, F_OK, 0) < 0))
    return moat_error_setk (err, MOAT_ERR_NOT_FOUND, errno, "--parent-path: `%s` (relative "
                            "to the image path `%s`)", o->parent_path, c->image_path);
  /* the record before the dump: a lazy dump returns only once the
     memory is served, to a restore that reads the record meanwhile; a
     failed dump takes it away */
  if (!o->pre_dump && write_record (c, err) < 0)
    return -1;
  if (dump (c, err) < 0)
    {
      if (!o->pre_dump)
        {
          unlinkat (c->images_fd, MOAT_CRIU_RECORD, 0);
          unlinkat (c->images_fd, MOAT_CRIU_CONFIG, 0);
        }
      return -1;
    }
  if (!o->leave_running)
    moat_state_refresh (&c->dir, &c->st);
  return 0;
}

int
moat_checkpoint (const struct moat_context *ctx, const struct moat_checkpoint_options *o,
                 moat_error **err)
{
  struct checkpoint c;
  memset (&c, 0, sizeof c);
  c.ctx = ctx;
  c.o = o;
  c.dir.dirfd = c.images_fd = c.work_fd = -1;
  int r = do_checkpoint (&c, err);
  if (c.st.id)
    moat_audit_container (ctx, &c.st, "checkpoint", o->pre_dump ? "pre-dump"
                          : o->leave_running ? "leave-running" : NULL, r < 0 ? *err : NULL);
  moat_criu_close (&c.criu);
  free (c.page_server_address);
  if (c.images_fd >= 0)
    close (c.images_fd);
  if (c.work_fd >= 0)
    close (c.work_fd);
  moat_criu_record_clear (&c.rec);
  moat_spec_free (c.spec);
  free (c.config_text);
  moat_state_clear (&c.st);
  if (c.dir.dirfd >= 0)
    moat_container_dir_close (&c.dir);
  return r;
}

#else

int
moat_checkpoint (const struct moat_context *ctx, const struct moat_checkpoint_options *o,
                 moat_error **err)
{
  /* a missing container is said first, as for every command on one */
  struct moat_state st = { 0 };
  if (moat_state (ctx, o->id, &st, err) < 0)
    return -1;
  moat_state_clear (&st);
  return moat_feature_require (MOAT_FEATURE_CRIU, "checkpoint", err);
}

#endif
