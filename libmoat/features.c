/* `moat features`: what this build really supports (features.md,
   features-linux.md).  */
#include <config.h>
#include "moat.h"
#include "spec/spec.h"
#include "utils.h"
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <yajl/yajl_gen.h>

#define GS(g, s) yajl_gen_string (g, (const unsigned char *) (s), strlen (s))

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
  gen_bool (g, "v1", false);
  gen_bool (g, "v2", true);
  gen_bool (g, "systemd", false);
  gen_bool (g, "systemdUser", false);
  gen_bool (g, "rdma", false);
  yajl_gen_map_close (g);
  GS (g, "seccomp");
  yajl_gen_map_open (g);
  gen_bool (g, "enabled", true);
  static const char *const actions[] = {
    "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
    "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_TRAP", "SCMP_ACT_TRACE",
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
  GS (g, "apparmor");
  yajl_gen_map_open (g);
  gen_bool (g, "enabled", false);
  yajl_gen_map_close (g);
  GS (g, "selinux");
  yajl_gen_map_open (g);
  gen_bool (g, "enabled", false);
  yajl_gen_map_close (g);
  GS (g, "intelRdt");
  yajl_gen_map_open (g);
  gen_bool (g, "enabled", false);
  yajl_gen_map_close (g);
  GS (g, "mountExtensions");
  yajl_gen_map_open (g);
  GS (g, "idmap");
  yajl_gen_map_open (g);
  gen_bool (g, "enabled", true);
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
  const unsigned char *buf;
  size_t len;
  yajl_gen_get_buf (g, &buf, &len);
  char *r = xasprintf ("%.*s\n", (int) len, buf);
  yajl_gen_free (g);
  return r;
}
