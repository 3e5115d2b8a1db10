#include <config.h>
#include "linux.h"
#include "syscalls.h"
#include "../utils.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

static const unsigned long long clone_flags[MOAT_NS_COUNT] = {
  [MOAT_NS_PID] = CLONE_NEWPID, [MOAT_NS_NET] = CLONE_NEWNET,
  [MOAT_NS_MNT] = CLONE_NEWNS, [MOAT_NS_IPC] = CLONE_NEWIPC,
  [MOAT_NS_UTS] = CLONE_NEWUTS, [MOAT_NS_USER] = CLONE_NEWUSER,
  [MOAT_NS_CGROUP] = CLONE_NEWCGROUP, [MOAT_NS_TIME] = CLONE_NEWTIME,
};

unsigned long long
moat_ns_clone_flag (enum moat_ns_type t)
{
  return clone_flags[t];
}

static char *
format_map (const struct moat_idmap *m, size_t n)
{
  size_t cap = n * 36 + 1;
  char *buf = xmalloc0 (cap), *p = buf;
  for (size_t i = 0; i < n; i++)
    p += snprintf (p, cap - (p - buf), "%u %u %u\n", m[i].container_id,
                   m[i].host_id, m[i].size);
  return buf;
}

static int
write_proc (pid_t pid, const char *file, const char *data, moat_error **err)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/%s", pid, file);
  autoclose int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return moat_error_set (err, errno, "open `%s`", path);
  ssize_t len = strlen (data);
  if (write (fd, data, len) != len)
    return moat_error_set (err, errno, "write `%s`", path);
  return 0;
}

int
moat_write_id_map (pid_t pid, const char *file, const struct moat_idmap *m, size_t n,
                   moat_error **err)
{
  autofree char *text = format_map (m, n);
  return write_proc (pid, file, text, err);
}

int
moat_write_id_maps (pid_t pid, const struct moat_spec *s, moat_error **err)
{
  if (moat_write_id_map (pid, "uid_map", s->uid_mappings, s->n_uid_mappings, err) < 0)
    return moat_error_prefix (err, "linux.uidMappings");
  /* A caller without CAP_SETGID in the parent namespace may only map its
     own gid after disabling setgroups.  */
  if (geteuid () != 0 && write_proc (pid, "setgroups", "deny", err) < 0)
    return -1;
  if (moat_write_id_map (pid, "gid_map", s->gid_mappings, s->n_gid_mappings, err) < 0)
    return moat_error_prefix (err, "linux.gidMappings");
  return 0;
}

int
moat_ns_join (int fd, enum moat_ns_type t, const char *path, moat_error **err)
{
  if (setns (fd, (int) clone_flags[t]) < 0)
    {
      if (errno == EINVAL)
        return moat_error_set (err, 0, "join %s namespace `%s`: not a %s namespace "
                               "(or not allowed here)", moat_ns_name (t), path,
                               moat_ns_name (t));
      return moat_error_set (err, errno, "join %s namespace `%s`", moat_ns_name (t),
                             path);
    }
  return 0;
}

/* Called after unshare(CLONE_NEWTIME): set the offsets of the new time
   namespace, before any process enters it.  */
int
moat_ns_write_time_offsets (const struct moat_spec *s, moat_error **err)
{
  char buf[128];
  snprintf (buf, sizeof buf, "monotonic %lld %lld\nboottime %lld %lld\n",
            (long long) s->time_offsets[0][0], (long long) s->time_offsets[0][1],
            (long long) s->time_offsets[1][0], (long long) s->time_offsets[1][1]);
  if (moat_write_file ("/proc/self/timens_offsets", buf, err) < 0)
    return moat_error_prefix (err, "linux.timeOffsets");
  return 0;
}
