/* Mount options and mount plans (libmoat/plan/mounts.c): every flag and
   its clearing twin, recursive forms, propagation, bind and idmap,
   filesystem data, contradictions, and the checks moat_mount_plans_build
   makes on mounts parsed from config.json.  */
#include <config.h>
#include "tap.h"
#include "libmoat/plan/plan.h"
#include "libmoat/spec/spec.h"
#include "libmoat/utils.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MS_NOSYMFOLLOW
# define MS_NOSYMFOLLOW 256
#endif

/* Every flag option: its name, its clearing twin (NULL when none) and
   whether it belongs to the superblock (no recursive form).  */
static const struct
{
  const char *set, *clear;
  unsigned long flag;
  bool superblock;
} flags[] = {
  { "ro", "rw", MS_RDONLY, false },
  { "nosuid", "suid", MS_NOSUID, false },
  { "nodev", "dev", MS_NODEV, false },
  { "noexec", "exec", MS_NOEXEC, false },
  { "sync", "async", MS_SYNCHRONOUS, true },
  { "dirsync", NULL, MS_DIRSYNC, true },
  { "remount", NULL, MS_REMOUNT, true },
  { "mand", "nomand", MS_MANDLOCK, true },
  { "noatime", "atime", MS_NOATIME, false },
  { "nodiratime", "diratime", MS_NODIRATIME, false },
  { "relatime", "norelatime", MS_RELATIME, false },
  { "strictatime", "nostrictatime", MS_STRICTATIME, false },
  { "lazytime", "nolazytime", MS_LAZYTIME, true },
  { "silent", "loud", MS_SILENT, true },
  { "nosymfollow", "symfollow", MS_NOSYMFOLLOW, false },
};

#define OPTS(...) ((char *[]) { __VA_ARGS__, NULL })

/* Parse; the error message (NULL when it parsed).  The caller clears o.  */
static char *
parse (char *const *options, struct moat_mount_opts *o, enum moat_error_kind *kind)
{
  moat_error *err = NULL;
  int r = moat_mount_opts_parse (options, o, &err);
  char *msg = r < 0 ? xstrdup (err ? err->msg : "(no message)") : NULL;
  if (kind)
    *kind = moat_error_kind (err);
  moat_error_free (&err);
  return msg;
}

static bool
only (const struct moat_mount_opts *o, unsigned long f, unsigned long c, unsigned long rf,
      unsigned long rc)
{
  return o->flags == f && o->clear == c && o->rflags == rf && o->rclear == rc
    && o->propagation == 0 && !o->bind && !o->rbind && !o->idmap && !o->ridmap
    && o->data == NULL && o->unknown == NULL;
}

static void
test_flags (void)
{
  struct moat_mount_opts o;
  for (size_t i = 0; i < ARRAY_SIZE (flags); i++)
    {
      char *msg = parse (OPTS ((char *) flags[i].set), &o, NULL);
      ok (msg == NULL && only (&o, flags[i].flag, 0, 0, 0), "`%s` sets flag %#lx",
          flags[i].set, flags[i].flag);
      moat_mount_opts_clear (&o);
      free (msg);
      if (flags[i].clear)
        {
          msg = parse (OPTS ((char *) flags[i].clear), &o, NULL);
          ok (msg == NULL && only (&o, 0, flags[i].flag, 0, 0), "`%s` clears flag %#lx",
              flags[i].clear, flags[i].flag);
          moat_mount_opts_clear (&o);
          free (msg);
        }

      /* the recursive forms */
      char *rset = xasprintf ("r%s", flags[i].set);
      char *rclear = flags[i].clear ? xasprintf ("r%s", flags[i].clear) : NULL;
      msg = parse (OPTS (rset), &o, NULL);
      if (flags[i].superblock)
        ok (msg == NULL && o.flags == 0 && o.rflags == 0 && o.data && strcmp (o.data, rset) == 0
            && o.unknown && strcmp (o.unknown, rset) == 0,
            "`%s` is no flag (a superblock flag has no recursive form): data `%s`", rset,
            o.data ? o.data : "(none)");
      else
        ok (msg == NULL && only (&o, 0, 0, flags[i].flag, 0), "`%s` sets recursive flag %#lx",
            rset, flags[i].flag);
      moat_mount_opts_clear (&o);
      free (msg);
      if (rclear)
        {
          msg = parse (OPTS (rclear), &o, NULL);
          if (flags[i].superblock)
            ok (msg == NULL && o.clear == 0 && o.rclear == 0 && o.data
                && strcmp (o.data, rclear) == 0, "`%s` is filesystem data", rclear);
          else
            ok (msg == NULL && only (&o, 0, 0, 0, flags[i].flag),
                "`%s` clears recursive flag %#lx", rclear, flags[i].flag);
          moat_mount_opts_clear (&o);
          free (msg);
        }
      free (rset);
      free (rclear);
    }

  /* several flags together, plain and recursive kept apart */
  char *msg = parse (OPTS ("nosuid", "nodev", "rro", "rnoexec", "noatime", "suid"), &o, NULL);
  ok (msg != NULL && contains (msg, "`nosuid` and `suid`"), "nosuid then suid is refused");
  free (msg);
  moat_mount_opts_clear (&o);
  msg = parse (OPTS ("nosuid", "nodev", "rro", "rnoexec", "noatime", "rw"), &o, NULL);
  ok (msg == NULL && o.flags == (MS_NOSUID | MS_NODEV | MS_NOATIME) && o.clear == MS_RDONLY
      && o.rflags == (MS_RDONLY | MS_NOEXEC) && o.rclear == 0,
      "plain and recursive flags are kept apart (rro with rw)");
  moat_mount_opts_clear (&o);
  free (msg);
  msg = parse (OPTS ("ro", "ro", "rro", "rro"), &o, NULL);
  ok (msg == NULL && o.flags == MS_RDONLY && o.rflags == MS_RDONLY, "repeating a flag is fine");
  moat_mount_opts_clear (&o);
  free (msg);
  msg = parse (NULL, &o, NULL);
  ok (msg == NULL && only (&o, 0, 0, 0, 0), "no options at all");
  moat_mount_opts_clear (&o);
  free (msg);
  msg = parse (OPTS ("defaults"), &o, NULL);
  ok (msg == NULL && only (&o, 0, 0, 0, 0), "`defaults` is no option at all");
  moat_mount_opts_clear (&o);
  free (msg);
  /* matching is exact */
  msg = parse (OPTS ("RO", "ro "), &o, NULL);
  ok (msg == NULL && o.flags == 0 && o.data && strcmp (o.data, "RO,ro ") == 0,
      "flag names are case- and space-sensitive: `RO` and `ro ` are data");
  moat_mount_opts_clear (&o);
  free (msg);
}

static void
test_contradictions (void)
{
  static const char *const pairs[][2] = {
    { "ro", "rw" }, { "rw", "ro" }, { "nosuid", "suid" }, { "dev", "nodev" },
    { "noexec", "exec" }, { "sync", "async" }, { "mand", "nomand" },
    { "atime", "noatime" }, { "nodiratime", "diratime" }, { "relatime", "norelatime" },
    { "strictatime", "nostrictatime" }, { "lazytime", "nolazytime" }, { "silent", "loud" },
    { "nosymfollow", "symfollow" }, { "rro", "rrw" }, { "rrw", "rro" },
    { "rnosuid", "rsuid" }, { "rnodev", "rdev" }, { "rnoatime", "ratime" },
    { "rnosymfollow", "rsymfollow" },
  };
  struct moat_mount_opts o;
  for (size_t i = 0; i < ARRAY_SIZE (pairs); i++)
    {
      enum moat_error_kind kind;
      char *want = xasprintf ("contradictory options `%s` and `%s`", pairs[i][0], pairs[i][1]);
      /* with something in between, and data before (freed on error) */
      char *msg = parse (OPTS ("size=1k", (char *) pairs[i][0], "nodiratime2",
                               (char *) pairs[i][1], "mode=1"), &o, &kind);
      ok (msg && strcmp (msg, want) == 0 && kind == MOAT_ERR_INVALID_CONFIG
          && o.data == NULL, "%s + %s refused: `%s` (got: %s)", pairs[i][0], pairs[i][1],
          want, msg ? msg : "accepted");
      moat_mount_opts_clear (&o);
      free (msg);
      free (want);
    }
  static const char *const fine[][2] = {
    { "ro", "rrw" }, { "rw", "rro" }, { "nosuid", "rsuid" }, { "rnodev", "dev" },
    { "ro", "ro" }, { "noatime", "relatime" }, { "rsync", "async" },
  };
  for (size_t i = 0; i < ARRAY_SIZE (fine); i++)
    {
      char *msg = parse (OPTS ((char *) fine[i][0], (char *) fine[i][1]), &o, NULL);
      ok (msg == NULL, "%s + %s is not a contradiction (%s)", fine[i][0], fine[i][1],
          msg ? msg : "ok");
      moat_mount_opts_clear (&o);
      free (msg);
    }
  char *msg = parse (OPTS ("ro", "rrw"), &o, NULL);
  ok (msg == NULL && o.flags == MS_RDONLY && o.clear == 0 && o.rflags == 0
      && o.rclear == MS_RDONLY, "ro + rrw: read-only top, read-write recursively");
  moat_mount_opts_clear (&o);
  free (msg);
}

static void
test_propagation (void)
{
  static const struct { const char *name; unsigned long flag; } props[] = {
    { "private", MS_PRIVATE }, { "rprivate", MS_PRIVATE | MS_REC },
    { "shared", MS_SHARED }, { "rshared", MS_SHARED | MS_REC },
    { "slave", MS_SLAVE }, { "rslave", MS_SLAVE | MS_REC },
    { "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
  };
  struct moat_mount_opts o;
  for (size_t i = 0; i < ARRAY_SIZE (props); i++)
    {
      ok (moat_propagation_flag (props[i].name) == props[i].flag, "moat_propagation_flag(%s)",
          props[i].name);
      char *msg = parse (OPTS ((char *) props[i].name), &o, NULL);
      ok (msg == NULL && o.propagation == props[i].flag && o.flags == 0 && o.rflags == 0
          && o.data == NULL, "option `%s` is propagation %#lx", props[i].name, props[i].flag);
      moat_mount_opts_clear (&o);
      free (msg);
    }
  ok (moat_propagation_flag ("bogus") == 0 && moat_propagation_flag ("") == 0
      && moat_propagation_flag ("Private") == 0 && moat_propagation_flag ("rro") == 0,
      "unknown propagation names are 0");
  char *msg = parse (OPTS ("rshared", "nosuid", "private", "rslave"), &o, NULL);
  ok (msg == NULL && o.propagation == (MS_SLAVE | MS_REC) && o.flags == MS_NOSUID,
      "the last propagation option wins");
  moat_mount_opts_clear (&o);
  free (msg);
  msg = parse (OPTS ("rslave", "private"), &o, NULL);
  ok (msg == NULL && o.propagation == MS_PRIVATE, "a plain one after a recursive one wins");
  moat_mount_opts_clear (&o);
  free (msg);
}

static void
test_bind_data (void)
{
  struct moat_mount_opts o;
  char *msg = parse (OPTS ("bind"), &o, NULL);
  ok (msg == NULL && o.bind && !o.rbind && !o.idmap && o.data == NULL, "bind");
  moat_mount_opts_clear (&o);
  free (msg);
  msg = parse (OPTS ("rbind"), &o, NULL);
  ok (msg == NULL && o.bind && o.rbind && o.rflags == 0 && o.data == NULL,
      "rbind is a recursive bind, not a flag");
  moat_mount_opts_clear (&o);
  free (msg);
  msg = parse (OPTS ("idmap"), &o, NULL);
  ok (msg == NULL && o.idmap && !o.ridmap && !o.bind, "idmap");
  moat_mount_opts_clear (&o);
  free (msg);
  msg = parse (OPTS ("ridmap"), &o, NULL);
  ok (msg == NULL && o.idmap && o.ridmap && o.data == NULL, "ridmap is idmap, recursively");
  moat_mount_opts_clear (&o);
  free (msg);

  char **opts = OPTS ("mode=755", "nosuid", "size=65536k", "uid=5");
  msg = parse (opts, &o, NULL);
  ok (msg == NULL && o.data && strcmp (o.data, "mode=755,size=65536k,uid=5") == 0
      && o.unknown == NULL && o.flags == MS_NOSUID,
      "key=value options pass as data, in order, without the flags (%s)",
      o.data ? o.data : "none");
  moat_mount_opts_clear (&o);
  free (msg);
  opts = OPTS ("mode=1", "nr_inodes=0", "lowerdir=/a:/b", "xino", "index=off", "other");
  msg = parse (opts, &o, NULL);
  ok (msg == NULL && o.data
      && strcmp (o.data, "mode=1,nr_inodes=0,lowerdir=/a:/b,xino,index=off,other") == 0
      && o.unknown == opts[3], "unknown words are data too; the first is remembered (%s)",
      o.unknown ? o.unknown : "none");
  moat_mount_opts_clear (&o);
  free (msg);
  ok (o.data == NULL, "clear frees the data");
  moat_mount_opts_clear (&o);
  ok (o.data == NULL, "clear twice is harmless");
}

/* ---- plans from config.json ---- */

static char bundle[64];

/* A config with these mounts; linux_extra replaces the members of linux
   (NULL: a mount namespace only).  */
static struct moat_spec *
spec_with (const char *mounts, const char *linux_extra)
{
  char *json = xasprintf ("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"},"
                          " \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"},"
                          " \"mounts\": [%s],"
                          " \"linux\": {%s}}", mounts, linux_extra ? linux_extra
                          : "\"namespaces\": [{\"type\": \"mount\"}]");
  moat_error *err = NULL;
  struct moat_spec *s = moat_spec_parse (json, strlen (json), &err);
  if (s == NULL)
    printf ("# config did not parse: %s\n#   %s\n", err ? err->msg : "?", json);
  moat_error_free (&err);
  free (json);
  return s;
}

/* Build the plans of one mount; the error message, NULL on success (then
   *plans holds them).  */
static char *
build (const char *mounts, const char *linux_extra, struct moat_spec **sp,
       struct moat_mount_plan **plans, enum moat_error_kind *kind)
{
  *plans = NULL;
  *sp = spec_with (mounts, linux_extra);
  if (*sp == NULL)
    return xstrdup ("(config did not parse)");
  moat_error *err = NULL;
  int r = moat_mount_plans_build (*sp, bundle, plans, &err);
  char *msg = r < 0 ? xstrdup (err ? err->msg : "(no message)") : NULL;
  if (kind)
    *kind = moat_error_kind (err);
  if (r < 0 && *plans != NULL)
    {
      free (msg);
      msg = xstrdup ("(plans set on error)");
    }
  moat_error_free (&err);
  return msg;
}

static void
done (struct moat_spec *s, struct moat_mount_plan *p)
{
  if (s)
    moat_mount_plans_free (p, s->n_mounts);
  moat_spec_free (s);
}

static void
expect_plan_error (const char *mounts, const char *linux_extra, const char *want,
                   const char *what)
{
  struct moat_spec *s;
  struct moat_mount_plan *p;
  enum moat_error_kind kind = MOAT_ERR_FAILED;
  char *msg = build (mounts, linux_extra, &s, &p, &kind);
  ok (msg && contains (msg, want) && kind == MOAT_ERR_INVALID_CONFIG,
      "%s: `%s` (got: %s, kind %s)", what, want, msg ? msg : "built",
      moat_error_kind_name (kind));
  free (msg);
  done (s, p);
}

/* linux members for a new user namespace with mappings */
static const char *userns_linux =
  "\"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"user\"}],"
  " \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}],"
  " \"gidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}]";

static void
test_plans (void)
{
  struct moat_spec *s;
  struct moat_mount_plan *p;

  expect_plan_error ("{\"destination\": \"/a\", \"type\": \"bind\"}", NULL,
                     "mounts[0] (bind on `/a`): a bind mount needs a source",
                     "type bind without source");
  expect_plan_error ("{\"destination\": \"/a\", \"type\": \"none\", \"options\": [\"rbind\"],"
                     " \"source\": \"\"}", NULL, "a bind mount needs a source",
                     "option rbind with an empty source");
  expect_plan_error ("{\"destination\": \"/a\", \"type\": \"bind\", \"source\": \"/tmp\","
                     " \"options\": [\"rbind\", \"ro\", \"bogus\", \"other\"]}", NULL,
                     "mounts[0] (bind on `/a`): unknown option `bogus` for a bind mount",
                     "unknown word on a bind");
  /* key=value data on a bind (runtime-tools adds some): a warning, dropped */
  {
    struct moat_spec *ds;
    struct moat_mount_plan *dp;
    char *dmsg = build ("{\"destination\": \"/a\", \"source\": \"/tmp\","
                        " \"options\": [\"bind\", \"mode=755\"]}", NULL, &ds, &dp, NULL);
    ok (dmsg == NULL && dp[0].bind && dp[0].o.data == NULL,
        "filesystem data on a bind is dropped (%s)", dmsg ? dmsg : "built");
    free (dmsg);
    done (ds, dp);
  }
  expect_plan_error ("{\"destination\": \"/a\", \"type\": \"bind\", \"source\": \"/tmp\","
                     " \"options\": [\"rbind\", \"tmpcopyup\"]}", NULL,
                     "tmpcopyup is for a tmpfs, not a bind mount", "tmpcopyup on a bind");
  expect_plan_error ("{\"destination\": \"/p\", \"type\": \"proc\","
                     " \"options\": [\"tmpcopyup\"]}", NULL,
                     "tmpcopyup is for a tmpfs, not proc", "tmpcopyup on proc");
  {
    struct moat_spec *ts;
    struct moat_mount_plan *tp;
    char *tmsg = build ("{\"destination\": \"/run\", \"type\": \"tmpfs\","
                        " \"options\": [\"tmpcopyup\", \"nosuid\", \"mode=755\"]}", NULL,
                        &ts, &tp, NULL);
    ok (tmsg == NULL && tp[0].o.tmpcopyup && tp[0].o.data && strcmp (tp[0].o.data, "mode=755") == 0,
        "tmpcopyup on a tmpfs is moat's, not the filesystem's (%s, data %s)",
        tmsg ? tmsg : "built", tmsg ? "-" : tp[0].o.data);
    free (tmsg);
    done (ts, tp);
  }
  expect_plan_error ("{\"destination\": \"/a\", \"type\": \"bind\", \"source\": \"/tmp\","
                     " \"options\": [\"bind\", \"rsync\"]}", NULL,
                     "unknown option `rsync` for a bind mount", "rsync on a bind is data");
  expect_plan_error ("{\"destination\": \"/t\", \"type\": \"tmpfs\", \"source\": \"tmpfs\","
                     " \"options\": [\"idmap\"]}", userns_linux,
                     "mounts[0] (tmpfs on `/t`): idmap is only supported on bind mounts",
                     "idmap on a tmpfs");
  expect_plan_error ("{\"destination\": \"/t\", \"type\": \"tmpfs\", \"source\": \"tmpfs\","
                     " \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 1}],"
                     " \"gidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 1}]}",
                     NULL, "idmap is only supported on bind mounts",
                     "mount mappings on a tmpfs");
  expect_plan_error ("{\"destination\": \"/a\", \"type\": \"bind\", \"source\": \"/tmp\","
                     " \"options\": [\"rbind\", \"idmap\"]}", NULL,
                     "idmap needs uidMappings and gidMappings",
                     "idmap without mappings anywhere");
  expect_plan_error ("{\"destination\": \"/a\", \"type\": \"bind\", \"source\": \"/tmp\","
                     " \"options\": [\"ridmap\"]}", NULL,
                     "idmap needs uidMappings and gidMappings", "ridmap without mappings");
  expect_plan_error ("{\"destination\": \"/x\", \"source\": \"x\"}", NULL,
                     "mounts[0] (no type on `/x`): no type given and not a bind mount",
                     "no type, no bind option");
  expect_plan_error ("{\"destination\": \"/x\", \"type\": \"none\", \"source\": \"x\","
                     " \"options\": [\"ro\"]}", NULL,
                     "mounts[0] (none on `/x`): no type given and not a bind mount",
                     "type none without bind");
  char *want = xasprintf ("mounts[1] (bind on `/b`): source `%s/nope`: "
                          "No such file or directory", bundle);
  expect_plan_error ("{\"destination\": \"/proc\", \"type\": \"proc\"},"
                     " {\"destination\": \"/b\", \"type\": \"bind\", \"source\": \"nope\"}",
                     NULL, want, "a missing relative bind source is named");
  free (want);
  expect_plan_error ("{\"destination\": \"/b\", \"type\": \"bind\","
                     " \"source\": \"/nonexistent-moat-unit/x\"}", NULL,
                     "source `/nonexistent-moat-unit/x`: No such file or directory",
                     "a missing absolute bind source is named");
  expect_plan_error ("{\"destination\": \"/p\", \"type\": \"proc\", \"options\": [\"ro\", \"rw\"]}",
                     NULL, "mounts[0] (proc on `/p`): contradictory options `ro` and `rw`",
                     "contradictory options on a mount");

  /* a relative bind source is resolved against the bundle */
  char *msg = build ("{\"destination\": \"/d\", \"type\": \"bind\", \"source\": \"data\","
                     " \"options\": [\"rbind\", \"rro\", \"nosuid\", \"rprivate\"]},"
                     " {\"destination\": \"/e\", \"source\": \"./data/../data\","
                     " \"options\": [\"bind\"]},"
                     " {\"destination\": \"/f\", \"type\": \"bind\", \"source\": \"/tmp\"}",
                     NULL, &s, &p, NULL);
  char *abs_data = xasprintf ("%s/data", bundle);
  char *rel_data = xasprintf ("%s/./data/../data", bundle);
  ok (msg == NULL && p[0].bind && p[0].fstype == NULL && p[0].source
      && strcmp (p[0].source, abs_data) == 0, "relative source `data` is %s (%s)",
      abs_data, msg ? msg : p[0].source);
  ok (msg == NULL && p[0].o.bind && p[0].o.rbind && p[0].o.rflags == MS_RDONLY
      && p[0].o.flags == MS_NOSUID && p[0].o.propagation == (MS_PRIVATE | MS_REC)
      && p[0].o.data == NULL && p[0].idmap_fd == -1 && p[0].m == &s->mounts[0],
      "a bind keeps plain and recursive flags apart");
  ok (msg == NULL && p[1].bind && strcmp (p[1].source, rel_data) == 0 && p[1].o.bind,
      "option bind without a type is a bind; the source is joined as given (%s)",
      msg ? msg : p[1].source);
  ok (msg == NULL && p[2].bind && strcmp (p[2].source, "/tmp") == 0 && p[2].o.bind
      && !p[2].o.rbind, "type bind without options: a non-recursive bind of an absolute path");
  free (msg);
  free (abs_data);
  free (rel_data);
  done (s, p);

  /* filesystems: cgroup becomes cgroup2, recursive flags are folded */
  msg = build ("{\"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\", \"source\": \"cgroup\","
               " \"options\": [\"rro\", \"rnosuid\", \"nodev\", \"rnoexec\", \"rrelatime\"]},"
               " {\"destination\": \"/t\", \"type\": \"tmpfs\", \"source\": \"tmpfs\","
               " \"options\": [\"ro\", \"rro\", \"mode=755\", \"size=1m\"]},"
               " {\"destination\": \"/p\", \"type\": \"proc\"},"
               " {\"destination\": \"/c2\", \"type\": \"cgroup2\"}",
               NULL, &s, &p, NULL);
  ok (msg == NULL && !p[0].bind && p[0].fstype && strcmp (p[0].fstype, "cgroup2") == 0
      && p[0].source == NULL, "a cgroup mount becomes cgroup2 (%s)",
      msg ? msg : p[0].fstype);
  ok (msg == NULL && p[0].o.flags == (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME)
      && p[0].o.rflags == 0 && p[0].o.rclear == 0,
      "recursive flags are folded into the flags of a new filesystem (%#lx)",
      msg ? 0 : p[0].o.flags);
  ok (msg == NULL && strcmp (p[1].fstype, "tmpfs") == 0 && p[1].o.flags == MS_RDONLY
      && p[1].o.rflags == 0 && p[1].o.rclear == 0 && strcmp (p[1].o.data, "mode=755,size=1m") == 0,
      "ro + rro on a new filesystem: read-only; data kept");
  ok (msg == NULL && strcmp (p[2].fstype, "proc") == 0 && p[2].o.flags == 0
      && p[2].o.data == NULL, "proc without options");
  ok (msg == NULL && strcmp (p[3].fstype, "cgroup2") == 0, "cgroup2 stays cgroup2");
  free (msg);
  done (s, p);

  /* a new filesystem is a single mount: a plain flag and its recursive
     opposite contradict each other there */
  expect_plan_error ("{\"destination\": \"/t\", \"type\": \"tmpfs\", \"options\": [\"ro\", \"rrw\"]}",
                     NULL, "contradictory options: `ro` and its recursive opposite",
                     "ro + rrw on a new filesystem");
  expect_plan_error ("{\"destination\": \"/s\", \"type\": \"sysfs\", \"options\": [\"rnosuid\", \"suid\"]}",
                     NULL, "contradictory options: `nosuid` and its recursive opposite",
                     "rnosuid + suid on a new filesystem");
  /* a bind shares its filesystem: per-filesystem flags would do nothing */
  expect_plan_error ("{\"destination\": \"/a\", \"type\": \"bind\", \"source\": \"/tmp\","
                     " \"options\": [\"bind\", \"sync\", \"nosuid\"]}", NULL,
                     "option `sync` belongs to the filesystem and has no effect on a bind mount",
                     "sync on a bind");

  /* idmap with mappings: the container's, or the mount's own */
  msg = build ("{\"destination\": \"/a\", \"type\": \"bind\", \"source\": \"/tmp\","
               " \"options\": [\"rbind\", \"idmap\"]}", userns_linux, &s, &p, NULL);
  ok (msg == NULL && p[0].o.idmap && !p[0].o.ridmap && p[0].bind,
      "idmap on a bind with the container's mappings (%s)", msg ? msg : "ok");
  free (msg);
  done (s, p);
  msg = build ("{\"destination\": \"/a\", \"type\": \"bind\", \"source\": \"/tmp\","
               " \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 1}],"
               " \"gidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 1}]}",
               NULL, &s, &p, NULL);
  ok (msg == NULL && p[0].o.idmap, "mappings on the mount make it idmapped (%s)",
      msg ? msg : "ok");
  free (msg);
  done (s, p);

  /* no mounts at all */
  msg = build ("", NULL, &s, &p, NULL);
  ok (msg == NULL && p != NULL && s->n_mounts == 0, "no mounts: an empty plan");
  free (msg);
  done (s, p);
}

int
main (void)
{
  test_flags ();
  test_contradictions ();
  test_propagation ();
  test_bind_data ();

  strcpy (bundle, "/tmp/moat-mountopts-XXXXXX");
  if (mkdtemp (bundle) == NULL)
    abort ();
  char *data = xasprintf ("%s/data", bundle);
  mkdir (data, 0755);
  test_plans ();
  rmdir (data);
  free (data);
  ok (rmdir (bundle) == 0, "nothing else was created in the bundle");
  return tap_done ();
}
