/* Automatic id mappings, for a config that asks for a new user namespace
   and maps no ids (what `crun spec --rootless` writes, or any config
   with create --userns auto).  Rootless: the caller's own id as root,
   plus the caller's subordinate range above it when it has one and
   newuidmap/newgidmap are there to map it.  As the host's root: 65536
   ids of an automatic range (userns-ranges.c), never the host's root.  */
#include <config.h>
#include "plan.h"
#include "../linux/linux.h"
#include "../log.h"
#include "../userns-ranges.h"
#include "../utils.h"
#include <errno.h>
#include <pwd.h>
#include <sched.h>
#include <stdlib.h>

/* The mapping of one kind: own id -> 0, and the subordinate range -> 1..  */
static size_t
automatic_map (bool gid, uid_t user, uint32_t own, const char *name,
               struct moat_idmap **out)
{
  struct moat_idmap *m = xmalloc0 (2 * sizeof *m);
  size_t n = 0;
  m[n++] = (struct moat_idmap) { 0, own, 1 };
  uint32_t start, count;
  const char *file = gid ? "/etc/subgid" : "/etc/subuid";
  const char *helper = gid ? "newgidmap" : "newuidmap";
  /* both files name the user (by name or uid), not its group */
  if (moat_subid_range (file, user, name, &start, &count) == 0)
    {
      autofree char *prog = moat_find_program (helper);
      if (prog)
        m[n++] = (struct moat_idmap) { 1, start, count };
      else
        moat_debug ("automatic %s mapping: %s has a range for `%s` but %s is not "
                    "installed: only the caller's own id", gid ? "gid" : "uid",
                    file, name ? name : "?", helper);
    }
  *out = m;
  return n;
}

int
moat_plan_automatic_mappings (struct moat_spec *s, const struct moat_host *h,
                              bool *auto_range, moat_error **err)
{
  (void) err;
  /* the host's root is never mapped by default, --rootless true or not:
     a container whose root is the host's root by choice says so */
  if (!h->rootless || (h->euid == 0 && h->initial_userns))
    {
      s->uid_mappings = xmalloc0 (sizeof *s->uid_mappings);
      s->gid_mappings = xmalloc0 (sizeof *s->gid_mappings);
      s->uid_mappings[0] = s->gid_mappings[0] = (struct moat_idmap) { 0, 0, 65536 };
      s->n_uid_mappings = s->n_gid_mappings = 1;
      *auto_range = true;
      return 0;
    }
  struct passwd *pw = getpwuid (h->euid);
  autofree char *name = pw ? xstrdup (pw->pw_name) : NULL;
  s->n_uid_mappings = automatic_map (false, h->euid, h->euid, name, &s->uid_mappings);
  s->n_gid_mappings = automatic_map (true, h->euid, getegid (), name, &s->gid_mappings);
  moat_debug ("automatic id mappings: uid %u -> 0%s, gid %u -> 0%s", (unsigned) h->euid,
              s->n_uid_mappings > 1 ? " and a subordinate range" : "",
              (unsigned) getegid (),
              s->n_gid_mappings > 1 ? " and a subordinate range" : "");
  return 0;
}

/* An automatic id range (plan/userns.c): its host ids into the maps.
   Taken once the state directory exists, given back when it goes
   (moat_container_dir_remove), abort included.  */
int
moat_plan_take_id_range (struct moat_plan *p, const char *state_dir, bool has_cgroup,
                         moat_error **err)
{
  if (!p->auto_range)
    return 0;
  /* the block is given back at delete: every process holding its ids
     must be gone then, which a pid namespace of its own or a cgroup
     (killed whole) makes sure of */
  if (!(p->clone_flags & CLONE_NEWPID) && !has_cgroup)
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                            "linux.namespaces: an automatic id range needs a pid namespace "
                            "of the container's own or a cgroup (delete must end every "
                            "process with its ids before they are given to another)");
  autofree char *dir = realpath (state_dir, NULL);
  if (dir == NULL)
    return moat_error_set (err, errno, "state directory `%s`", state_dir);
  uint32_t uid, gid;
  if (moat_userns_range_take (dir, &uid, &gid, err) < 0)
    return moat_error_prefix (err, "linux.namespaces: the user namespace's ids");
  p->spec->uid_mappings[0].host_id = uid;
  p->spec->gid_mappings[0].host_id = gid;
  moat_debug ("automatic id range: uids %u-%u, gids %u-%u", uid, uid + 65535, gid,
              gid + 65535);
  /* the image's files, owned by the host's root, are the container's
     root's through an idmapped root; a filesystem that cannot idmap
     leaves them as they are (they show as nobody inside) */
  moat_error *why = NULL;
  p->rootfs_tree_fd = moat_rootfs_tree_prepare (p->spec, p->rootfs, &why, err);
  if (p->rootfs_tree_fd < 0)
    return -1;
  if (why)
    moat_warn ("the root filesystem is not idmapped: %s; its files show as owned by "
               "nobody in the container", why->msg);
  moat_error_free (&why);
  return 0;
}
