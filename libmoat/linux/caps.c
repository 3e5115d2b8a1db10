/* Applying the process's user, groups and capabilities (checked and
   turned into sets by the plan, plan/capsets.c).  */
#include <config.h>
#include "linux.h"
#include "../plan/plan.h"
#include "../utils.h"
#include <errno.h>
#include <grp.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <unistd.h>

static int
switch_user (const struct moat_spec *s, moat_error **err)
{
  gid_t *groups = xmalloc0 ((s->n_additional_gids + 1) * sizeof (gid_t));
  for (size_t i = 0; i < s->n_additional_gids; i++)
    groups[i] = s->additional_gids[i];
  int r = setgroups (s->n_additional_gids, groups);
  int e = errno;
  free (groups);
  /* With setgroups denied in the user namespace, an empty list is all we
     could have set anyway.  */
  if (r < 0 && !(e == EPERM && s->n_additional_gids == 0))
    return moat_error_set (err, e, "process.user.additionalGids: setgroups");
  if (setresgid (s->gid, s->gid, s->gid) < 0)
    return moat_error_set (err, errno == EINVAL ? 0 : errno,
                           "process.user.gid: cannot switch to gid %u%s", s->gid,
                           errno == EINVAL ? ": gid is not mapped in the container's "
                           "user namespace" : "");
  if (setresuid (s->uid, s->uid, s->uid) < 0)
    return moat_error_set (err, errno == EINVAL ? 0 : errno,
                           "process.user.uid: cannot switch to uid %u%s", s->uid,
                           errno == EINVAL ? ": uid is not mapped in the container's "
                           "user namespace" : "");
  return 0;
}

/* capset(2) itself: libcap would read the sets first (capget), one more
   call a seccomp profile would have to allow.  */
static int
set_capabilities (const struct moat_capsets *c)
{
  struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct d[2] = {
    { (uint32_t) c->effective, (uint32_t) c->permitted, (uint32_t) c->inheritable },
    { (uint32_t) (c->effective >> 32), (uint32_t) (c->permitted >> 32),
      (uint32_t) (c->inheritable >> 32) },
  };
  return syscall (SYS_capset, &h, d);
}

int
moat_caps_and_user_apply (const struct moat_spec *s, const struct moat_capsets *c,
                          int last_cap, moat_error **err)
{
  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return moat_error_set (err, errno, "prctl(PR_SET_KEEPCAPS)");
  for (int cap = 0; cap <= last_cap; cap++)
    if ((cap >= 64 || !(c->bounding & (1ULL << cap)))
        && prctl (PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
      return moat_error_set (err, errno, "process.capabilities.bounding: drop capability "
                             "%d", cap);

  if (switch_user (s, err) < 0)
    return -1;

  if (set_capabilities (c) < 0)
    return moat_error_set (err, errno, "process.capabilities: set effective %#llx, permitted "
                           "%#llx, inheritable %#llx", (unsigned long long) c->effective,
                           (unsigned long long) c->permitted,
                           (unsigned long long) c->inheritable);

  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return moat_error_set (err, errno, "process.capabilities.ambient: reset");
  for (int cap = 0; cap < 64; cap++)
    if (c->ambient & (1ULL << cap)
        && prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
      {
        char *name = cap_to_name (cap);
        moat_error_set (err, errno, "process.capabilities.ambient: raise %s", name);
        cap_free (name);
        return -1;
      }
  if (prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return moat_error_set (err, errno, "prctl(PR_SET_KEEPCAPS)");
  return 0;
}
