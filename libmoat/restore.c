/* restore: a new container from a bundle, its processes restored by
   CRIU from a checkpoint's images.  The plan, the state directory and
   the cgroup are made as create makes them (launch.c) and undone the
   same way.  CRIU runs from a helper process that moat forks: the
   helper enters a mount namespace of its own (the bind of the root
   filesystem CRIU needs as its root goes away with it, whatever happens
   to moat) and the container's cgroup (the restored processes are born
   there), and reports the restored init's pid.  moat is the subreaper
   meanwhile: the init, the helper's child, becomes moat's once the
   helper has exited.  */
#include <config.h>
#include "moat.h"
#include "feature-table.h"
#ifdef HAVE_CRIU
#include "audit.h"
#include "cgroup/cgroup.h"
#include "criu.h"
#include "hooks.h"
#include "internal.h"
#include "launch.h"
#include "linux/linux.h"
#include "linux/syscalls.h"
#include "log.h"
#include "plan/plan.h"
#include "restore-check.h"
#include "utils.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The root CRIU restores into: the rootfs bound there, in the helper's
   mount namespace only.  */
#define CRIU_ROOT "criu-root"

struct restore
{
  const struct moat_restore_options *o;
  struct launch l;
  struct moat_criu_record rec;
  int images_fd, work_fd;
  const char *image_path, *work_path;
  struct moat_criu criu;
  char *lsm_profile, *lsm_mount_context;  /* what CRIU applies */
  bool checked;                  /* the restored tree held against the config */
};

/* ---- checks, before anything is made ---- */

static const char *
bind_source (const struct moat_plan *p, const char *dest)
{
  for (size_t i = 0; i < p->spec->n_mounts; i++)
    if (p->mounts[i].bind && moat_criu_same_path (p->spec->mounts[i].destination, dest))
      return p->mounts[i].source;
  return NULL;
}

/* dest is a masked path of the config: the one host node bound in.  */
static bool
is_masked_path (const struct moat_spec *s, const char *dest)
{
  for (size_t i = 0; s->masked_paths && s->masked_paths[i]; i++)
    if (moat_criu_same_path (s->masked_paths[i], dest))
      return true;
  return false;
}

/* The images fit this bundle's config: the same binds to give back, the
   same terminal, the same namespaces given by path.  An image of another
   kind of container is refused here rather than half-restored.  */
static int
check_image_fits (struct restore *r, moat_error **err)
{
  const struct moat_plan *p = r->l.plan;
  const char *why = NULL;
  for (size_t i = 0; i < r->rec.n_ext && !why; i++)
    if (r->rec.ext[i].kind == MOAT_CRIU_EXT_BIND && !bind_source (p, r->rec.ext[i].key))
      return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0, "--image-path: the "
                              "checkpoint of container \"%s\" has a bind mount at `%s` "
                              "that this bundle's config does not have (an image of "
                              "another container?)", r->rec.id, r->rec.ext[i].key);
  for (size_t i = 0; i < r->rec.n_ext; i++)
    {
      /* the record comes with the images: a host node is bound only where
         the config masks a file, and only /dev/null, named by moat, not
         by the record */
      const struct moat_criu_ext *x = &r->rec.ext[i];
      if (x->kind == MOAT_CRIU_EXT_NODE
          && (strcmp (x->node, "/dev/null") != 0 || !is_masked_path (p->spec, x->key)))
        return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0, "--image-path: the "
                                "checkpoint binds the host's `%s` on `%s`, which is not a "
                                "masked path of this bundle's config (only /dev/null is "
                                "bound there)", x->node, x->key);
    }
  /* CRIU's tasks, before they are the container's, would be seen from a
     pid namespace joined by path (with their host root, cwd and fds) */
  if (p->ns_fds[MOAT_NS_PID] >= 0)
    return moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, 0, "linux.namespaces: restore "
                            "into a pid namespace joined by path is not supported (its "
                            "processes would see CRIU's tasks before they are the "
                            "container's)");
  if (p->in_userns)
    return moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, 0, "linux.namespaces: a container "
                            "with a user namespace cannot be restored (not supported by "
                            "this version of moat)");
  bool empty_ns = r->o->criu.empty_ns != NULL;
  if (r->rec.net_empty && !empty_ns)
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0, "--image-path: the "
                            "checkpoint of container \"%s\" holds no network namespace "
                            "(it was made with --empty-ns network): restore it with "
                            "--empty-ns network", r->rec.id);
  if (empty_ns && (!p->spec->ns[MOAT_NS_NET].present || p->spec->ns[MOAT_NS_NET].path))
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0, "--empty-ns network: this "
                            "bundle's config has no network namespace of its own to make "
                            "empty");
  if (r->rec.terminal != p->spec->terminal)
    why = "process.terminal differs";
  else if (r->rec.net_external != (p->ns_fds[MOAT_NS_NET] >= 0))
    why = "the network namespace is joined by path in one and not the other";
  else if (r->rec.pid_external != (p->ns_fds[MOAT_NS_PID] >= 0))
    why = "the pid namespace is joined by path in one and not the other";
  if (why)
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0, "--image-path: the "
                            "checkpoint of container \"%s\" does not fit this bundle's "
                            "config: %s (an image of another container?)", r->rec.id, why);
  return 0;
}

/* "apparmor:NAME" or "selinux:LABEL", as CRIU takes a label.  */
static bool
lsm_label_form (const char *v)
{
  const char *colon = strchr (v, ':');
  return colon && colon[1] != '\0'
         && (strncmp (v, "apparmor:", 9) == 0 || strncmp (v, "selinux:", 8) == 0);
}

/* The label the restored processes get, and the context of their
   mounts: the config's, as create applies them, never the images' word
   alone; a flag may repeat the config's, or give one where it has none.  */
static int
plan_lsm (struct restore *r, moat_error **err)
{
  const struct moat_spec *s = r->l.plan->spec;
  const char *flag = r->o->lsm_profile, *ctx_flag = r->o->lsm_mount_context;
  char *cfg = NULL;
  if (s->apparmor_profile && s->apparmor_profile[0])
    cfg = xasprintf ("apparmor:%s", s->apparmor_profile);
  if (s->selinux_label && s->selinux_label[0])
    {
      if (cfg)
        {
          free (cfg);
          return moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, 0, "restore: "
                                  "process.apparmorProfile and process.selinuxLabel are "
                                  "both set: CRIU gives the restored processes one label");
        }
      cfg = xasprintf ("selinux:%s", s->selinux_label);
    }
  r->lsm_profile = cfg;
  if (flag && !lsm_label_form (flag))
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0, "--lsm-profile: `%s` is not "
                            "apparmor:NAME or selinux:LABEL", flag);
  if (flag && cfg && strcmp (flag, cfg) != 0)
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0, "--lsm-profile: `%s` is not "
                            "the label of the config (`%s`), which the restored processes "
                            "get", flag, cfg);
  if (flag && !cfg)
    r->lsm_profile = xstrdup (flag);
  const char *mount_label = s->mount_label && s->mount_label[0] ? s->mount_label : NULL;
  if (ctx_flag && (ctx_flag[0] == '\0' || (mount_label && strcmp (ctx_flag, mount_label) != 0)))
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0, "--lsm-mount-context: `%s` is "
                            "not the config's linux.mountLabel (`%s`)", ctx_flag,
                            mount_label ? mount_label : "");
  const char *ctx = mount_label ? mount_label : ctx_flag;
  r->lsm_mount_context = ctx ? xstrdup (ctx) : NULL;
  return 0;
}

/* A stopped container of the same id (checkpointed without
   --leave-running) gives way, as it would to delete.  */
static int
take_over_stopped (const struct moat_context *ctx, const char *id, moat_error **err)
{
  struct moat_state st = { 0 };
  moat_error *ignored = NULL;
  if (moat_state (ctx, id, &st, &ignored) < 0)
    {
      moat_error_free (&ignored);
      return 0;  /* none: create's own check says the rest */
    }
  bool stopped = st.status == MOAT_STATUS_STOPPED;
  moat_state_clear (&st);
  if (!stopped)
    return moat_error_setk (err, MOAT_ERR_WRONG_STATE, 0, "container \"%s\" exists and is "
                            "not stopped", id);
  return moat_delete (ctx, id, false, err);
}

/* dest is strictly below a tmpfs of the config: CRIU brings the whole
   tmpfs back, what is under it with it.  */
static bool
under_tmpfs (const struct moat_spec *s, const char *dest)
{
  for (size_t i = 0; i < s->n_mounts; i++)
    {
      const struct moat_mount *m = &s->mounts[i];
      size_t n = strlen (m->destination);
      while (n > 1 && m->destination[n - 1] == '/')
        n--;
      if (m->type && strcmp (m->type, "tmpfs") == 0 && n > 1
          && strncmp (dest, m->destination, n) == 0 && dest[n] == '/')
        return true;
    }
  return false;
}

/* The mount points the images expect in the root filesystem, made in it
   as create makes them (a root made afresh, as an engine's from an
   image, has none of those create added): CRIU mounts on them.  */
static int
make_mount_points (const struct moat_plan *p, moat_error **err)
{
  autoclose int rootfd = open (p->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return moat_error_set (err, errno, "restore: open the root filesystem `%s`", p->rootfs);
  for (size_t i = 0; i < p->spec->n_mounts; i++)
    {
      const char *dest = p->spec->mounts[i].destination;
      struct stat st;
      if (under_tmpfs (p->spec, dest))
        continue;
      bool file = p->mounts[i].bind && stat (p->mounts[i].source, &st) == 0
                  && !S_ISDIR (st.st_mode);
      int fd = moat_make_in_root (rootfd, dest, file, err);
      if (fd < 0)
        return moat_error_prefix (err, "restore: mounts[%zu] `%s`", i, dest);
      close (fd);
    }
  return 0;
}

/* ---- the helper ---- */

/* prestart and createRuntime hooks once CRIU has made the namespaces,
   as for create; the terminal's new master to the console socket.  */
static int
on_notify (void *data, const char *action, pid_t pid, int fd, moat_error **err)
{
  struct restore *r = data;
  struct launch *l = &r->l;
  if (strcmp (action, "post-restore") == 0 && pid > 0)
    l->state.pid = pid;
  else if (strcmp (action, "setup-namespaces") == 0)
    {
      const struct moat_hooks *h = &l->plan->spec->hooks;
      l->state.pid = pid;
      l->state.status = MOAT_STATUS_CREATING;
      autofree char *json = moat_state_to_json (&l->state, false);
      if (moat_hooks_run ("prestart", h->prestart, h->n_prestart, json, err) < 0
          || moat_hooks_run ("createRuntime", h->create_runtime, h->n_create_runtime, json,
                             err) < 0)
        return -1;
    }
  else if (strcmp (action, "pre-resume") == 0)
    {
      /* the tree is restored and stopped: nothing of it has run yet */
      if (l->state.pid <= 0)
        return moat_error_set (err, EPROTO, "restore: CRIU named no restored process");
      if (moat_restore_check (l->plan, r->lsm_profile, l->state.pid, err) < 0)
        return -1;
      r->checked = true;
    }
  else if (strcmp (action, "orphan-pts-master") == 0)
    {
      if (fd < 0)
        return moat_error_set (err, EPROTO, "process.terminal: CRIU sent no terminal");
      return moat_send_console (l->opts->console_socket, fd, "console", err);
    }
  return 0;
}

/* A namespace of the plan to CRIU under key: a copy of its fd that the
   criu binary inherits (the plan's are close-on-exec).  In the helper,
   which ends with CRIU.  */
static int
give_ns (CriuOpts *opts, int ns_fd, const char *key, moat_error **err)
{
  int fd = fcntl (ns_fd, F_DUPFD, 3);
  if (fd < 0)
    return moat_error_set (err, errno, "restore: the namespace of %s", key);
  moat_criu_add_inherit_fd (opts, fd, key);
  return 0;
}

static int
add_restore_externals (struct restore *r, CriuOpts *opts, moat_error **err)
{
  const struct moat_plan *p = r->l.plan;
  for (size_t i = 0; i < r->rec.n_ext; i++)
    {
      const struct moat_criu_ext *x = &r->rec.ext[i];
      const char *src = x->kind == MOAT_CRIU_EXT_BIND ? bind_source (p, x->key) : "/dev/null";
      moat_criu_add_ext_mount (opts, x->key, src);
    }
  if (r->rec.net_external && give_ns (opts, p->ns_fds[MOAT_NS_NET], MOAT_CRIU_NET_KEY, err) < 0)
    return -1;
  /* the init's stdio from outside: moat's own stdio in its place (the
     first fd of a key wins: CRIU dups it) */
  for (int fd = 0; fd < 3; fd++)
    {
      bool seen = false;
      for (int k = 0; k < fd; k++)
        seen |= r->rec.stdio[k] && r->rec.stdio[fd]
                && strcmp (r->rec.stdio[k], r->rec.stdio[fd]) == 0;
      if (r->rec.stdio[fd] && !seen)
        moat_criu_add_inherit_fd (opts, fd, r->rec.stdio[fd]);
    }
  return 0;
}

/* In the helper: its own mount namespace, the root bound, the cgroup
   entered, then CRIU.  Returns the restored init's pid.  */
static pid_t
helper_restore_run (struct restore *r, moat_error **err)
{
  struct launch *l = &r->l;
  autofree char *root = xasprintf ("%s/%s", l->dir.path, CRIU_ROOT);
  if (unshare (CLONE_NEWNS) < 0)
    return moat_error_set (err, errno, "restore: a mount namespace for CRIU");
  if (mount (NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
    return moat_error_set (err, errno, "restore: make / a slave mount");
  if (mount (l->plan->rootfs, root, NULL, MS_BIND | MS_REC, NULL) < 0)
    return moat_error_set (err, errno, "restore: bind the root filesystem on `%s`", root);
  /* the directories again, from this namespace: CRIU mounts under its
     work directory, which must be a mount of the namespace it runs in */
  CriuOpts *opts = r->criu.opts;
  int images_fd = -1, work_fd = -1;
  if (moat_criu_open_dir ("--image-path", r->image_path, false, &images_fd, err) < 0
      || moat_criu_open_dir ("--work-path", r->work_path, false, &work_fd, err) < 0)
    return -1;
  moat_criu_dirs (&r->criu, images_fd, work_fd, r->work_path, "restore.log");
  /* the restored processes are born in the container's cgroup, with the
     config's limits already there: CRIU places no process and makes no
     cgroup (the images' cgroup paths and permissions are not taken) */
  if (l->cgroup_made && l->cgroup.driver->attach (&l->cgroup, getpid (), err) < 0)
    return moat_error_prefix (err, "restore: enter the container's cgroup");
  MOAT_CRIU_SET (opts, manage_cgroups_mode, CRIU_CG_MODE__IGNORE);
  /* nor, then, the cgroup namespace: the helper's own, rooted at the
     container's cgroup as create's is, is the one CRIU and the restored
     processes are born in */
  const struct moat_namespace *cgns = &l->plan->spec->ns[MOAT_NS_CGROUP];
  if (cgns->present && !cgns->path && unshare (CLONE_NEWCGROUP) < 0)
    return moat_error_set (err, errno, "restore: a cgroup namespace");
  /* CRIU before 3.19 does not restore no_new_privs: inherited from here */
  if (l->plan->spec->no_new_privileges && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return moat_error_set (err, errno, "restore: no_new_privs");
  moat_criu_set_str (&opts->root, root);
  /* the restored tree is the helper's child (moat's, once the helper has
     gone), not criu's */
  MOAT_CRIU_SET (opts, rst_sibling, true);
  MOAT_CRIU_SET (opts, orphan_pts_master, r->rec.terminal);
  moat_criu_set_str (&opts->lsm_profile, r->lsm_profile);
  moat_criu_set_str (&opts->lsm_mount_context, r->lsm_mount_context);
  if (add_restore_externals (r, opts, err) < 0)
    return -1;
  struct moat_criu_notify cb = { on_notify, r };
  pid_t pid = 0;
  if (moat_criu_run (&r->criu, CRIU_REQ_TYPE__RESTORE, "restore", &cb, &pid, err) < 0)
    return -1;
  if (!r->checked)
    return moat_error_set (err, EPROTO, "restore: CRIU resumed the restored processes "
                           "without stopping them for moat's check first");
  return pid;
}

/* The helper's report: "P<pid>" or "E<errno> <message>".  */
static void __attribute__ ((noreturn))
helper_main (struct restore *r, int report)
{
  moat_error *err = NULL;
  char buf[4096];
  pid_t pid = helper_restore_run (r, &err);
  if (pid > 0)
    snprintf (buf, sizeof buf, "P%d", pid);
  else
    snprintf (buf, sizeof buf, "E%d %s", err ? err->errnum : 0,
              err ? err->msg : "restore failed");
  moat_write_all (report, buf, strlen (buf));
  _exit (pid > 0 ? 0 : 1);
}

static pid_t
run_helper (struct restore *r, moat_error **err)
{
  int report[2];
  if (pipe2 (report, O_CLOEXEC) < 0)
    return moat_error_set (err, errno, "restore: pipe");
  fflush (NULL);
  pid_t helper = fork ();
  if (helper < 0)
    {
      close (report[0]);
      close (report[1]);
      return moat_error_set (err, errno, "restore: fork");
    }
  if (helper == 0)
    {
      close (report[0]);
      helper_main (r, report[1]);
    }
  close (report[1]);
  char buf[4096];
  size_t n = 0;
  ssize_t k;
  while (n < sizeof buf - 1 && ((k = read (report[0], buf + n, sizeof buf - 1 - n)) > 0
                                || (k < 0 && errno == EINTR)))
    n += k > 0 ? (size_t) k : 0;
  buf[n] = '\0';
  close (report[0]);
  while (waitpid (helper, NULL, 0) < 0 && errno == EINTR)
    ;
  if (buf[0] == 'P' && atoi (buf + 1) > 0)
    return atoi (buf + 1);
  if (buf[0] == 'E')
    {
      char *msg = strchr (buf, ' ');
      return moat_error_set (err, 0, "%s", msg ? msg + 1 : "restore failed");
    }
  return moat_error_set (err, 0, "restore: CRIU's helper ended without a word");
}

/* ---- the parent ---- */

static int
open_images (struct restore *r, moat_error **err)
{
  const struct moat_criu_options *c = &r->o->criu;
  r->image_path = c->image_path ? c->image_path : "checkpoint";
  r->work_path = c->work_path ? c->work_path : r->image_path;
  if (moat_criu_open_dir ("--image-path", r->image_path, false, &r->images_fd, err) < 0
      || moat_criu_record_read (r->images_fd, r->image_path, &r->rec, err) < 0)
    return -1;
  return 0;
}

/* The restored init: moat's child now, recorded as running.  */
static int
take_init (struct restore *r, pid_t pid, moat_error **err)
{
  struct launch *l = &r->l;
  l->pid = pid;
  l->pidfd = sys_pidfd_open (pid, 0);
  if (l->pidfd < 0 || !moat_is_own_child (pid))
    return moat_error_set (err, l->pidfd < 0 ? errno : ESRCH, "restore: the restored "
                           "init %d is not moat's child", pid);
  l->state.pid = pid;
  l->state.start_time = moat_process_start_time (pid, false);
  l->state.status = MOAT_STATUS_RUNNING;
  if (moat_state_write (&l->dir, &l->state, err) < 0)
    return -1;
  if (l->opts->pid_file && moat_write_pid_file (l->opts->pid_file, pid, err) < 0)
    return -1;
  l->pid_file_written = l->opts->pid_file != NULL;
  return 0;
}

/* The systemd driver makes the scope with the process attach moves in,
   and applies the limits after that: here attach happens in the helper,
   so the limits and the scope's ownership would not reach this process.
   Refused, before anything is made, until restore asks for the scope
   itself.  */
static int
check_cgroup_driver (const struct launch *l, moat_error **err)
{
  const struct moat_cgroup_driver *d;
  if (moat_cgroup_driver_for (l->ctx->cgroup_manager, &d, err) < 0)
    return -1;
  if (d && d->made_by_attach)
    return moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, 0,
                            "restore: the %s cgroup driver is not supported by restore "
                            "yet (use --cgroup-manager cgroupfs)", d->name);
  return 0;
}

/* CRIU places no restored process in a cgroup (the helper's is theirs):
   a mode that would have it do so is refused, not dropped.  */
static int
check_cgroup_mode (const struct restore *r, moat_error **err)
{
  const char *mode = r->o->criu.manage_cgroups_mode;
  if (mode && strcmp (mode, "ignore") != 0)
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0, "restore: "
                            "--manage-cgroups-mode %s: the restored processes are born in "
                            "the cgroup moat made, with the config's limits; CRIU places "
                            "none (only ignore)", mode);
  return 0;
}

static int
restore_container (struct restore *r, moat_error **err)
{
  struct launch *l = &r->l;
  if (check_cgroup_mode (r, err) < 0 || check_cgroup_driver (l, err) < 0
      || open_images (r, err) < 0
      || moat_launch_plan (l, false, err) < 0
      || check_image_fits (r, err) < 0 || plan_lsm (r, err) < 0
      || moat_criu_open (l->ctx, &r->o->criu, &r->criu, err) < 0
      || moat_criu_open_dir ("--work-path", r->work_path, true, &r->work_fd, err) < 0
      || moat_launch_policy (l, err) < 0
      || take_over_stopped (l->ctx, l->opts->id, err) < 0
      || moat_launch_take (l, err) < 0 || moat_launch_keep_config (l, err) < 0)
    return -1;
  if (make_mount_points (l->plan, err) < 0)
    return -1;
  if (mkdirat (l->dir.dirfd, CRIU_ROOT, 0700) < 0)
    return moat_error_set (err, errno, "restore: `%s/%s`", l->dir.path, CRIU_ROOT);
  if (prctl (PR_SET_CHILD_SUBREAPER, 1) < 0)
    return moat_error_set (err, errno, "restore: become a subreaper");
  pid_t pid = run_helper (r, err);
  unlinkat (l->dir.dirfd, CRIU_ROOT, AT_REMOVEDIR);
  return pid < 0 ? -1 : take_init (r, pid, err);
}

/* Undo: the restored processes (the cgroup's), then what create undoes.  */
static void
restore_abort (struct restore *r)
{
  struct launch *l = &r->l;
  if (l->cgroup_made)
    {
      moat_error *ignored = NULL;
      l->cgroup.driver->kill (&l->cgroup, SIGKILL, &ignored);
      moat_error_free (&ignored);
    }
  moat_launch_abort (l);
}

static void
restore_free (struct restore *r)
{
  moat_criu_close (&r->criu);
  free (r->lsm_profile);
  free (r->lsm_mount_context);
  if (r->images_fd >= 0)
    close (r->images_fd);
  if (r->work_fd >= 0)
    close (r->work_fd);
  moat_criu_record_clear (&r->rec);
  moat_launch_free (&r->l);
}

/* Without --detach: as run, moat waits for the init, forwarding signals,
   and deletes the container once it has exited.  */
static int
wait_restored (const struct moat_context *ctx, struct restore *r, int *status)
{
  struct launch *l = &r->l;
  sigset_t old;
  int sigfd = moat_block_forwarded_signals (&old);
  moat_container_dir_close (&l->dir);
  l->have_dir = false;
  *status = moat_wait_forwarding (l->pid, l->pidfd, sigfd, -1, NULL);
  l->pid = 0;
  if (sigfd >= 0)
    close (sigfd);
  sigprocmask (SIG_SETMASK, &old, NULL);
  moat_error *derr = NULL;
  if (moat_delete (ctx, l->opts->id, true, &derr) < 0)
    moat_warn ("%s", derr->msg);
  moat_error_free (&derr);
  return 0;
}

int
moat_restore (const struct moat_context *ctx, const struct moat_restore_options *o,
              int *status, moat_error **err)
{
  struct restore r;
  memset (&r, 0, sizeof r);
  r.o = o;
  r.images_fd = r.work_fd = -1;
  moat_launch_init (&r.l, ctx, &o->create);
  *status = 0;
  int ret = restore_container (&r, err);
  prctl (PR_SET_CHILD_SUBREAPER, 0);
  if (ret < 0)
    {
      restore_abort (&r);
      restore_free (&r);
      return -1;
    }
  moat_audit_container (ctx, &r.l.state, "restore", NULL, NULL);
  const struct moat_hooks *h = &r.l.plan->spec->hooks;
  if (h->n_poststart)
    {
      autofree char *json = moat_state_to_json (&r.l.state, false);
      moat_hooks_run_all ("poststart", h->poststart, h->n_poststart, json);
    }
  if (!o->detach)
    wait_restored (ctx, &r, status);
  r.l.pid = 0;  /* it runs on without us */
  restore_free (&r);
  return 0;
}

#else

int
moat_restore (const struct moat_context *ctx, const struct moat_restore_options *o,
              int *status, moat_error **err)
{
  (void) ctx;
  (void) o;
  *status = 0;
  return moat_feature_require (MOAT_FEATURE_CRIU, "restore", err);
}

#endif
