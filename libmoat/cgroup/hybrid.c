/* The cgroupfs driver on a hybrid host: the unified hierarchy
   (/sys/fs/cgroup/unified) holds the container's processes as on a v2
   host (freeze, kill, the process list, the device filter), and the same
   cgroup in every v1 hierarchy (/sys/fs/cgroup/memory, ...) holds the
   limits of the controllers that are bound there.  A limit goes where its
   controller is; one that is in neither is refused.

   The init cannot be born in several cgroups: it is born in moat's own
   and moved into all of them (attach) before it is let go, as an exec'd
   process is.  */
#include <config.h>
#include "cgroup.h"
#include "stats.h"
#include "v1.h"
#include "v2-resources.h"
#include "../utils.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

extern const struct moat_cgroup_driver moat_cgroup_v2_driver;
#define V2 moat_cgroup_v2_driver

/* path below the unified mount: the same below every v1 mount */
static const char *
relative (const char *path)
{
  const char *mount = moat_cgroup_v2_mount ();
  size_t n = mount ? strlen (mount) : 0;
  if (mount == NULL || strncmp (path, mount, n) != 0 || path[n] != '/')
    return NULL;
  return path + n + 1;
}

static int
hierarchies (const struct moat_cgroup *cg, struct moat_v1_hierarchies *hs, const char **rel,
             moat_error **err)
{
  *rel = relative (cg->path);
  if (*rel == NULL)
    return moat_error_set (err, 0, "cgroup `%s` is not below the unified hierarchy",
                           cg->path);
  return moat_v1_hierarchies_find (hs, err);
}

bool
moat_cgroup_host_is_hybrid (void)
{
  const char *mount = moat_cgroup_v2_mount ();
  if (mount == NULL || strcmp (mount, "/sys/fs/cgroup/unified") != 0)
    return false;
  struct moat_v1_hierarchies hs;
  if (moat_v1_hierarchies_find (&hs, NULL) < 0)
    return false;
  bool some = false;
  for (size_t i = 0; i < hs.n && !some; i++)
    some = strncmp (hs.h[i].controllers, "name=", 5) != 0;
  moat_v1_hierarchies_clear (&hs);
  return some;
}

bool
moat_cgroup_has_controller (const char *controller)
{
  const char *mount = moat_cgroup_v2_mount ();
  if (mount == NULL)
    return false;
  autofree char *file = xasprintf ("%s/cgroup.controllers", mount);
  autofree char *list = NULL;
  if (moat_read_file_at (AT_FDCWD, file, 4096, &list, NULL, NULL) == 0
      && moat_cgroup_list_has (list, controller))
    return true;
  if (!moat_cgroup_host_is_hybrid ())
    return false;
  struct moat_v1_hierarchies hs;
  if (moat_v1_hierarchies_find (&hs, NULL) < 0)
    return false;
  bool found = moat_v1_hierarchy_of (&hs, controller) != NULL;
  moat_v1_hierarchies_clear (&hs);
  return found;
}

static int hybrid_destroy (struct moat_cgroup *cg, moat_error **err);
static void thaw_container_v1 (const struct moat_cgroup *cg);

static int
hybrid_create (struct moat_cgroup *cg, moat_error **err)
{
  if (V2.create (cg, err) < 0)
    return -1;
  if (cg->path == NULL)
    return 0;  /* no cgroup this user may make */
  /* the init is moved in, into every hierarchy at once */
  if (cg->dirfd >= 0)
    close (cg->dirfd);
  cg->dirfd = -1;
  struct moat_v1_hierarchies hs;
  const char *rel;
  int r = hierarchies (cg, &hs, &rel, err);
  if (r == 0)
    r = moat_v1_make (&hs, rel, err);
  moat_v1_hierarchies_clear (&hs);
  if (r < 0)
    {
      moat_error *ignored = NULL;
      hybrid_destroy (cg, &ignored);
      moat_error_free (&ignored);
    }
  return r;
}

static int
hybrid_clone_fd (const struct moat_cgroup *cg, moat_error **err)
{
  (void) cg;
  (void) err;
  return -1;
}

static int
hybrid_attach (struct moat_cgroup *cg, pid_t pid, moat_error **err)
{
  struct moat_v1_hierarchies hs;
  const char *rel;
  int r = hierarchies (cg, &hs, &rel, err);
  /* the limits first: the process is in its v1 cgroups before the
     unified one shows it as the container's */
  if (r == 0)
    r = moat_v1_attach (&hs, rel, pid, err);
  if (r == 0)
    r = V2.attach (cg, pid, err);
  moat_v1_hierarchies_clear (&hs);
  return r;
}

/* r cut in two shallow copies (sharing r's memory): what the unified
   hierarchy's controllers (v2_controllers, as cgroup.controllers lists
   them) apply, and the rest, for the v1 hierarchies.  network is v1's
   when net_cls or net_prio is mounted (else the v2 part warns).  */
static void
split (const struct moat_resources *r, const char *v2_controllers, bool v1_network,
       struct moat_resources *v2, struct moat_resources *v1)
{
  *v2 = *r;
  memset (v1, 0, sizeof *v1);
#define MOVE(member) do { v1->member = r->member; memset (&v2->member, 0, sizeof v2->member); } while (0)
  if (!moat_cgroup_list_has (v2_controllers, "memory"))
    MOVE (memory);
  if (!moat_cgroup_list_has (v2_controllers, "cpu"))
    {
      MOVE (cpu.shares);
      MOVE (cpu.quota);
      MOVE (cpu.burst);
      MOVE (cpu.period);
      MOVE (cpu.realtime_runtime);
      MOVE (cpu.realtime_period);
      MOVE (cpu.idle);
    }
  if (!moat_cgroup_list_has (v2_controllers, "cpuset"))
    {
      MOVE (cpu.cpus);
      MOVE (cpu.mems);
    }
  if (!moat_cgroup_list_has (v2_controllers, "pids"))
    MOVE (pids_limit);
  if (!moat_cgroup_list_has (v2_controllers, "io"))
    MOVE (blkio);
  if (!moat_cgroup_list_has (v2_controllers, "hugetlb"))
    {
      MOVE (hugepages);
      MOVE (n_hugepages);
    }
  if (!moat_cgroup_list_has (v2_controllers, "rdma"))
    {
      MOVE (rdma);
      MOVE (n_rdma);
    }
  if (v1_network)
    MOVE (network);
#undef MOVE
}

/* r's limits, each in the hierarchy of its controller.  s: at create,
   the spec, whose device filter goes on too; NULL: an update, which
   checks memory.checkBeforeUpdate first.  */
static int
apply_limits (struct moat_cgroup *cg, const struct moat_spec *s,
              const struct moat_resources *r, moat_error **err)
{
  struct moat_v1_hierarchies hs;
  const char *rel;
  if (hierarchies (cg, &hs, &rel, err) < 0)
    return -1;
  autofree char *controllers_file = xasprintf ("%s/cgroup.controllers",
                                               moat_cgroup_v2_mount ());
  autofree char *controllers = NULL;
  int ret = moat_read_file_at (AT_FDCWD, controllers_file, 4096, &controllers, NULL, err);
  if (ret == 0)
    {
      struct moat_resources v2_part, v1_part;
      bool v1_network = moat_v1_hierarchy_of (&hs, "net_cls")
        || moat_v1_hierarchy_of (&hs, "net_prio");
      split (r, controllers, v1_network, &v2_part, &v1_part);
      const struct moat_v1_hierarchy *memory = moat_v1_hierarchy_of (&hs, "memory");
      autofree char *usage = memory ? xasprintf ("%s/%s/memory.usage_in_bytes", memory->mount,
                                                 rel) : NULL;
      if (usage && s == NULL)
        ret = moat_cgroup_check_memory_usage (usage, &v1_part, err);
      if (ret == 0)
        ret = moat_v1_apply (&hs, rel, &v1_part, err);
      if (ret == 0 && s != NULL)
        {
          struct moat_spec v2_spec = *s;
          v2_spec.resources = v2_part;
          ret = V2.apply (cg, &v2_spec, err);
        }
      else if (ret == 0)
        ret = V2.update (cg, &v2_part, err);
    }
  moat_v1_hierarchies_clear (&hs);
  return ret;
}

static int
hybrid_apply (struct moat_cgroup *cg, const struct moat_spec *s, moat_error **err)
{
  return apply_limits (cg, s, &s->resources, err);
}

static int
hybrid_update (struct moat_cgroup *cg, const struct moat_resources *r, moat_error **err)
{
  return apply_limits (cg, NULL, r, err);
}

static int
hybrid_destroy (struct moat_cgroup *cg, moat_error **err)
{
  if (cg->path == NULL)
    return 0;
  /* remove below the unified cgroup as far as create made it, and as far
     in each v1 hierarchy (computed before V2.destroy, which may free
     nothing but reads cg) */
  const char *rel = relative (cg->path);
  const char *stop = cg->created_from_v1 ? cg->created_from_v1
    : cg->created_from ? relative (cg->created_from) : NULL;
  autofree char *rel_copy = rel ? xstrdup (rel) : NULL;
  autofree char *stop_copy = stop ? xstrdup (stop) : NULL;
  thaw_container_v1 (cg);
  int r = V2.destroy (cg, err);
  if (rel_copy == NULL || stop_copy == NULL)
    return r;
  struct moat_v1_hierarchies hs;
  moat_error *v1_err = NULL;
  if (moat_v1_hierarchies_find (&hs, &v1_err) == 0)
    moat_v1_remove (&hs, rel_copy, stop_copy, &v1_err);
  moat_v1_hierarchies_clear (&hs);
  if (v1_err && r == 0 && err && *err == NULL)
    {
      *err = v1_err;
      return -1;
    }
  moat_error_free (&v1_err);
  return r;
}

static int
hybrid_stats (const struct moat_cgroup *cg, struct moat_cgroup_stats *s, moat_error **err)
{
  struct moat_v1_hierarchies hs;
  const char *rel;
  if (V2.stats (cg, s, err) < 0 || hierarchies (cg, &hs, &rel, err) < 0)
    return -1;
  moat_v1_read_stats (&hs, rel, s);
  moat_v1_hierarchies_clear (&hs);
  return 0;
}

static bool
hybrid_in_use (const struct moat_cgroup *cg)
{
  return V2.in_use (cg);
}

/* The v1 freezer: moat freezes through the unified hierarchy, but a
   container that may write its cgroup mount can freeze itself (or a
   child cgroup) here, and a frozen process neither dies nor exits.  Thaw
   dirfd's cgroup and every one below it (bounded depth: an fd per
   level).  */
static void
thaw_v1 (int dirfd, int depth)
{
  /* a failure is seen later: what stays frozen does not die, and kill
     or delete reports it */
  autoclose int state = openat (dirfd, "freezer.state", O_WRONLY | O_CLOEXEC);
  if (state >= 0)
    (void) !write (state, "THAWED", 6);
  int fd = depth < 512 ? openat (dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
  DIR *d = fd >= 0 ? fdopendir (fd) : NULL;
  if (d == NULL)
    {
      if (fd >= 0)
        close (fd);
      return;
    }
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    if (de->d_type == DT_DIR && strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
      {
        autoclose int sub = openat (dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW
                                    | O_CLOEXEC);
        if (sub >= 0)
          thaw_v1 (sub, depth + 1);
      }
  closedir (d);
}

/* The container's cgroup in the v1 freezer hierarchy, opened; -1.  */
static int
v1_freezer (const struct moat_cgroup *cg)
{
  struct moat_v1_hierarchies hs;
  const char *rel;
  if (hierarchies (cg, &hs, &rel, NULL) < 0)
    return -1;
  const struct moat_v1_hierarchy *h = moat_v1_hierarchy_of (&hs, "freezer");
  autofree char *dir = h ? xasprintf ("%s/%s", h->mount, rel) : NULL;
  moat_v1_hierarchies_clear (&hs);
  return dir ? open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
}

static void
thaw_container_v1 (const struct moat_cgroup *cg)
{
  autoclose int fd = v1_freezer (cg);
  if (fd >= 0)
    thaw_v1 (fd, 0);
}

static int
hybrid_freeze (const struct moat_cgroup *cg, bool freeze, moat_error **err)
{
  if (!freeze)
    thaw_container_v1 (cg);
  return V2.freeze (cg, freeze, err);
}

/* Frozen through either hierarchy: state says paused, and resume thaws
   both.  */
static bool
hybrid_frozen (const struct moat_cgroup *cg)
{
  if (V2.frozen (cg))
    return true;
  autoclose int fd = v1_freezer (cg);
  autofree char *state = NULL;
  return fd >= 0 && moat_read_file_at (fd, "freezer.state", 64, &state, NULL, NULL) == 0
    && strncmp (state, "THAWED", 6) != 0;
}

static int
hybrid_kill (const struct moat_cgroup *cg, int sig, moat_error **err)
{
  if (sig == SIGKILL)
    thaw_container_v1 (cg);
  return V2.kill (cg, sig, err);
}

static int
hybrid_pids (const struct moat_cgroup *cg, int **pids, size_t *n, moat_error **err)
{
  return V2.pids (cg, pids, n, err);
}

/* Where the cgroup goes (the unified hierarchy's rule), and how far up
   create will make directories in the v1 hierarchies: a parent the
   unified hierarchy has may be missing in one of them, and what create
   makes there must go at delete too.  */
static int
hybrid_locate (const char *cgroups_path, const char *id, struct moat_cgroup *cg,
               moat_error **err)
{
  if (V2.locate (cgroups_path, id, cg, err) < 0)
    return -1;
  if (cg->path == NULL)
    return 0;
  struct moat_v1_hierarchies hs;
  const char *rel;
  if (hierarchies (cg, &hs, &rel, NULL) < 0)
    return 0;  /* create finds it again and says why */
  const char *v2_stop = cg->created_from ? relative (cg->created_from) : NULL;
  size_t depth = v2_stop ? strlen (v2_stop) : strlen (rel) + 1;
  for (size_t i = 0; i < hs.n; i++)
    {
      autofree char *missing = moat_cgroup_first_missing (hs.h[i].mount, rel);
      const char *m = missing ? missing + strlen (hs.h[i].mount) + 1 : NULL;
      if (m && strlen (m) < depth)
        {
          depth = strlen (m);
          free (cg->created_from_v1);
          cg->created_from_v1 = xstrdup (m);
        }
    }
  moat_v1_hierarchies_clear (&hs);
  return 0;
}

const struct moat_cgroup_driver moat_cgroup_hybrid_driver = {
  .name = "cgroupfs-hybrid",
  .locate = hybrid_locate,
  .in_use = hybrid_in_use,
  .create = hybrid_create,
  .clone_fd = hybrid_clone_fd,
  .attach = hybrid_attach,
  .apply = hybrid_apply,
  .update = hybrid_update,
  .stats = hybrid_stats,
  .freeze = hybrid_freeze,
  .frozen = hybrid_frozen,
  .kill = hybrid_kill,
  .pids = hybrid_pids,
  .destroy = hybrid_destroy,
};
