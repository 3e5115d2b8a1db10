/* config.json parsing and validation: every error names its field.  */
#include <config.h>
#include "tap.h"
#include "libmoat/spec/spec.h"
#include "libmoat/plan/plan.h"
#include "libmoat/utils.h"
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#define BASE_PROCESS "\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"}"
#define BASE_LINUX "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}]}"

/* A config with the given extra members (each ends with a comma).  */
static char *
config (const char *process, const char *linux_, const char *extra)
{
  return xasprintf ("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, %s%s, %s}",
                    extra, process ? process : BASE_PROCESS, linux_ ? linux_ : BASE_LINUX);
}

/* Parse and return the error message (NULL when it parsed).  */
static char *
parse_error (const char *json)
{
  moat_error *err = NULL;
  struct moat_spec *s = moat_spec_parse (json, strlen (json), &err);
  if (s)
    {
      moat_spec_free (s);
      return NULL;
    }
  char *msg = xstrdup (err ? err->msg : "(no message)");
  moat_error_free (&err);
  return msg;
}

static void
expect_error (const char *process, const char *linux_, const char *extra,
              const char *fragment, const char *what)
{
  char *json = config (process, linux_, extra);
  char *msg = parse_error (json);
  ok (contains (msg, fragment), "%s: error mentions `%s` (got: %s)", what, fragment,
      msg ? msg : "parsed");
  free (msg);
  free (json);
}

/* What Podman sends for --device: the file type bits in fileMode, and a
   path with a trailing slash, as runc takes them.  */
static void
test_podman_devices (void)
{
  char *json = config (NULL, "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}], "
                       "\"devices\": [{\"path\": \"/dev/mynull/\", \"type\": \"c\", "
                       "\"major\": 1, \"minor\": 3, \"fileMode\": 8630}]}", "");
  moat_error *err = NULL;
  struct moat_spec *s = moat_spec_parse (json, strlen (json), &err);
  ok (s != NULL, "fileMode 020666 for a char device parses (%s)", err ? err->msg : "ok");
  if (s)
    {
      ok (s->devices[0].mode == 0666, "its permission bits are kept: 0%o", s->devices[0].mode);
      ok (strcmp (s->devices[0].path, "/dev/mynull") == 0, "the trailing slash goes: `%s`",
          s->devices[0].path);
      moat_spec_free (s);
    }
  moat_error_free (&err);
  free (json);
}

static void
test_valid (void)
{
  char *json = config ("\"process\": {\"args\": [\"sh\", \"-c\", \"true\"], \"cwd\": \"/w\","
                       " \"env\": [\"A=1\"], \"user\": {\"uid\": 1000, \"gid\": 100,"
                       " \"umask\": 63, \"additionalGids\": [5, 6]},"
                       " \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 10, \"hard\": 20}],"
                       " \"capabilities\": {\"bounding\": [\"CAP_KILL\"]},"
                       " \"noNewPrivileges\": true, \"oomScoreAdj\": 100}",
                       "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"uts\"},"
                       " {\"type\": \"user\"}, {\"type\": \"ipc\"}, {\"type\": \"network\", \"path\": \"/proc/1/ns/net\"}],"
                       " \"uidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}],"
                       " \"gidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}],"
                       " \"cgroupsPath\": \"/a/b\", \"sysctl\": {\"kernel.shmmni\": \"1\"}}",
                       "\"hostname\": \"h\", \"annotations\": {\"k\": \"v\"}, \"mounts\": "
                       "[{\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\","
                       " \"options\": [\"nosuid\"]}],");
  moat_error *err = NULL;
  struct moat_spec *s = moat_spec_parse (json, strlen (json), &err);
  ok (s != NULL, "a full config parses (%s)", err ? err->msg : "ok");
  if (s)
    {
      ok (strcmp (s->args[2], "true") == 0 && s->args[3] == NULL, "process.args kept in order");
      ok (s->uid == 1000 && s->gid == 100 && s->umask == 63, "user ids and umask");
      ok (s->n_additional_gids == 2 && s->additional_gids[1] == 6, "additionalGids");
      ok (s->n_rlimits == 1 && s->rlimits[0].soft == 10 && s->rlimits[0].hard == 20,
          "rlimits");
      ok (s->ns[MOAT_NS_USER].present && s->ns[MOAT_NS_USER].path == NULL, "new user ns");
      ok (s->ns[MOAT_NS_NET].present && strcmp (s->ns[MOAT_NS_NET].path, "/proc/1/ns/net") == 0,
          "joined network ns keeps its path");
      ok (!s->ns[MOAT_NS_PID].present, "absent pid ns stays absent");
      ok (s->n_uid_mappings == 1 && s->uid_mappings[0].host_id == 100000, "uidMappings");
      ok (s->has_oom_score_adj && s->oom_score_adj == 100, "oomScoreAdj");
      ok (s->no_new_privileges, "noNewPrivileges");
      ok (s->n_mounts == 1 && strcmp (s->mounts[0].options[0], "nosuid") == 0, "mounts");
      ok (s->n_annotations == 1 && strcmp (s->annotations[0].value, "v") == 0, "annotations");
      ok (s->n_sysctl == 1, "sysctl");
      ok (strcmp (s->cgroups_path, "/a/b") == 0, "cgroupsPath");
    }
  moat_spec_free (s);
  moat_error_free (&err);
  free (json);
}

static void
test_errors (void)
{
  char *m = parse_error ("{\"ociVersion\": ");
  ok (contains (m, "invalid JSON"), "truncated JSON is reported (%s)", m);
  free (m);
  m = parse_error ("[1, 2]");
  ok (contains (m, "expected an object"), "top level must be an object (%s)", m);
  free (m);
  m = parse_error ("{\"root\": {\"path\": \"r\"}}");
  ok (contains (m, "ociVersion: missing"), "ociVersion required (%s)", m);
  free (m);
  m = parse_error ("{\"ociVersion\": \"2.0.0\", \"root\": {\"path\": \"r\"}}");
  ok (contains (m, "not a 1.x version"), "ociVersion 2.x refused (%s)", m);
  free (m);
  m = parse_error ("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"r\", \"readonly\": \"yes\"}}");
  ok (contains (m, "root.readonly: expected a boolean"), "readonly as a string (%s)", m);
  free (m);
  m = parse_error ("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": 7}}");
  ok (contains (m, "root.path: expected a string"), "root.path as a number (%s)", m);
  free (m);
  m = parse_error ("{\"ociVersion\": \"1.0.0\"}");
  ok (contains (m, "root: missing"), "root required (%s)", m);
  free (m);

  expect_error ("\"process\": {\"args\": \"sh\", \"cwd\": \"/\"}", NULL, "",
                "process.args: expected an array of strings", "args as a string");
  expect_error ("\"process\": {\"args\": [\"sh\", 1], \"cwd\": \"/\"}", NULL, "",
                "process.args[1]: expected a string", "args with a number");
  expect_error ("\"process\": {\"args\": [], \"cwd\": \"/\"}", NULL, "",
                "process.args", "empty args");
  expect_error ("\"process\": {\"args\": [\"sh\"]}", NULL, "", "process.cwd: missing",
                "missing cwd");
  expect_error ("\"process\": {\"args\": [\"sh\"], \"cwd\": \"rel\"}", NULL, "",
                "process.cwd: `rel` is not an absolute path", "relative cwd");
  expect_error ("\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"user\": {\"uid\": \"x\"}}",
                NULL, "", "process.user.uid: expected an integer", "uid as a string");
  expect_error ("\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"user\": {\"uid\": -1}}",
                NULL, "", "process.user.uid: -1 is out of range", "negative uid");
  expect_error ("\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"user\": {\"uid\": 4294967296}}",
                NULL, "", "process.user.uid", "uid above 32 bits");
  expect_error ("\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"user\": {\"uid\": 1.5}}",
                NULL, "", "process.user.uid: expected an integer", "fractional uid");
  expect_error ("\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"env\": [\"NOEQUALS\"]}",
                NULL, "", "process.env[0]", "env without =");
  expect_error ("\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"rlimits\": "
                "[{\"type\": \"RLIMIT_BOGUS\", \"soft\": 1, \"hard\": 1}]}", NULL, "",
                "unknown rlimit `RLIMIT_BOGUS`", "unknown rlimit");
  expect_error ("\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"rlimits\": "
                "[{\"type\": \"RLIMIT_NOFILE\", \"soft\": 10, \"hard\": 5}]}", NULL, "",
                "soft limit 10 is above hard limit 5", "soft above hard");
  expect_error ("\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"rlimits\": "
                "[{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1, \"hard\": 1},"
                " {\"type\": \"RLIMIT_NOFILE\", \"soft\": 1, \"hard\": 1}]}", NULL, "",
                "duplicate rlimit", "duplicate rlimit");
  expect_error ("\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"oomScoreAdj\": 5000}",
                NULL, "", "process.oomScoreAdj", "oomScoreAdj out of range");
  expect_error (NULL, "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"bogus\"}]}",
                "", "unknown namespace type `bogus`", "unknown namespace");
  expect_error (NULL, "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"mount\"}]}",
                "", "duplicate `mount` namespace", "duplicate namespace");
  expect_error (NULL, "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"network\","
                " \"path\": \"rel\"}]}", "", "is not an absolute path", "relative ns path");
  expect_error (NULL, "\"linux\": {\"namespaces\": [{\"type\": \"pid\"}]}", "",
                "a mount namespace is required", "no mount namespace");
  expect_error (NULL, "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}], \"uidMappings\": "
                "[{\"containerID\": 0, \"hostID\": 1, \"size\": 1}]}", "",
                "need a new user namespace", "mappings without user ns");
  expect_error (NULL, "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"user\"}],"
                " \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 1}]}",
                "", "needs both linux.uidMappings and linux.gidMappings", "user ns with uid maps only");
  expect_error (NULL, "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"user\"}],"
                " \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1}],"
                " \"gidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 1}]}", "",
                "containerID, hostID and size are required", "mapping without size");
  expect_error (NULL, "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}], \"resources\": "
                "{\"devices\": [{\"allow\": true, \"access\": \"rwx\"}]}}", "",
                "linux.resources.devices[0].access: `rwx`", "bad device access");
  expect_error (NULL, "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}], \"resources\": "
                "{\"devices\": [{\"access\": \"r\"}]}}", "",
                "linux.resources.devices[0].allow: missing", "device rule without allow");
  expect_error (NULL, "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}], \"devices\": "
                "[{\"path\": \"/dev/x\", \"type\": \"c\"}]}", "",
                "major and minor are required", "device without numbers");
  expect_error (NULL, "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}], \"devices\": "
                "[{\"path\": \"x\", \"type\": \"c\", \"major\": 1, \"minor\": 3}]}", "",
                "linux.devices[0].path: must be an absolute path", "relative device path");
  expect_error (NULL, "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}], \"sysctl\": "
                "{\"vm.swappiness\": \"1\"}}", "", "`vm.swappiness` is not namespaced",
                "host-wide sysctl");
  expect_error (NULL, "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}], \"devices\": "
                "[{\"path\": \"/dev/x\", \"type\": \"c\", \"major\": 1, \"minor\": 3, "
                "\"fileMode\": 25014}]}", "",
                "linux.devices[0].fileMode: the file type bits (060000) are not those of type c",
                "fileMode of a block device for a char device");
  expect_error (NULL, "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}], \"devices\": "
                "[{\"path\": \"/dev/x\", \"type\": \"c\", \"major\": 1, \"minor\": 3, "
                "\"fileMode\": 65536}]}", "", "linux.devices[0].fileMode: 65536 is out of range",
                "fileMode beyond 16 bits");
  expect_error (NULL, "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}], \"sysctl\": "
                "{\"net.ipv4.ip_forward\": \"1\"}}", "", "needs a network namespace",
                "net sysctl without a network namespace");
  expect_error (NULL, "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"ipc\"}],"
                " \"sysctl\": {\"kernel/../vm\": \"1\"}}", "", "invalid key", "sysctl key with ..");
  expect_error (NULL, "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}], \"seccomp\": "
                "{\"syscalls\": []}}", "", "linux.seccomp.defaultAction: missing",
                "seccomp without defaultAction");
  expect_error (NULL, "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}], \"seccomp\": "
                "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [],"
                " \"action\": \"SCMP_ACT_ERRNO\"}]}}", "", "must name at least one syscall",
                "seccomp rule without names");
  expect_error (NULL, "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}], \"seccomp\": "
                "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"],"
                " \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 6, \"value\": 1,"
                " \"op\": \"SCMP_CMP_EQ\"}]}]}}", "", "args[0].index", "seccomp arg index 6");
  expect_error (NULL, "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}], \"seccomp\": "
                "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_X\"]}}",
                "", "linux.seccomp.flags[0]: unknown flag", "seccomp unknown flag");
  expect_error (NULL, NULL, "\"hostname\": \"h\",", "needs a uts namespace",
                "hostname without uts ns");
  expect_error (NULL, NULL, "\"mounts\": [{\"destination\": \"rel\", \"type\": \"tmpfs\"}],",
                "mounts[0].destination: `rel` is not an absolute path", "relative mount dest");
  expect_error (NULL, NULL, "\"mounts\": [{\"type\": \"tmpfs\"}],",
                "mounts[0].destination: missing", "mount without destination");
  expect_error (NULL, NULL, "\"mounts\": {},", "mounts: expected an array", "mounts object");
  expect_error (NULL, "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}], \"cgroupsPath\": "
                "\"/a/../b\"}", "", "linux.cgroupsPath", "cgroupsPath with ..");
  expect_error (NULL, "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}], \"cgroupsPath\": "
                "\"/.\"}", "", "must not contain `.` or `..` components",
                "cgroupsPath /. (the root cgroup)");
  expect_error (NULL, "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}], \"cgroupsPath\": "
                "\"a/./b\"}", "", "must not contain `.` or `..` components",
                "cgroupsPath with a . component");
  expect_error (NULL, "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}], \"rootfsPropagation\": "
                "\"weird\"}", "", "linux.rootfsPropagation: unknown value", "bad propagation");
  expect_error (NULL, NULL, "\"hooks\": {\"prestart\": [{\"path\": \"rel\"}]},",
                "hooks.prestart[0].path: must be an absolute path", "relative hook path");
}

static void
test_default_spec (void)
{
  for (int rootless = 0; rootless < 2; rootless++)
    {
      char *json = moat_spec_default_json (rootless);
      moat_error *err = NULL;
      struct moat_spec *s = moat_spec_parse (json, strlen (json), &err);
      ok (s != NULL, "the %s default spec parses (%s)", rootless ? "rootless" : "root",
          err ? err->msg : "ok");
      if (s)
        {
          ok (s->root_readonly && s->no_new_privileges,
              "default spec: read-only root and no_new_privs");
          ok (s->ns[MOAT_NS_USER].present && s->n_uid_mappings == 0
              && s->n_gid_mappings == 0,
              "default spec: a user namespace, mapped by moat at create");
          ok (s->uid != 0 && s->gid != 0, "default spec: the process is not root");
          ok (s->has_seccomp, "default spec: the default seccomp profile");
          ok (rootless == 0 || !s->resources.pids_limit.set,
              "default spec: no pids limit when rootless");
        }
      moat_spec_free (s);
      moat_error_free (&err);
      free (json);
    }
}

static double
seconds_since (const struct timespec *t0)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return (t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* A hostile config of a few megabytes costs linear time.  Found while
   fuzzing (tests/fuzz: fuzz-mountopts ran at a thousand inputs a second,
   and a list of 20000 options timed out): the contradiction check of
   moat_mount_opts_parse compared every option with every earlier one and
   the filesystem data was copied whole for each option; the names of the
   unapplied linux.resources members were copied whole for each member
   (now an unknown member is refused, in linear time).
   Quadratic: 50000 "ro" options (a 300 KB config) took 4 s of create,
   a 16 MB config hours.  Linear, each case below takes well under a
   second, even under the sanitizers; quadratic, a minute or more.  */
static void
test_hostile_sizes (void)
{
  enum { N = 400000 };
  struct timespec t0;
  /* quadratic, this would run for many minutes: end it instead */
  printf ("# hostile sizes: if SIGALRM ends this test, parsing took quadratic time\n");
  fflush (stdout);
  signal (SIGALRM, SIG_DFL);
  alarm (60);

  /* one mount with N options: flags, then filesystem data */
  size_t cap = 64 + (size_t) N * 12;
  char *opts = xmalloc0 (cap), *p = opts;
  for (size_t i = 0; i < N; i++)
    p += sprintf (p, "%s\"%s\"", i ? "," : "", i < N / 2 ? "ro" : "x=1");
  char *mounts = xasprintf ("\"mounts\": [{\"destination\": \"/t\", \"type\": \"tmpfs\", "
                            "\"options\": [%s]}],", opts);
  free (opts);
  char *json = config (NULL, NULL, mounts);
  free (mounts);
  moat_error *err = NULL;
  struct moat_spec *s = moat_spec_parse (json, strlen (json), &err);
  free (json);
  ok (s != NULL, "a mount with %d options parses (%s)", N, err ? err->msg : "ok");
  if (s)
    {
      struct moat_mount_opts o;
      clock_gettime (CLOCK_MONOTONIC, &t0);
      int r = moat_mount_opts_parse (s->mounts[0].options, &o, &err);
      double took = seconds_since (&t0);
      ok (r == 0 && o.flags == MS_RDONLY && o.data && strlen (o.data) == (size_t) N / 2 * 4 - 1,
          "%d options: ro and the data (%s)", N, err ? err->msg : "ok");
      ok (took < 10, "%d mount options parsed in %.2f s (linear time)", N, took);
      if (r == 0)
        moat_mount_opts_clear (&o);
      moat_spec_free (s);
    }
  moat_error_free (&err);

  /* the same contradiction as before: the first option of the other kind */
  char *const contra[] = { "nosuid", "ro", "ro", "rro", "rrw", NULL };
  struct moat_mount_opts o;
  ok (moat_mount_opts_parse (contra, &o, &err) < 0
      && contains (err->msg, "contradictory options `rro` and `rrw`"),
      "contradictions are still found (%s)", err ? err->msg : "none");
  moat_error_free (&err);
  char *const contra2[] = { "rw", "suid", "rw", "ro", NULL };
  ok (moat_mount_opts_parse (contra2, &o, &err) < 0
      && contains (err->msg, "contradictory options `rw` and `ro`"),
      "the first earlier option is named (%s)", err ? err->msg : "none");
  moat_error_free (&err);

  /* linux.resources with N members moat does not apply */
  cap = 64 + (size_t) N * 16;
  char *members = xmalloc0 (cap);
  p = members;
  for (size_t i = 0; i < N; i++)
    p += sprintf (p, "%s\"k%zu\": 0", i ? ", " : "", i);
  char *lin = xasprintf ("\"linux\": {\"namespaces\": [{\"type\": \"mount\"}], "
                         "\"resources\": {\"devices\": [], \"memory\": null, %s}}", members);
  free (members);
  json = config (NULL, lin, "");
  free (lin);
  clock_gettime (CLOCK_MONOTONIC, &t0);
  s = moat_spec_parse (json, strlen (json), &err);
  double took = seconds_since (&t0);
  free (json);
  ok (s == NULL && err && contains (err->msg, "linux.resources.k0: unknown member"),
      "an unknown resources member is refused, the first one named (%s)",
      err ? err->msg : "parsed");
  ok (took < 10, "a config with %d resources members parsed in %.2f s (linear time)", N,
      took);
  moat_spec_free (s);
  moat_error_free (&err);
  json = config (NULL, "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}], "
                 "\"resources\": {\"pids\": {}, \"devices\": [], \"cpu\": {}}}", "");
  s = moat_spec_parse (json, strlen (json), &err);
  free (json);
  ok (s == NULL && err && contains (err->msg, "linux.resources.pids.limit: missing"),
      "pids without a limit is refused (%s)", err ? err->msg : "parsed");
  moat_spec_free (s);
  moat_error_free (&err);
  alarm (0);
}

int
main (void)
{
  test_valid ();
  test_podman_devices ();
  test_errors ();
  test_default_spec ();
  test_hostile_sizes ();
  return tap_done ();
}
