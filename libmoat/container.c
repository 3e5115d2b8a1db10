/* start, kill, delete, state and list: operations on an existing
   container's state directory.  */
#include <config.h>
#include "moat.h"
#include "audit.h"
#include "cgroup/cgroup.h"
#include "log.h"
#include "state.h"
#include "spec/spec.h"
#include "hooks.h"
#include "notify.h"
#include "linux/syscalls.h"
#include "log.h"
#include "utils.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

struct opened
{
  struct moat_container_dir dir;
  struct moat_state st;
};

static int
open_container (const struct moat_context *ctx, const char *id, bool exclusive,
                struct opened *o, moat_error **err)
{
  memset (o, 0, sizeof *o);
  o->dir.dirfd = -1;
  if (moat_check_proc (err) < 0
      || moat_container_dir_open (ctx->state_root, id, exclusive, &o->dir, err) < 0)
    return -1;
  if (moat_state_read (&o->dir, &o->st, err) < 0)
    {
      moat_container_dir_close (&o->dir);
      return -1;
    }
  moat_state_refresh (&o->dir, &o->st);
  return 0;
}

/* poststart / poststop: from the config kept in the state directory; a
   failure is a warning and the lifecycle goes on (runtime.md).  */
static void
run_late_hooks (struct opened *o, bool poststart)
{
  if (o->st.no_late_hooks)
    return;
  autofree char *text = NULL;
  size_t len;
  if (moat_read_file_at (o->dir.dirfd, "config.json", MOAT_MAX_CONFIG_SIZE, &text, &len,
                         NULL) < 0)
    return;  /* no config kept: made by an older moat without such hooks */
  moat_error *err = NULL;
  struct moat_spec *s = moat_spec_parse (text, len, &err);
  if (s == NULL)
    {
      moat_warn ("container \"%s\": kept config: %s", o->st.id, err->msg);
      moat_error_free (&err);
      return;
    }
  autofree char *json = moat_state_to_json (&o->st, false);
  if (poststart)
    moat_hooks_run_all ("poststart", s->hooks.poststart, s->hooks.n_poststart, json);
  else
    moat_hooks_run_all ("poststop", s->hooks.poststop, s->hooks.n_poststop, json);
  moat_spec_free (s);
}

static void
close_container (struct opened *o)
{
  moat_container_dir_close (&o->dir);
  moat_state_clear (&o->st);
}

/* A pidfd for the container's init that is known to be the right process
   (not a reused pid): opened first, then the start time is checked.  */
static int
init_pidfd (const struct moat_state *st)
{
  if (st->pid <= 0)
    return -1;
  int fd = sys_pidfd_open (st->pid, 0);
  if (fd < 0)
    return -1;
  if (moat_process_start_time (st->pid, false) != st->start_time)
    {
      close (fd);
      errno = ESRCH;
      return -1;
    }
  return fd;
}

int
moat_start (const struct moat_context *ctx, const char *id, moat_error **err)
{
  struct opened o;
  if (open_container (ctx, id, true, &o, err) < 0)
    return -1;
  int r = 0, notify = -1;
  autofree char *host = NULL;
  if (o.st.status != MOAT_STATUS_CREATED)
    {
      r = moat_error_setk (err, MOAT_ERR_WRONG_STATE, 0,
                           "cannot start container \"%s\": it is %s, not created",
                          id, moat_status_name (o.st.status));
      goto out;
    }
  if (o.st.no_process)
    {
      r = moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                           "cannot start container \"%s\": its config has no process "
                           "(process: missing)", id);
      goto out;
    }
  /* a container made with NOTIFY_SOCKET: its socket is there before its
     process runs; the manager is start's own, else create's */
  if (o.st.notify_socket)
    {
      host = xstrdup (ctx->notify_socket ? ctx->notify_socket : o.st.notify_socket);
      if ((notify = moat_notify_listen (o.dir.dirfd, err)) < 0)
        {
          r = -1;
          goto out;
        }
    }
  /* Non-blocking: if the init is gone there is no reader and open fails
     with ENXIO instead of hanging.  */
  int fd = openat (o.dir.dirfd, "exec.fifo", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    {
      r = moat_error_set (err, errno == ENXIO ? 0 : errno, "start container \"%s\"%s", id,
                          errno == ENXIO ? ": its init process is gone" : "");
      goto out;
    }
  char c = 0;
  ssize_t w = write (fd, &c, 1);
  int e = errno;
  close (fd);
  if (w != 1)
    {
      r = moat_error_set (err, e, "start container \"%s\"", id);
      goto out;
    }
  /* without the fifo the status reads as running */
  if (unlinkat (o.dir.dirfd, "exec.fifo", 0) < 0)
    r = moat_error_set (err, errno, "start container \"%s\": remove exec fifo", id);
  else
    {
      o.st.status = MOAT_STATUS_RUNNING;
      run_late_hooks (&o, true);
    }
out:
  moat_audit_container (ctx, &o.st, "start", NULL, r < 0 ? *err : NULL);
  pid_t pid = o.st.pid;
  int pidfd = r == 0 && notify >= 0 ? init_pidfd (&o.st) : -1;
  /* as runc: start returns once the container says it is ready; the
     container is not locked meanwhile */
  close_container (&o);
  if (pidfd >= 0)
    {
      r = moat_notify_wait (notify, pidfd, host, pid, err);
      close (pidfd);
    }
  if (notify >= 0)
    close (notify);
  return r;
}

int
moat_kill (const struct moat_context *ctx, const char *id, int sig, bool all,
           moat_error **err)
{
  struct opened o;
  /* --all may freeze the cgroup while it signals: exclusively, so that
     nobody reads that moment as a paused container */
  if (open_container (ctx, id, all, &o, err) < 0)
    return -1;
  int r = 0;
  if (o.st.status == MOAT_STATUS_STOPPED)
    {
      /* runc's wording: engines map "container not running" to "process
         already finished"; --all on a stopped container is not an error */
      if (!all)
        r = moat_error_setk (err, MOAT_ERR_WRONG_STATE, 0,
                             "kill container \"%s\": container not running", id);
      goto out;
    }
  if (all && o.st.cgroup_path)
    {
      struct moat_cgroup cg;
      r = moat_cgroup_from_state (&o.st, &cg, err);
      if (r == 0)
        r = cg.driver->kill (&cg, sig, err);
      moat_cgroup_release (&cg);
      goto out;
    }
  int pidfd = init_pidfd (&o.st);
  if (pidfd < 0 || sys_pidfd_send_signal (pidfd, sig) < 0)
    {
      int e = errno;
      if (e == ESRCH)
        r = moat_error_setk (err, MOAT_ERR_WRONG_STATE, 0,
                             "kill container \"%s\": container not running", id);
      else
        r = moat_error_set (err, e, "kill container \"%s\"", id);
    }
  if (pidfd >= 0)
    close (pidfd);
out:
  {
    char what[32];
    snprintf (what, sizeof what, "signal %d%s", sig, all ? ", all" : "");
    moat_audit_container (ctx, &o.st, "kill", what, r < 0 ? *err : NULL);
  }
  close_container (&o);
  return r;
}

/* SIGKILL every process of the container's cgroup, first: through the
   driver, which also thaws what the container may have frozen itself (a
   v1 freezer a writable cgroup mount shows), where SIGKILL alone would
   wait for ever.  What fails here is seen by kill_and_wait.  */
static void
kill_cgroup (const struct moat_state *st)
{
  struct moat_cgroup cg;
  moat_error *ignored = NULL;
  if (st->cgroup_path && moat_cgroup_from_state (st, &cg, &ignored) == 0)
    {
      if (cg.driver)
        cg.driver->kill (&cg, SIGKILL, &ignored);
      moat_cgroup_release (&cg);
    }
  moat_error_free (&ignored);
}

/* SIGKILL the init and wait (bounded) until it has exited.  */
static int
kill_and_wait (const struct moat_state *st, moat_error **err)
{
  int pidfd = init_pidfd (st);
  if (pidfd < 0)
    return 0;  /* already gone */
  if (sys_pidfd_send_signal (pidfd, SIGKILL) < 0 && errno != ESRCH)
    {
      int e = errno;
      close (pidfd);
      return moat_error_set (err, e, "kill container \"%s\"", st->id);
    }
  struct pollfd p = { pidfd, POLLIN, 0 };
  int r;
  do
    r = poll (&p, 1, 10000);
  while (r < 0 && errno == EINTR);
  close (pidfd);
  if (r == 0)
    return moat_error_set (err, 0, "container \"%s\": init did not exit after SIGKILL",
                           st->id);
  return 0;
}

static int
destroy_cgroup (const struct moat_state *st, moat_error **err)
{
  struct moat_cgroup cg;
  int r = moat_cgroup_from_state (st, &cg, err);
  if (r == 0 && cg.driver)
    r = cg.driver->destroy (&cg, err);
  moat_cgroup_release (&cg);
  return r;
}

/* The cgroupsPath of the config kept in the state directory, or NULL
   (none kept, none given, or unreadable too).  Only an absolute one: a
   relative one is below the cgroup of the moat that created, which the
   deleting one may not share (it would name, and kill, another).  */
static char *
kept_cgroups_path (struct moat_container_dir *dir)
{
  autofree char *text = NULL;
  size_t len;
  if (moat_read_file_at (dir->dirfd, "config.json", MOAT_MAX_CONFIG_SIZE, &text, &len,
                         NULL) < 0)
    return NULL;
  moat_error *ignored = NULL;
  struct moat_spec *s = moat_spec_parse (text, len, &ignored);
  moat_error_free (&ignored);
  char *path = s && s->cgroups_path && s->cgroups_path[0] == '/'
    ? xstrdup (s->cgroups_path) : NULL;
  moat_spec_free (s);
  return path;
}

/* SIGKILL the init a state.json that does not parse still names: moat
   writes "pid" and "startTime" as `"pid":N`, and a file cut short or
   damaged later may keep them.  The process is signalled only if its
   start time is the recorded one (kill_and_wait opens it that way).  */
static void
kill_salvaged_init (struct moat_container_dir *dir)
{
  autofree char *text = NULL;
  size_t len;
  if (moat_read_file_at (dir->dirfd, "state.json", MOAT_MAX_CONFIG_SIZE, &text, &len,
                         NULL) < 0)
    return;
  const char *pid = strstr (text, "\"pid\":"), *start = strstr (text, "\"startTime\":");
  unsigned long long n, t;
  if (pid == NULL || start == NULL || sscanf (pid + 6, "%llu", &n) != 1
      || sscanf (start + 12, "%llu", &t) != 1 || n == 0 || n > INT_MAX)
    return;
  struct moat_state st = { .id = dir->id, .pid = (pid_t) n, .start_time = t };
  moat_error *ignored = NULL;
  kill_and_wait (&st, &ignored);
  moat_error_free (&ignored);
}

/* delete --force of a container whose state.json cannot be read (cut
   short, corrupt, gone): remove what can be found without it.  Its
   cgroup is found from the config kept beside the state (its
   cgroupsPath, as create placed it), else moat's default one; its init,
   when the damaged state still names it and it is that process.  */
static int
delete_unreadable (const struct moat_context *ctx, struct moat_container_dir *dir,
                   moat_error *why, moat_error **err)
{
  moat_warn ("%s; removing what can be found", why->msg);
  const struct moat_cgroup_driver *driver;
  moat_error *ignored = NULL;
  if (moat_cgroup_driver_for (ctx->cgroup_manager, &driver, &ignored) == 0 && driver)
    {
      autofree char *cgroups_path = kept_cgroups_path (dir);
      struct moat_cgroup cg = { .dirfd = -1 };
      if (driver->locate (cgroups_path, dir->id, &cg, &ignored) == 0 && cg.path
          && access (cg.path, F_OK) == 0)
        {
          cg.driver = driver;
          /* parents may be shared: never more than the leaf */
          FREE_AND_NULL (cg.created_from);
          cg.created_from = xstrdup (cg.path);
          driver->destroy (&cg, &ignored);
        }
      moat_cgroup_release (&cg);
    }
  moat_error_free (&ignored);
  kill_salvaged_init (dir);
  return moat_container_dir_remove (dir, err);
}

int
moat_delete (const struct moat_context *ctx, const char *id, bool force,
             moat_error **err)
{
  struct opened o;
  memset (&o, 0, sizeof o);
  o.dir.dirfd = -1;
  if (moat_check_proc (err) < 0
      || moat_container_dir_open (ctx->state_root, id, true, &o.dir, err) < 0)
    {
      if (force && moat_error_kind (*err) == MOAT_ERR_NOT_FOUND)
        {
          /* engines delete after a failed create: what a killed one left */
          moat_sweep_temporaries (ctx->state_root);
          moat_error_free (err);
          return 0;
        }
      return -1;
    }
  if (force)
    moat_sweep_temporaries (ctx->state_root);
  moat_error *read_err = NULL;
  if (moat_state_read (&o.dir, &o.st, &read_err) < 0)
    {
      int r = -1;
      if (force)
        r = delete_unreadable (ctx, &o.dir, read_err, err);
      else
        *err = read_err, read_err = NULL;
      moat_error_free (&read_err);
      close_container (&o);
      return r;
    }
  /* a create that died half-way: what it made is recorded, and its init
     (if it got that far) is in the cgroup */
  bool creating = o.st.status == MOAT_STATUS_CREATING;
  moat_state_refresh (&o.dir, &o.st);
  int r = 0;
  if (o.st.status != MOAT_STATUS_STOPPED)
    {
      if (!force)
        {
          r = moat_error_setk (err, MOAT_ERR_WRONG_STATE, 0,
                               "cannot delete container \"%s\" that is not stopped: it "
                               "is %s (use --force)", id, moat_status_name (o.st.status));
          goto out;
        }
      kill_cgroup (&o.st);
      if (kill_and_wait (&o.st, err) < 0)
        {
          r = -1;
          goto out;
        }
    }
  if (destroy_cgroup (&o.st, err) < 0)
    {
      r = -1;
      goto out;
    }
  o.st.status = MOAT_STATUS_STOPPED;
  if (!creating)
    run_late_hooks (&o, false);
  r = moat_container_dir_remove (&o.dir, err);
out:
  moat_audit_container (ctx, &o.st, "delete", force ? "force" : NULL, r < 0 ? *err : NULL);
  close_container (&o);
  return r;
}

int
moat_state (const struct moat_context *ctx, const char *id, struct moat_state *out,
            moat_error **err)
{
  struct opened o;
  if (open_container (ctx, id, false, &o, err) < 0)
    return -1;
  *out = o.st;
  memset (&o.st, 0, sizeof o.st);
  close_container (&o);
  return 0;
}

static int
compare_states (const void *a, const void *b)
{
  return strcmp (((const struct moat_state *) a)->id,
                 ((const struct moat_state *) b)->id);
}

int
moat_list (const struct moat_context *ctx, struct moat_state **out, size_t *n,
           moat_error **err)
{
  *out = NULL;
  *n = 0;
  if (moat_check_proc (err) < 0)
    return -1;
  int rootfd = open (ctx->state_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    {
      if (errno == ENOENT)
        return 0;
      return moat_error_set (err, errno, "open state root `%s`", ctx->state_root);
    }
  if (moat_check_state_root (rootfd, ctx->state_root, err) < 0)
    {
      close (rootfd);
      return -1;
    }
  DIR *d = fdopendir (rootfd);
  if (d == NULL)
    {
      int e = errno;
      close (rootfd);
      return moat_error_set (err, e, "open state root `%s`", ctx->state_root);
    }
  size_t cap = 0;
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    {
      if (de->d_name[0] == '.')
        continue;
      struct moat_state st;
      moat_error *ignored = NULL;
      /* a container deleted meanwhile, or a stray file, is skipped */
      if (moat_state (ctx, de->d_name, &st, &ignored) < 0)
        {
          moat_error_free (&ignored);
          continue;
        }
      if (*n == cap)
        {
          cap = cap ? cap * 2 : 8;
          *out = xrealloc (*out, cap * sizeof **out);
        }
      (*out)[(*n)++] = st;
    }
  closedir (d);
  /* qsort's array must not be NULL, even for no element (C11 7.22.5):
     an empty state root leaves *out NULL */
  if (*n > 1)
    qsort (*out, *n, sizeof **out, compare_states);
  return 0;
}

int
moat_pause (const struct moat_context *ctx, const char *id, bool pause, moat_error **err)
{
  struct opened o;
  if (open_container (ctx, id, true, &o, err) < 0)
    return -1;
  int r = 0;
  enum moat_status want = pause ? MOAT_STATUS_RUNNING : MOAT_STATUS_PAUSED;
  if (o.st.status != want)
    r = moat_error_setk (err, MOAT_ERR_WRONG_STATE, 0,
                         "cannot %s container \"%s\": it is %s", pause ? "pause"
                        : "resume", id, moat_status_name (o.st.status));
  else if (o.st.cgroup_path == NULL)
    r = moat_error_setk (err, MOAT_ERR_WRONG_STATE, 0,
                         "cannot %s container \"%s\": it has no cgroup",
                        pause ? "pause" : "resume", id);
  else
    {
      struct moat_cgroup cg;
      r = moat_cgroup_from_state (&o.st, &cg, err);
      if (r == 0)
        r = cg.driver->freeze (&cg, pause, err);
      moat_cgroup_release (&cg);
    }
  close_container (&o);
  return r;
}
