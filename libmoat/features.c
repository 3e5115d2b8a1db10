/* The feature table, and from it `moat features` (features.md,
   features-linux.md) and the feature line of --version.  */
#include <config.h>
#include "moat.h"
#include "feature-table.h"
#include "cgroup/cgroup.h"
#include "linux/linux.h"
#include "spec/jsontree.h"
#include "spec/spec.h"
#include "utils.h"
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <yajl/yajl_gen.h>

static bool
have_cgroup_v2 (void)
{
  return moat_cgroup_v2_mount () != NULL;
}

static const struct
{
  const char *name;        /* as --version shows it, "" for none */
  bool built;              /* compiled in */
  bool implemented;        /* this version of moat applies it */
  bool (*on_host) (void);  /* NULL: nothing on the host to check */
  const char *missing;     /* why it is not available, for errors */
} table[MOAT_FEATURE_COUNT] = {
  [MOAT_FEATURE_CAP] = { "CAP", true, true, NULL, "" },
  [MOAT_FEATURE_YAJL] = { "YAJL", true, true, NULL, "" },
  [MOAT_FEATURE_SECCOMP] = { "SECCOMP", true, true, NULL, "" },
  [MOAT_FEATURE_SECCOMP_NOTIFY] = { "", true, true, NULL, "" },
#ifdef HAVE_SELINUX
  [MOAT_FEATURE_SELINUX] = { "SELINUX", true, true, moat_selinux_enabled,
                             "SELinux is not enabled on this host" },
#else
  [MOAT_FEATURE_SELINUX] = { "SELINUX", false, false, NULL,
                             "this moat was built without SELinux" },
#endif
  [MOAT_FEATURE_APPARMOR] = { "APPARMOR", true, true, moat_apparmor_enabled,
                              "AppArmor is not enabled on this host" },
#ifdef HAVE_CRIU
  [MOAT_FEATURE_CRIU] = { "CRIU", true, true, NULL, "" },
#else
  [MOAT_FEATURE_CRIU] = { "CRIU", false, false, NULL,
                          "this moat was built without libcriu" },
#endif
#ifdef HAVE_SYSTEMD
  [MOAT_FEATURE_SYSTEMD] = { "SYSTEMD", true, true, moat_cgroup_systemd_usable,
                             "the systemd cgroup driver needs libsystemd and the unified "
                             "cgroup hierarchy alone (use --cgroup-manager cgroupfs)" },
#else
  [MOAT_FEATURE_SYSTEMD] = { "SYSTEMD", false, false, NULL,
                             "this moat was built without libsystemd (use "
                             "--cgroup-manager cgroupfs)" },
#endif
  [MOAT_FEATURE_CGROUP_V2] = { "", true, true, have_cgroup_v2,
                               "this host has no cgroup v2 hierarchy" },
  [MOAT_FEATURE_CGROUP_V1] = { "", true, true, moat_cgroup_host_is_hybrid,
                               "this host has no cgroup v1 hierarchies beside a unified "
                               "one (a hybrid host)" },
  [MOAT_FEATURE_INTEL_RDT] = { "", true, false, NULL,
                               "Intel RDT is not supported by this version of moat" },
  [MOAT_FEATURE_IDMAP] = { "", true, true, NULL, "" },
};

bool
moat_feature_available (enum moat_feature f)
{
  return table[f].built && table[f].implemented && (table[f].on_host == NULL
                                                    || table[f].on_host ());
}

int
moat_feature_require (enum moat_feature f, const char *setting, moat_error **err)
{
  if (moat_feature_available (f))
    return 0;
  return moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, 0, "%s: %s", setting,
                          table[f].missing);
}

const char *
moat_version_features (void)
{
  static char line[256];
  if (line[0])
    return line;
  size_t n = 0;
  for (int f = 0; f < MOAT_FEATURE_COUNT; f++)
    if (table[f].name[0])
      n += snprintf (line + n, sizeof line - n, "%s%c%s", n ? " " : "",
                     table[f].built && table[f].implemented ? '+' : '-', table[f].name);
  return line;
}

static const char *const mount_options[] = {
  "async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec",
  "lazytime", "loud", "mand", "noatime", "nodev", "nodiratime", "noexec",
  "nolazytime", "nomand", "norelatime", "nostrictatime", "nosuid", "nosymfollow",
  "private", "rbind", "relatime", "remount", "ro", "rprivate", "rshared", "rslave",
  "runbindable", "rw", "shared", "silent", "slave", "strictatime", "suid",
  "symfollow", "sync", "unbindable",
  "rro", "rrw", "rnosuid", "rsuid", "rnodev", "rdev", "rnoexec", "rexec",
  "rnoatime", "ratime", "rnodiratime", "rdiratime", "rrelatime", "rnorelatime",
  "rstrictatime", "rnostrictatime", "rnosymfollow", "rsymfollow", "idmap", "ridmap",
};

static void
gen_bool (yajl_gen g, const char *k, bool v)
{
  GS (g, k);
  yajl_gen_bool (g, v);
}

char *
moat_features_json (void)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  yajl_gen_config (g, yajl_gen_beautify, 1);
  yajl_gen_config (g, yajl_gen_indent_string, "    ");
  yajl_gen_map_open (g);
  GS (g, "ociVersionMin");
  GS (g, "1.0.0");
  GS (g, "ociVersionMax");
  GS (g, OCI_SPEC_VERSION);
  GS (g, "hooks");
  yajl_gen_array_open (g);
  static const char *const hooks[] = { "prestart", "createRuntime", "createContainer",
                                       "startContainer", "poststart", "poststop" };
  for (size_t i = 0; i < ARRAY_SIZE (hooks); i++)
    GS (g, hooks[i]);
  yajl_gen_array_close (g);
  GS (g, "mountOptions");
  yajl_gen_array_open (g);
  for (size_t i = 0; i < ARRAY_SIZE (mount_options); i++)
    GS (g, mount_options[i]);
  yajl_gen_array_close (g);

  GS (g, "linux");
  yajl_gen_map_open (g);
  GS (g, "namespaces");
  yajl_gen_array_open (g);
  for (int t = 0; t < MOAT_NS_COUNT; t++)
    GS (g, moat_ns_name (t));
  yajl_gen_array_close (g);
  GS (g, "capabilities");
  yajl_gen_array_open (g);
  for (int c = 0; c < cap_max_bits (); c++)
    {
      char *name = cap_to_name (c);
      if (name == NULL)
        continue;
      char upper[64];
      snprintf (upper, sizeof upper, "%s", name);
      for (char *p = upper; *p; p++)
        if (*p >= 'a' && *p <= 'z')
          *p -= 'a' - 'A';
      if (strncmp (upper, "CAP_", 4) == 0)
        GS (g, upper);
      cap_free (name);
    }
  yajl_gen_array_close (g);
  GS (g, "cgroup");
  yajl_gen_map_open (g);
  gen_bool (g, "v1", moat_feature_available (MOAT_FEATURE_CGROUP_V1));
  gen_bool (g, "v2", moat_feature_available (MOAT_FEATURE_CGROUP_V2));
  gen_bool (g, "systemd", moat_feature_available (MOAT_FEATURE_SYSTEMD));
  gen_bool (g, "systemdUser", moat_feature_available (MOAT_FEATURE_SYSTEMD));
  gen_bool (g, "rdma", moat_cgroup_has_controller ("rdma"));
  yajl_gen_map_close (g);
  GS (g, "seccomp");
  yajl_gen_map_open (g);
  gen_bool (g, "enabled", moat_feature_available (MOAT_FEATURE_SECCOMP));
  static const char *const actions[] = {
    "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
    "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRAP",
    "SCMP_ACT_TRACE",
  };
  static const char *const operators[] = {
    "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT",
    "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE",
  };
  static const char *const archs[] = {
    "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64",
    "SCMP_ARCH_ARM", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390X", "SCMP_ARCH_RISCV64",
  };
  static const char *const sflags[] = {
    "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
  };
  struct { const char *key; const char *const *v; size_t n; } lists[] = {
    { "actions", actions, ARRAY_SIZE (actions) },
    { "operators", operators, ARRAY_SIZE (operators) },
    { "archs", archs, ARRAY_SIZE (archs) },
    { "knownFlags", sflags, ARRAY_SIZE (sflags) },
    { "supportedFlags", sflags, ARRAY_SIZE (sflags) },
  };
  for (size_t i = 0; i < ARRAY_SIZE (lists); i++)
    {
      GS (g, lists[i].key);
      yajl_gen_array_open (g);
      for (size_t k = 0; k < lists[i].n; k++)
        GS (g, lists[i].v[k]);
      yajl_gen_array_close (g);
    }
  yajl_gen_map_close (g);
  static const struct { const char *key; enum moat_feature f; } enabled[] = {
    { "apparmor", MOAT_FEATURE_APPARMOR }, { "selinux", MOAT_FEATURE_SELINUX },
    { "intelRdt", MOAT_FEATURE_INTEL_RDT },
  };
  for (size_t i = 0; i < ARRAY_SIZE (enabled); i++)
    {
      GS (g, enabled[i].key);
      yajl_gen_map_open (g);
      gen_bool (g, "enabled", moat_feature_available (enabled[i].f));
      yajl_gen_map_close (g);
    }
  GS (g, "mountExtensions");
  yajl_gen_map_open (g);
  GS (g, "idmap");
  yajl_gen_map_open (g);
  gen_bool (g, "enabled", moat_feature_available (MOAT_FEATURE_IDMAP));
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);

  GS (g, "annotations");
  yajl_gen_map_open (g);
  GS (g, "org.opencontainers.runtime-spec.version");
  GS (g, OCI_SPEC_VERSION);
  GS (g, "io.moat.version");
  GS (g, PACKAGE_VERSION);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
  return moat_json_gen_take (g, "\n");
}
