#include <config.h>
#include "linux.h"
#include "../log.h"
#include "../utils.h"
#include <errno.h>
#include <grp.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

struct capset
{
  uint64_t bits;    /* capabilities 0..63 */
};

static const char *const set_names[] = {
  "bounding", "effective", "inheritable", "permitted", "ambient",
};

static char **const *
sets_of (const struct moat_spec *s, char **out[5])
{
  out[0] = s->caps.bounding;
  out[1] = s->caps.effective;
  out[2] = s->caps.inheritable;
  out[3] = s->caps.permitted;
  out[4] = s->caps.ambient;
  return out;
}

int
moat_caps_validate (const struct moat_spec *s, moat_error **err)
{
  char **sets[5];
  sets_of (s, sets);
  for (int k = 0; k < 5; k++)
    for (size_t i = 0; sets[k] && sets[k][i]; i++)
      {
        cap_value_t c;
        const char *name = sets[k][i];
        if (strncasecmp (name, "CAP_", 4) != 0 || cap_from_name (name, &c) < 0)
          return moat_error_set (err, 0, "process.capabilities.%s: unknown capability "
                                 "\"%s\"", set_names[k], name);
      }
  return 0;
}

/* Turn a list of names into bits, leaving out (with a warning) what this
   kernel or this runtime's own bounding set cannot grant.  */
static struct capset
to_capset (char **names, const char *set, int last_cap)
{
  struct capset r = { 0 };
  for (size_t i = 0; names && names[i]; i++)
    {
      cap_value_t c;
      if (cap_from_name (names[i], &c) < 0)
        continue;
      if (c > last_cap || c >= 64)
        {
          moat_warn ("process.capabilities.%s: %s is not known to this kernel; "
                     "ignored", set, names[i]);
          continue;
        }
      if (cap_get_bound (c) != 1)
        {
          moat_warn ("process.capabilities.%s: %s is not in moat's own bounding set "
                     "and cannot be granted; ignored", set, names[i]);
          continue;
        }
      r.bits |= 1ULL << c;
    }
  return r;
}

static int
fill_flag (cap_t caps, cap_flag_t flag, struct capset set, int last_cap)
{
  for (int c = 0; c <= last_cap && c < 64; c++)
    if (set.bits & (1ULL << c))
      {
        cap_value_t v = c;
        if (cap_set_flag (caps, flag, 1, &v, CAP_SET) < 0)
          return -1;
      }
  return 0;
}

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

int
moat_caps_and_user_apply (const struct moat_spec *s, moat_error **err)
{
  int last_cap = cap_max_bits () - 1;
  struct capset bounding = to_capset (s->caps.bounding, "bounding", last_cap);
  struct capset effective = to_capset (s->caps.effective, "effective", last_cap);
  struct capset inheritable = to_capset (s->caps.inheritable, "inheritable", last_cap);
  struct capset permitted = to_capset (s->caps.permitted, "permitted", last_cap);
  struct capset ambient = to_capset (s->caps.ambient, "ambient", last_cap);

  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return moat_error_set (err, errno, "prctl(PR_SET_KEEPCAPS)");
  for (int c = 0; c <= last_cap; c++)
    if (c >= 64 || !(bounding.bits & (1ULL << c)))
      if (cap_get_bound (c) == 1 && cap_drop_bound (c) < 0)
        return moat_error_set (err, errno, "drop capability %d from the bounding set", c);

  if (switch_user (s, err) < 0)
    return -1;

  cap_t caps = cap_init ();
  if (caps == NULL)
    return moat_error_set (err, errno, "cap_init");
  int r = fill_flag (caps, CAP_EFFECTIVE, effective, last_cap)
    | fill_flag (caps, CAP_PERMITTED, permitted, last_cap)
    | fill_flag (caps, CAP_INHERITABLE, inheritable, last_cap);
  if (r == 0 && cap_set_proc (caps) < 0)
    r = -1;
  int e = errno;
  cap_free (caps);
  if (r < 0)
    return moat_error_set (err, e, "set capabilities (effective must be a subset of "
                           "permitted)");

  if (cap_reset_ambient () < 0 && errno != EINVAL)
    return moat_error_set (err, errno, "reset ambient capabilities");
  for (int c = 0; c <= last_cap && c < 64; c++)
    if (ambient.bits & (1ULL << c))
      if (cap_set_ambient (c, CAP_SET) < 0)
        return moat_error_set (err, errno, "process.capabilities.ambient: raise %s "
                               "(it must also be permitted and inheritable)",
                               cap_to_name (c));
  if (prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return moat_error_set (err, errno, "prctl(PR_SET_KEEPCAPS)");
  return 0;
}
