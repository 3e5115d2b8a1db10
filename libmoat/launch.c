/* The parent side of create and run: validate the bundle, take the state
   directory, make the cgroup, clone3 the init into its namespaces and
   cgroup, map its ids, wait until it is ready.  Any failure undoes every
   step before it.  */
#include <config.h>
#include "moat.h"
#include "hooks.h"
#include "init.h"
#include "internal.h"
#include "linux/linux.h"
#include "linux/syscalls.h"
#include "log.h"
#include "utils.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

struct launch
{
  const struct moat_context *ctx;
  const struct moat_create_options *opts;
  struct moat_spec *spec;
  char *bundle;
  char *rootfs;
  struct moat_container_dir dir;
  bool have_dir;
  struct moat_cgroup cgroup;
  struct moat_state state;
  int ns_fds[MOAT_NS_COUNT];
  int fifo_fd;
  int sock[2];
  int pidfd;
  pid_t pid;
  int *idmap_fds;        /* prepared idmapped mounts, per mount (or NULL) */
  bool foreground;       /* run without --detach: moat stays and proxies */
  int pty_master;        /* process.terminal: the master, until handed on */
  char pty_name[64];
};

static void
launch_init (struct launch *l, const struct moat_context *ctx,
             const struct moat_create_options *o)
{
  memset (l, 0, sizeof *l);
  l->ctx = ctx;
  l->opts = o;
  l->dir.dirfd = -1;
  l->cgroup.dirfd = -1;
  l->fifo_fd = l->pidfd = l->pty_master = -1;
  l->sock[0] = l->sock[1] = -1;
  for (int i = 0; i < MOAT_NS_COUNT; i++)
    l->ns_fds[i] = -1;
}

static void
close_fd (int *fd)
{
  if (*fd >= 0)
    close (*fd);
  *fd = -1;
}

/* Undo everything: the process, the cgroup, the state directory.  */
static void
launch_abort (struct launch *l)
{
  if (l->pid > 0)
    {
      if (l->pidfd >= 0)
        sys_pidfd_send_signal (l->pidfd, SIGKILL);
      else
        kill (l->pid, SIGKILL);
      while (waitpid (l->pid, NULL, 0) < 0 && errno == EINTR)
        ;
      l->pid = 0;
    }
  if (l->cgroup.path)
    {
      moat_error *ignored = NULL;
      moat_cgroup_destroy (l->cgroup.path, l->cgroup.created_from, &ignored);
      moat_error_free (&ignored);
    }
  if (l->have_dir)
    {
      moat_error *ignored = NULL;
      moat_container_dir_remove (&l->dir, &ignored);
      moat_error_free (&ignored);
      l->have_dir = false;
    }
}

static void
launch_free (struct launch *l)
{
  if (l->have_dir)
    moat_container_dir_close (&l->dir);
  moat_cgroup_release (&l->cgroup);
  moat_state_clear (&l->state);
  for (int i = 0; i < MOAT_NS_COUNT; i++)
    close_fd (&l->ns_fds[i]);
  close_fd (&l->fifo_fd);
  close_fd (&l->sock[0]);
  close_fd (&l->sock[1]);
  close_fd (&l->pidfd);
  close_fd (&l->pty_master);
  for (size_t i = 0; l->idmap_fds && l->spec && i < l->spec->n_mounts; i++)
    close_fd (&l->idmap_fds[i]);
  free (l->idmap_fds);
  moat_spec_free (l->spec);
  free (l->bundle);
  free (l->rootfs);
}

static int
resolve_paths (struct launch *l, moat_error **err)
{
  const char *b = l->opts->bundle ? l->opts->bundle : ".";
  l->bundle = realpath (b, NULL);
  if (l->bundle == NULL)
    return moat_error_set (err, errno, "bundle `%s`", b);
  l->spec = moat_spec_load (l->bundle, err);
  if (l->spec == NULL)
    return -1;
  autofree char *root = l->spec->root_path[0] == '/' ? xstrdup (l->spec->root_path)
    : xasprintf ("%s/%s", l->bundle, l->spec->root_path);
  l->rootfs = realpath (root, NULL);
  if (l->rootfs == NULL)
    return moat_error_set (err, errno, "root.path `%s`", root);
  struct stat st;
  if (stat (l->rootfs, &st) < 0 || !S_ISDIR (st.st_mode))
    return moat_error_set (err, ENOTDIR, "root.path `%s`", root);
  return 0;
}

/* A sysctl in a namespace joined by path is only allowed when that
   namespace is not the runtime's own: that one is the host's.  */
static int
check_sysctl_namespaces (const struct moat_spec *s, moat_error **err)
{
  static const struct { enum moat_ns_type t; const char *proc; } kinds[] = {
    { MOAT_NS_NET, "net" }, { MOAT_NS_IPC, "ipc" }, { MOAT_NS_UTS, "uts" },
  };
  if (s->n_sysctl == 0)
    return 0;
  for (size_t i = 0; i < ARRAY_SIZE (kinds); i++)
    {
      const char *path = s->ns[kinds[i].t].path;
      if (path == NULL)
        continue;
      char self[64];
      struct stat a, b;
      snprintf (self, sizeof self, "/proc/self/ns/%s", kinds[i].proc);
      if (stat (path, &a) == 0 && stat (self, &b) == 0 && a.st_ino == b.st_ino
          && a.st_dev == b.st_dev)
        for (size_t k = 0; k < s->n_sysctl; k++)
          {
            const char *key = s->sysctl[k].key;
            bool net = strncmp (key, "net.", 4) == 0;
            bool uts = strcmp (key, "kernel.hostname") == 0
              || strcmp (key, "kernel.domainname") == 0;
            bool ipc = !net && !uts;
            if ((kinds[i].t == MOAT_NS_NET && net) || (kinds[i].t == MOAT_NS_UTS && uts)
                || (kinds[i].t == MOAT_NS_IPC && ipc))
              return moat_error_set (err, 0, "linux.sysctl: `%s`: the %s namespace `%s` "
                                     "is the host's", key, kinds[i].proc, path);
          }
    }
  return 0;
}

/* What this build cannot do yet is refused, never silently skipped.  */
static int
check_supported (const struct moat_spec *s, const struct moat_create_options *o,
                 bool foreground, moat_error **err)
{
  if (!s->has_process)
    return moat_error_set (err, 0, "process: missing (the container needs a process "
                           "to run)");
  if (s->terminal && o->console_socket == NULL && !foreground)
    return moat_error_set (err, 0, "process.terminal: a detached container with a "
                           "terminal needs --console-socket");
  if (!s->terminal && o->console_socket)
    return moat_error_set (err, 0, "--console-socket: process.terminal is false, there "
                           "is no terminal to send");
  if (s->apparmor_profile && s->apparmor_profile[0])
    return moat_error_set (err, 0, "process.apparmorProfile: AppArmor is not supported "
                           "by this version of moat");
  if (s->selinux_label && s->selinux_label[0])
    return moat_error_set (err, 0, "process.selinuxLabel: SELinux labels are not "
                           "supported by this version of moat");
  if (check_sysctl_namespaces (s, err) < 0)
    return -1;
  if (s->has_intel_rdt)
    return moat_error_set (err, 0, "linux.intelRdt: Intel RDT is not supported by this "
                           "version of moat");
  if (s->unapplied_resources)
    moat_warn ("linux.resources: %s: limits are not applied by this version of moat",
               s->unapplied_resources);
  return moat_caps_validate (s, err);
}

static char *
owner_name (void)
{
  struct passwd *pw = getpwuid (geteuid ());
  return xstrdup (pw ? pw->pw_name : "");
}

static int
take_state_dir (struct launch *l, moat_error **err)
{
  struct moat_state *st = &l->state;
  char now[64];
  moat_rfc3339_now (now, sizeof now, true);
  st->id = xstrdup (l->opts->id);
  st->bundle = xstrdup (l->bundle);
  st->rootfs = xstrdup (l->rootfs);
  st->created = xstrdup (now);
  st->owner = owner_name ();
  st->status = MOAT_STATUS_CREATING;
  st->n_annotations = l->spec->n_annotations;
  st->annotations = xmalloc0 (st->n_annotations * sizeof *st->annotations);
  for (size_t i = 0; i < st->n_annotations; i++)
    {
      st->annotations[i].key = xstrdup (l->spec->annotations[i].key);
      st->annotations[i].value = xstrdup (l->spec->annotations[i].value);
    }
  if (moat_container_dir_create (l->ctx->state_root, l->opts->id, st, &l->dir, err) < 0)
    return -1;
  l->have_dir = true;
  return 0;
}

/* Before the init is born in the cgroup, so it never runs unfiltered.  */
static int
attach_device_filter (struct launch *l, moat_error **err)
{
  const struct moat_spec *s = l->spec;
  if (moat_cgroup_devices_attach (l->cgroup.dirfd, s->device_rules, s->n_device_rules,
                                  err) == 0)
    return 0;
  if (geteuid () != 0 && (*err)->errnum == EPERM)
    {
      /* without privileges there is no mknod either */
      moat_debug ("%s; continuing without a device filter", (*err)->msg);
      moat_error_free (err);
      return 0;
    }
  return -1;
}

static int
make_cgroup (struct launch *l, moat_error **err)
{
  switch (l->ctx->cgroup_manager)
    {
    case MOAT_CGROUP_DISABLED:
      if (l->spec->n_device_rules)
        moat_warn ("linux.resources.devices: not enforced without a cgroup");
      return 0;
    case MOAT_CGROUP_SYSTEMD:
      return moat_error_set (err, 0, "the systemd cgroup driver is not supported by "
                             "this version of moat (use --cgroup-manager cgroupfs)");
    case MOAT_CGROUP_CGROUPFS:
      break;
    }
  if (moat_cgroup_create (l->spec->cgroups_path, l->opts->id, &l->cgroup, err) < 0)
    return -1;
  if (l->cgroup.path)
    {
      if (attach_device_filter (l, err) < 0)
        return -1;
      l->state.cgroup_path = xstrdup (l->cgroup.path);
      if (l->cgroup.created_from)
        l->state.cgroup_created_from = xstrdup (l->cgroup.created_from);
      /* recorded before the process exists, so delete can clean up
         after a create that died half-way */
      return moat_state_write (&l->dir, &l->state, err);
    }
  return 0;
}

static int
make_exec_fifo (struct launch *l, moat_error **err)
{
  if (mkfifoat (l->dir.dirfd, "exec.fifo", 0600) < 0)
    return moat_error_set (err, errno, "create exec fifo");
  /* O_RDWR never blocks; the init keeps this fd and blocks reading it
     until `start` writes a byte.  */
  l->fifo_fd = openat (l->dir.dirfd, "exec.fifo", O_RDWR | O_CLOEXEC);
  if (l->fifo_fd < 0)
    return moat_error_set (err, errno, "open exec fifo");
  return 0;
}

/* poststart and poststop run from later commands: keep the config they
   come from in the state directory (the bundle may change or go).  */
static int
keep_config (struct launch *l, moat_error **err)
{
  autofree char *path = xasprintf ("%s/config.json", l->bundle);
  autofree char *text = NULL;
  size_t len;
  if (moat_read_file_at (AT_FDCWD, path, 16u << 20, &text, &len, err) < 0)
    return -1;
  return moat_write_file_atomic_at (l->dir.dirfd, "config.json", text, len, 0600, err);
}

/* Namespaces given by path are joined by the parent (which keeps its
   host privileges) before clone3, except the user namespace, which the
   child joins first thing.  pid and time only apply to children.  */
static int
join_parent_namespaces (struct launch *l, moat_error **err)
{
  if (moat_ns_open_paths (l->spec, l->ns_fds, err) < 0)
    return -1;
  for (int t = 0; t < MOAT_NS_COUNT; t++)
    if (l->ns_fds[t] >= 0 && t != MOAT_NS_USER)
      if (moat_ns_join (l->ns_fds[t], t, l->spec->ns[t].path, err) < 0)
        return -1;
  if (l->spec->has_time_offsets)
    {
      if (unshare (CLONE_NEWTIME) < 0)
        return moat_error_set (err, errno, "create time namespace");
      if (moat_ns_write_time_offsets (l->spec, err) < 0)
        return -1;
    }
  return 0;
}

static unsigned long long
clone_flags (const struct moat_spec *s)
{
  unsigned long long flags = 0;
  for (int t = 0; t < MOAT_NS_COUNT; t++)
    if (s->ns[t].present && s->ns[t].path == NULL)
      flags |= moat_ns_clone_flag (t);
  if (s->has_time_offsets)
    flags &= ~(unsigned long long) CLONE_NEWTIME;  /* made by unshare above */
  return flags;
}

/* With a user namespace joined by path, clone3 makes no namespace: the
   child joins the user namespace first and makes them all there, so that
   it owns them (see moat_init_main).  */

static int
spawn_init (struct launch *l, bool with_fifo, moat_error **err)
{
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, l->sock) < 0)
    return moat_error_set (err, errno, "socketpair");
  const struct moat_spec *s = l->spec;
  struct moat_init_args a = {
    .spec = s, .id = l->opts->id, .rootfs = l->rootfs, .bundle = l->bundle,
    .sync_fd = l->sock[1], .parent_sync_fd = l->sock[0],
    .fifo_fd = with_fifo ? l->fifo_fd : -1,
    .userns_fd = l->ns_fds[MOAT_NS_USER],
    .in_userns = s->ns[MOAT_NS_USER].present,
    .no_pivot = l->opts->no_pivot, .no_new_keyring = l->opts->no_new_keyring,
    .preserve_fds = l->opts->preserve_fds, .idmap_fds = l->idmap_fds,
  };
  size_t k = 0;
  for (size_t i = 0; i < ARRAY_SIZE (a.close_fds); i++)
    a.close_fds[i] = -1;
  a.close_fds[k++] = l->dir.dirfd;
  a.close_fds[k++] = l->cgroup.dirfd;
  for (int t = 0; t < MOAT_NS_COUNT; t++)
    if (t != MOAT_NS_USER)
      a.close_fds[k++] = l->ns_fds[t];
  unsigned long long flags = clone_flags (s);
  if (a.userns_fd >= 0)
    {
      a.unshare_flags = flags;
      flags = 0;
    }
  struct clone_args ca = {
    .flags = flags | CLONE_PIDFD,
    .pidfd = (uintptr_t) &l->pidfd,
    .exit_signal = SIGCHLD,
  };
  if (l->cgroup.dirfd >= 0)
    {
      ca.flags |= CLONE_INTO_CGROUP;
      ca.cgroup = l->cgroup.dirfd;
    }
  fflush (NULL);
  pid_t pid = sys_clone3 (&ca);
  if (pid < 0)
    return moat_error_set (err, errno, "clone3 the container's init");
  if (pid == 0)
    moat_init_main (&a);
  l->pid = pid;
  close_fd (&l->sock[1]);
  return 0;
}

/* Receive READY, or the child's error text, or notice that it died.  */
/* The state as hooks see it.  */
static char *
hook_state (struct launch *l, enum moat_status status)
{
  l->state.pid = l->pid;
  l->state.status = status;
  return moat_state_to_json (&l->state, false);
}

/* SYNC_HOOKS: the container's mounts are ready; run prestart and
   createRuntime hooks here, in the runtime's namespaces, then let the
   container run createContainer hooks with the same state.  */
static int
run_create_hooks (struct launch *l, moat_error **err)
{
  const struct moat_hooks *h = &l->spec->hooks;
  autofree char *json = hook_state (l, MOAT_STATUS_CREATING);
  if (moat_hooks_run ("prestart", h->prestart, h->n_prestart, json, err) < 0
      || moat_hooks_run ("createRuntime", h->create_runtime, h->n_create_runtime,
                         json, err) < 0)
    return -1;
  /* createContainer sees "creating", startContainer "created" */
  autofree char *created = hook_state (l, MOAT_STATUS_CREATED);
  size_t n1 = strlen (json), n2 = strlen (created);
  autofree char *msg = xmalloc0 (n1 + n2 + 3);
  msg[0] = SYNC_HOOKS_DONE;
  memcpy (msg + 1, json, n1 + 1);
  memcpy (msg + 2 + n1, created, n2 + 1);
  if (send (l->sock[0], msg, n1 + n2 + 3, MSG_NOSIGNAL) < 0)
    return moat_error_set (err, errno, "resume the container's init after hooks");
  return 0;
}

static int
wait_ready (struct launch *l, moat_error **err)
{
  char buf[8192];
  ssize_t r;
  int fd;
  for (;;)
    {
      if (moat_recv_fd (l->sock[0], buf, sizeof buf - 1, &r, &fd) < 0)
        r = -1;
      if (r >= 1 && buf[0] == SYNC_TERMINAL && fd >= 0 && l->pty_master < 0)
        {
          buf[r] = '\0';
          l->pty_master = fd;
          snprintf (l->pty_name, sizeof l->pty_name, "%.40s", buf + 1);
          continue;
        }
      if (r >= 2 && buf[0] == SYNC_PID && fd < 0)
        {
          /* the real init, our child too (CLONE_PARENT); the first child
             has done its part and exits */
          buf[r] = '\0';
          unsigned long long pid;
          if (!moat_parse_uint (buf + 1, INT_MAX, &pid))
            return moat_error_set (err, 0, "bad pid from the container's init");
          while (waitpid (l->pid, NULL, 0) < 0 && errno == EINTR)
            ;
          close_fd (&l->pidfd);
          l->pid = pid;
          l->pidfd = sys_pidfd_open (l->pid, 0);
          if (l->pidfd < 0)
            return moat_error_set (err, errno, "pidfd of the container's init");
          continue;
        }
      if (r >= 2 && buf[0] == SYNC_WARNING && fd < 0)
        {
          buf[r] = '\0';
          moat_log_forwarded (buf);
          continue;
        }
      if (r >= 1 && buf[0] == SYNC_HOOKS && fd < 0)
        {
          if (run_create_hooks (l, err) < 0)
            return -1;
          continue;
        }
      if (fd >= 0)
        close (fd);
      break;
    }
  if (r >= 1 && buf[0] == SYNC_READY)
    return 0;
  if (r >= 1 && buf[0] == SYNC_ERROR)
    {
      buf[r] = '\0';
      return moat_error_set (err, 0, "%s", buf + 1);
    }
  int status = 0;
  while (waitpid (l->pid, &status, 0) < 0 && errno == EINTR)
    ;
  l->pid = 0;
  if (WIFSIGNALED (status))
    return moat_error_set (err, 0, "the container's init was killed by signal %d "
                           "during setup", WTERMSIG (status));
  return moat_error_set (err, 0, "the container's init exited with status %d during "
                         "setup", WEXITSTATUS (status));
}

int
moat_write_pid_file (const char *path, pid_t pid, moat_error **err)
{
  /* Atomic, and nothing but the digits: containerd parses it with no trim.  */
  autofree char *abs = path[0] == '/' ? xstrdup (path) : NULL;
  if (abs == NULL)
    {
      char cwd[PATH_MAX];
      if (getcwd (cwd, sizeof cwd) == NULL)
        return moat_error_set (err, errno, "getcwd");
      abs = xasprintf ("%s/%s", cwd, path);
    }
  char *slash = strrchr (abs, '/');
  *slash = '\0';
  const char *dir = abs[0] ? abs : "/";
  autoclose int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return moat_error_set (err, errno, "pid file directory `%s`", dir);
  char num[16];
  snprintf (num, sizeof num, "%d", pid);
  if (moat_write_file_atomic_at (dfd, slash + 1, num, strlen (num), 0644, err) < 0)
    return moat_error_prefix (err, "pid file `%s`", path);
  return 0;
}

/* Hand the pty master to the engine: one message, a non-empty payload
   (the pty's name) and exactly one fd, before create returns.  */
int
moat_send_console (const char *path, int master, const char *name, moat_error **err)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  if (strlen (path) >= sizeof sa.sun_path)
    return moat_error_set (err, 0, "--console-socket: path `%s` is too long", path);
  strcpy (sa.sun_path, path);
  autoclose int sock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0)
    return moat_error_set (err, errno, "--console-socket: socket");
  if (connect (sock, (struct sockaddr *) &sa, sizeof sa) < 0)
    return moat_error_set (err, errno, "--console-socket: connect to `%s`", path);
  if (moat_send_fd (sock, master, name, err) < 0)
    return moat_error_prefix (err, "--console-socket `%s`", path);
  return 0;
}

static int
send_to_console_socket (struct launch *l, moat_error **err)
{
  if (moat_send_console (l->opts->console_socket, l->pty_master, l->pty_name, err) < 0)
    return -1;
  close_fd (&l->pty_master);
  return 0;
}

static int
apply_oom_score (struct launch *l, moat_error **err)
{
  if (!l->spec->has_oom_score_adj)
    return 0;
  char path[64], val[16];
  snprintf (path, sizeof path, "/proc/%d/oom_score_adj", l->pid);
  snprintf (val, sizeof val, "%d", l->spec->oom_score_adj);
  if (moat_write_file (path, val, err) < 0)
    return moat_error_prefix (err, "process.oomScoreAdj");
  return 0;
}

/* Everything up to a container waiting for start.  */
static int
launch_create (struct launch *l, bool with_fifo, moat_error **err)
{
  if (resolve_paths (l, err) < 0 || check_supported (l->spec, l->opts, l->foreground,
                                                     err) < 0)
    return -1;
  /* nothing has changed yet: the command can start again from a sealed
     copy of the binary if the container could reach ours */
  if (l->ctx->reexec_sealed && !moat_running_sealed ()
      && moat_spec_needs_sealed_exe (l->spec, NULL) && l->ctx->reexec_sealed (err) < 0)
    return -1;
  if (take_state_dir (l, err) < 0 || make_cgroup (l, err) < 0)
    return -1;
  if (with_fifo && make_exec_fifo (l, err) < 0)
    return -1;
  if ((l->spec->hooks.n_poststart || l->spec->hooks.n_poststop)
      && keep_config (l, err) < 0)
    return -1;
  if (moat_idmapped_mounts_prepare (l->spec, l->bundle, &l->idmap_fds, err) < 0)
    return -1;
  if (join_parent_namespaces (l, err) < 0 || spawn_init (l, with_fifo, err) < 0)
    return -1;
  close_fd (&l->fifo_fd);
  const struct moat_spec *s = l->spec;
  if (s->ns[MOAT_NS_USER].present && s->ns[MOAT_NS_USER].path == NULL
      && moat_write_id_maps (l->pid, s, err) < 0)
    return -1;
  char go = SYNC_GO;
  if (send (l->sock[0], &go, 1, MSG_NOSIGNAL) != 1)
    return moat_error_set (err, errno, "signal the container's init");
  if (wait_ready (l, err) < 0 || apply_oom_score (l, err) < 0)
    return -1;
  if (s->terminal && l->pty_master < 0)
    return moat_error_set (err, 0, "process.terminal: the container sent no terminal");
  if (l->opts->console_socket && send_to_console_socket (l, err) < 0)
    return -1;
  l->state.pid = l->pid;
  l->state.start_time = moat_process_start_time (l->pid, false);
  l->state.status = MOAT_STATUS_CREATED;
  if (moat_state_write (&l->dir, &l->state, err) < 0)
    return -1;
  if (l->opts->pid_file && moat_write_pid_file (l->opts->pid_file, l->pid, err) < 0)
    return -1;
  return 0;
}

int
moat_create (const struct moat_context *ctx, const struct moat_create_options *o,
             moat_error **err)
{
  struct launch l;
  launch_init (&l, ctx, o);
  int r = launch_create (&l, true, err);
  if (r < 0)
    launch_abort (&l);
  launch_free (&l);
  return r;
}

/* Copy what is readable on `from` to `to`; false at end of input.  */
static bool
pump (int from, int to)
{
  char buf[8192];
  ssize_t n = read (from, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (n <= 0)
    return false;  /* EOF, or EIO once the last slave is closed */
  return moat_write_all (to, buf, n) == 0;
}

static void
copy_window_size (int from, int to)
{
  struct winsize ws;
  if (ioctl (from, TIOCGWINSZ, &ws) == 0)
    ioctl (to, TIOCSWINSZ, &ws);
}

/* Forward signals to the container until it exits (and, with a terminal,
   copy stdin to the pty and the pty to stdout); return its status.  */
int
moat_wait_forwarding (pid_t pid, int pidfd, int sigfd, int master)
{
  struct termios saved;
  bool restore = false;
  if (master >= 0 && isatty (0) && tcgetattr (0, &saved) == 0)
    {
      struct termios raw = saved;
      cfmakeraw (&raw);
      restore = tcsetattr (0, TCSANOW, &raw) == 0;
      copy_window_size (0, master);
    }
  struct pollfd p[4] = {
    { pidfd, POLLIN, 0 }, { sigfd, POLLIN, 0 },
    { master, POLLIN, 0 }, { master >= 0 ? 0 : -1, POLLIN, 0 },
  };
  for (;;)
    {
      if (poll (p, 4, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      if (p[1].revents & POLLIN)
        {
          struct signalfd_siginfo si;
          if (read (sigfd, &si, sizeof si) == sizeof si)
            {
              if (si.ssi_signo == SIGWINCH && master >= 0)
                copy_window_size (0, master);
              else
                sys_pidfd_send_signal (pidfd, si.ssi_signo);
            }
        }
      if (p[2].revents & (POLLIN | POLLHUP | POLLERR) && !pump (master, 1))
        p[2].fd = -1;
      if (p[3].revents & (POLLIN | POLLHUP | POLLERR) && !pump (0, master))
        p[3].fd = -1;
      if (p[0].revents & (POLLIN | POLLHUP))
        break;
    }
  if (master >= 0)
    {
      /* what the process wrote just before it exited */
      fcntl (master, F_SETFL, O_NONBLOCK);
      while (pump (master, 1))
        {
          struct pollfd q = { master, POLLIN, 0 };
          if (poll (&q, 1, 0) <= 0)
            break;
        }
    }
  if (restore)
    tcsetattr (0, TCSANOW, &saved);
  int status = 0;
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return WEXITSTATUS (status);
}

int
moat_block_forwarded_signals (sigset_t *old)
{
  sigset_t set;
  sigfillset (&set);
  sigdelset (&set, SIGCHLD);
  sigdelset (&set, SIGSEGV);
  sigdelset (&set, SIGBUS);
  sigdelset (&set, SIGILL);
  sigdelset (&set, SIGFPE);
  sigprocmask (SIG_BLOCK, &set, old);
  return signalfd (-1, &set, SFD_CLOEXEC);
}

int
moat_run (const struct moat_context *ctx, const struct moat_create_options *o,
          bool detach, bool keep, int *status, moat_error **err)
{
  struct launch l;
  launch_init (&l, ctx, o);
  l.foreground = !detach;
  *status = 0;
  if (launch_create (&l, false, err) < 0)
    {
      launch_abort (&l);
      launch_free (&l);
      return -1;
    }
  sigset_t old;
  int sigfd = detach ? -1 : moat_block_forwarded_signals (&old);
  if (!detach && sigfd < 0)
    {
      moat_error_set (err, errno, "signalfd");
      launch_abort (&l);
      launch_free (&l);
      return -1;
    }
  char start = SYNC_START;
  if (send (l.sock[0], &start, 1, MSG_NOSIGNAL) != 1)
    {
      moat_error_set (err, errno, "start the container's process");
      launch_abort (&l);
      launch_free (&l);
      return -1;
    }
  if (l.spec->hooks.n_poststart)
    {
      moat_error *herr = NULL;
      autofree char *json = hook_state (&l, MOAT_STATUS_RUNNING);
      if (moat_hooks_run ("poststart", l.spec->hooks.poststart, l.spec->hooks.n_poststart,
                          json, &herr) < 0)
        moat_warn ("%s", herr->msg);  /* a warning, as the spec says */
      moat_error_free (&herr);
    }
  if (detach)
    {
      l.pid = 0;  /* it runs on without us */
      launch_free (&l);
      return 0;
    }
  /* Let kill/state/list work on the container while it runs.  */
  moat_container_dir_close (&l.dir);
  l.have_dir = false;
  *status = moat_wait_forwarding (l.pid, l.pidfd, sigfd, l.pty_master);
  l.pid = 0;
  close (sigfd);
  sigprocmask (SIG_SETMASK, &old, NULL);
  if (!keep)
    {
      moat_error *derr = NULL;
      if (moat_delete (ctx, o->id, true, &derr) < 0)
        moat_warn ("%s", derr->msg);  /* the process's status still counts */
      moat_error_free (&derr);
    }
  launch_free (&l);
  return 0;
}
