/* process.capabilities as sets of bits, checked the way the kernel will
   check them when the finish sequence applies them (capset(2),
   PR_CAP_AMBIENT_RAISE), so that an impossible combination is refused at
   create, naming the set and the capability, instead of a bare EPERM in
   the container's init.  */
#include <config.h>
#include "plan.h"
#include "../log.h"
#include "../utils.h"
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>

int
moat_cap_from_name (const char *name)
{
  /* CAP_ and letters, digits or underscores, nothing else: libcap stops
     at the first character that cannot continue a name and takes
     "CAP_KILL,CAP_SYS_ADMIN" for CAP_KILL */
  if (strncasecmp (name, "CAP_", 4) != 0 || name[4] == '\0')
    return -1;
  for (const char *p = name + 4; *p; p++)
    if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')
          || *p == '_'))
      return -1;
  cap_value_t c;
  if (cap_from_name (name, &c) < 0)
    return -1;
  return c;
}

static const char *
cap_name (int c, char buf[32])
{
  char *n = cap_to_name (c);
  snprintf (buf, 32, "%s", n ? n : "?");
  cap_free (n);
  for (char *p = buf; *p; p++)
    if (*p >= 'a' && *p <= 'z')
      *p -= 'a' - 'A';
  return buf;
}

/* Names to bits.  Unknown names are errors; what the kernel or moat's own
   bounding set cannot grant is left out with a warning.  */
static int
to_bits (char *const *names, const char *set, const struct moat_host *h, uint64_t *out,
         moat_error **err)
{
  *out = 0;
  for (size_t i = 0; names && names[i]; i++)
    {
      int c = moat_cap_from_name (names[i]);
      if (c < 0)
        return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                                "process.capabilities.%s: unknown capability \"%s\"",
                                set, names[i]);
      if (c > h->last_cap || c >= 64)
        {
          moat_warn ("process.capabilities.%s: %s is not known to this kernel; "
                     "ignored", set, names[i]);
          continue;
        }
      if (!(h->own_bounding & (1ULL << c)))
        {
          moat_warn ("process.capabilities.%s: %s is not in moat's own bounding set "
                     "and cannot be granted; ignored", set, names[i]);
          continue;
        }
      *out |= 1ULL << c;
    }
  return 0;
}

/* The first capability of `sub` missing from `super`, -1 if none.  */
static int
first_missing (uint64_t sub, uint64_t super)
{
  uint64_t extra = sub & ~super;
  return extra ? __builtin_ctzll (extra) : -1;
}

int
moat_capsets_build (const struct moat_caps *names, const struct moat_host *h,
                    struct moat_capsets *out, moat_error **err)
{
  memset (out, 0, sizeof *out);
  if (to_bits (names->bounding, "bounding", h, &out->bounding, err) < 0
      || to_bits (names->effective, "effective", h, &out->effective, err) < 0
      || to_bits (names->inheritable, "inheritable", h, &out->inheritable, err) < 0
      || to_bits (names->permitted, "permitted", h, &out->permitted, err) < 0
      || to_bits (names->ambient, "ambient", h, &out->ambient, err) < 0)
    return -1;
  char buf[32];
  int c = first_missing (out->effective, out->permitted);
  if (c >= 0)
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                            "process.capabilities: %s is in effective but not in "
                            "permitted (only a permitted capability can be effective)",
                            cap_name (c, buf));
  /* capset(2): the new inheritable set must stay within the bounding set
     (the runtime's own inheritable set is empty) */
  c = first_missing (out->inheritable, out->bounding);
  if (c >= 0)
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                            "process.capabilities: %s is in inheritable but not in "
                            "bounding (the kernel refuses an inheritable capability "
                            "outside the bounding set)", cap_name (c, buf));
  /* an ambient capability must be permitted and inheritable: the kernel
     could never raise it, so nothing the config grants is lost, and runc
     drops it without a word (`runc spec` writes such a config; buildah
     sends it on every RUN): said at debug level only */
  uint64_t possible = out->permitted & out->inheritable;
  while ((c = first_missing (out->ambient, possible)) >= 0)
    {
      moat_debug ("process.capabilities.ambient: %s is not both permitted and "
                  "inheritable; left out", cap_name (c, buf));
      out->ambient &= ~(1ULL << c);
    }
  return 0;
}

bool
moat_caps_reach_runtime (const struct moat_capsets *c, bool in_userns)
{
  return !in_userns && (c->bounding & (1ULL << CAP_SYS_PTRACE));
}
