/* What this build of moat can do and what this host allows, in one
   table: `features`, `--version` and the checks at create and exec all
   read it, so none of them can claim what the others refuse.  */
#ifndef MOAT_FEATURE_TABLE_H
#define MOAT_FEATURE_TABLE_H

#include <stdbool.h>
#include "error.h"

enum moat_feature
{
  MOAT_FEATURE_CAP,             /* capabilities (libcap) */
  MOAT_FEATURE_YAJL,            /* JSON (yajl) */
  MOAT_FEATURE_SECCOMP,         /* seccomp filters (libseccomp) */
  MOAT_FEATURE_SECCOMP_NOTIFY,  /* seccomp agents (SCMP_ACT_NOTIFY, listenerPath) */
  MOAT_FEATURE_SELINUX,         /* SELinux process labels */
  MOAT_FEATURE_APPARMOR,        /* AppArmor profiles */
  MOAT_FEATURE_CRIU,            /* checkpoint and restore */
  MOAT_FEATURE_SYSTEMD,         /* the systemd cgroup driver */
  MOAT_FEATURE_CGROUP_V2,       /* cgroup v2 (cgroupfs driver) */
  MOAT_FEATURE_CGROUP_V1,       /* cgroup v1 controllers */
  MOAT_FEATURE_INTEL_RDT,       /* linux.intelRdt */
  MOAT_FEATURE_IDMAP,           /* idmapped mounts */
  MOAT_FEATURE_COUNT
};

/* Built in, implemented, and (for what depends on it) present on this
   host.  */
bool moat_feature_available (enum moat_feature f);
/* A setting that needs f: 0 when available, otherwise a
   MOAT_ERR_NOT_SUPPORTED error naming the setting and saying why.  */
int moat_feature_require (enum moat_feature f, const char *setting, moat_error **err);
/* The feature line of --version: "+CAP +YAJL +SECCOMP -SELINUX ...".  */
const char *moat_version_features (void);

#endif
