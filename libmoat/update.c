/* update: new limits for a container that exists, from a resources
   object and runc's flags, applied by the container's cgroup driver.  */
#include <config.h>
#include "moat.h"
#include "cgroup/cgroup.h"
#include "cgroup/journal.h"
#include "state.h"
#include "spec/spec.h"
#include "utils.h"
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* "64m", "1g", "4096", "-1" (when min is -1).  */
static int
parse_size (const char *text, const char *flag, int64_t min, struct moat_opt_i64 *out,
            moat_error **err)
{
  char *end;
  errno = 0;
  long long v = strtoll (text, &end, 10);
  int shift = 0;
  if (end != text && *end && end[1] == '\0')
    switch (*end | 0x20)
      {
      case 'k': shift = 10; end++; break;
      case 'm': shift = 20; end++; break;
      case 'g': shift = 30; end++; break;
      }
  if (errno || end == text || *end || v < min || (v < 0 && shift)
      || (shift && v > (INT64_MAX >> shift)))
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0, "--%s `%s`: not a size%s", flag, text,
                            min < 0 ? " (or -1)" : "");
  out->set = true;
  out->v = (int64_t) v << shift;
  return 0;
}

static int
parse_number (const char *text, const char *flag, int64_t min, int64_t max,
              struct moat_opt_i64 *out, moat_error **err)
{
  char *end;
  errno = 0;
  long long v = strtoll (text, &end, 10);
  if (errno || end == text || *end || v < min || v > max)
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0, "--%s `%s`: not a number in [%" PRId64
                            ", %" PRId64 "]", flag, text, min, max);
  out->set = true;
  out->v = v;
  return 0;
}

static int
set_list (const char *text, const char *flag, char **out, moat_error **err)
{
  if (strspn (text, "0123456789,-") != strlen (text))
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0, "--%s `%s`: not a list such as 0-3,6",
                            flag, text);
  free (*out);
  *out = xstrdup (text);
  return 0;
}

/* The flags over r.  */
static int
apply_flags (const struct moat_update_options *o, struct moat_resources *r, moat_error **err)
{
  const struct
  {
    const char *text, *flag;
    struct moat_opt_i64 *member;
    bool size;
    int64_t min, max;
  } flags[] = {
    { o->memory, "memory", &r->memory.limit, true, -1, 0 },
    { o->memory_reservation, "memory-reservation", &r->memory.reservation, true, -1, 0 },
    { o->memory_swap, "memory-swap", &r->memory.swap, true, -1, 0 },
    { o->cpu_shares, "cpu-share", &r->cpu.shares, false, 0, UINT32_MAX },
    { o->cpu_period, "cpu-period", &r->cpu.period, false, 0, INT64_MAX },
    { o->cpu_quota, "cpu-quota", &r->cpu.quota, false, -1, INT64_MAX },
    { o->cpu_burst, "cpu-burst", &r->cpu.burst, false, 0, INT64_MAX },
    { o->cpu_rt_period, "cpu-rt-period", &r->cpu.realtime_period, false, 0, INT64_MAX },
    { o->cpu_rt_runtime, "cpu-rt-runtime", &r->cpu.realtime_runtime, false, -1, INT64_MAX },
    { o->pids_limit, "pids-limit", &r->pids_limit, false, -1, INT64_MAX },
    { o->blkio_weight, "blkio-weight", &r->blkio.weight, false, 10, 1000 },
  };
  for (size_t i = 0; i < ARRAY_SIZE (flags); i++)
    if (flags[i].text
        && (flags[i].size ? parse_size (flags[i].text, flags[i].flag, flags[i].min,
                                        flags[i].member, err)
            : parse_number (flags[i].text, flags[i].flag, flags[i].min, flags[i].max,
                            flags[i].member, err)) < 0)
      return -1;
  if ((o->cpuset_cpus && set_list (o->cpuset_cpus, "cpuset-cpus", &r->cpu.cpus, err) < 0)
      || (o->cpuset_mems && set_list (o->cpuset_mems, "cpuset-mems", &r->cpu.mems, err) < 0))
    return -1;
  return 0;
}

static bool
same_rules (const struct moat_device_rule *a, size_t na, const struct moat_device_rule *b,
            size_t nb)
{
  if (na != nb)
    return false;
  for (size_t i = 0; i < na; i++)
    if (a[i].allow != b[i].allow || a[i].type != b[i].type || a[i].major != b[i].major
        || a[i].minor != b[i].minor || a[i].access != b[i].access)
      return false;
  return true;
}

/* Device rules in an update: accepted when they are the container's own
   (engines send the whole resources object back), refused otherwise: the
   filter of a running container is not replaced.  */
static int
check_device_rules (struct moat_container_dir *dir, const struct moat_device_rule *rules,
                    size_t n, moat_error **err)
{
  if (n == 0)
    return 0;
  autofree char *text = NULL;
  size_t len;
  if (moat_read_file_at (dir->dirfd, "config.json", MOAT_MAX_CONFIG_SIZE, &text, &len,
                         err) < 0)
    return moat_error_prefix (err, "the container's kept config");
  struct moat_spec *s = moat_spec_parse (text, len, err);
  if (s == NULL)
    return moat_error_prefix (err, "the container's kept config");
  bool same = same_rules (rules, n, s->device_rules, s->n_device_rules);
  moat_spec_free (s);
  if (!same)
    return moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, 0,
                            "resources.devices: the device rules of a container cannot "
                            "be changed by update (they differ from its config's)");
  return 0;
}

int
moat_update (const struct moat_context *ctx, const struct moat_update_options *o,
             moat_error **err)
{
  struct moat_resources r;
  struct moat_device_rule *rules = NULL;
  size_t n_rules = 0;
  memset (&r, 0, sizeof r);
  if (o->resources_json
      && moat_resources_from_json (o->resources_json, o->resources_len, &r, &rules, &n_rules,
                                   err) < 0)
    return -1;
  struct moat_container_dir dir = { .dirfd = -1 };
  struct moat_state st;
  memset (&st, 0, sizeof st);
  struct moat_cgroup cg = { .dirfd = -1 };
  int ret = -1;
  if (apply_flags (o, &r, err) < 0 || moat_check_proc (err) < 0
      || moat_container_dir_open (ctx->state_root, o->id, true, &dir, err) < 0)
    goto out;
  if (moat_state_read (&dir, &st, err) < 0)
    goto out;
  moat_state_refresh (&dir, &st);
  if (st.status == MOAT_STATUS_STOPPED)
    {
      moat_error_setk (err, MOAT_ERR_WRONG_STATE, 0,
                       "cannot update container \"%s\": it is stopped", o->id);
      goto out;
    }
  if (check_device_rules (&dir, rules, n_rules, err) < 0
      || moat_cgroup_from_state (&st, &cg, err) < 0)
    goto out;
  if (moat_resources_empty (&r))
    ret = 0;
  else if (cg.driver == NULL)
    moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, 0,
                     "cannot update container \"%s\": it has no cgroup to hold limits",
                     o->id);
  else
    {
      /* all or nothing: a value the kernel refuses puts back the ones
         written before it */
      struct moat_cgroup_journal j;
      moat_cgroup_journal_open (&j);
      ret = cg.driver->update (&cg, &r, err);
      moat_cgroup_journal_close (&j, ret < 0);
    }
out:
  moat_cgroup_release (&cg);
  moat_state_clear (&st);
  moat_container_dir_close (&dir);
  moat_resources_clear (&r);
  free (rules);
  return ret;
}
