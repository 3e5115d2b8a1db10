/* The plan: everything moat will do for a container (create, run) or a
   process (exec), built from config.json, the command's options and the
   host's facts, and validated as a whole before anything is changed on
   the host.  Mount options are parsed once, capabilities turned into
   sets, sysctl keys into paths, the seccomp profile compiled to BPF and
   the namespaces to join opened and checked.  What is left to fail after
   the plan is what only the kernel can refuse.  */
#ifndef MOAT_PLAN_H
#define MOAT_PLAN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "../error.h"
#include "../spec/spec.h"

struct moat_create_options;

/* ---- host ---- */

struct moat_host
{
  uid_t euid;
  bool initial_userns;    /* moat runs in the host's user namespace */
  bool rootless;          /* without the host's root (moat_running_rootless) */
  int last_cap;           /* highest capability number this kernel knows */
  uint64_t own_bounding;  /* moat's own bounding set: what it can grant */
};

/* What moat needs to know of the machine, read once.  */
int moat_host_probe (struct moat_host *h, moat_error **err);

/* ---- mounts ---- */

/* A mount's options, parsed: flags for the top mount, recursive flags
   (rro, rnosuid, ...) for every mount of a recursive bind, propagation,
   and what is left as filesystem data.  */
struct moat_mount_opts
{
  unsigned long flags;        /* MS_* set */
  unsigned long clear;        /* MS_* explicitly cleared (rw, suid, ...) */
  unsigned long rflags, rclear;
  unsigned long propagation;  /* MS_SHARED/SLAVE/PRIVATE/UNBINDABLE [| MS_REC] */
  bool bind, rbind;
  bool idmap, ridmap;
  bool tmpcopyup;             /* tmpfs: a copy of what the image has there */
  char *data;                 /* comma-separated filesystem options, or NULL */
  const char *unknown;        /* the first option neither a flag nor key=value */
};

/* Parse the options of one mount; contradictory options (ro and rw, rro
   and rrw, ...) are an error naming both.  */
int moat_mount_opts_parse (char *const *options, struct moat_mount_opts *o,
                           moat_error **err);
void moat_mount_opts_clear (struct moat_mount_opts *o);
/* MS_* propagation flags of "rprivate", "shared", ...; 0 if unknown.  */
unsigned long moat_propagation_flag (const char *name);

struct moat_mount_plan
{
  const struct moat_mount *m;  /* the config's mount */
  bool bind;                   /* a bind mount: type "bind", or option bind/rbind */
  const char *fstype;          /* the filesystem to mount; NULL for a bind */
  char *source;                /* bind: the absolute host path */
  struct moat_mount_opts o;    /* for a new filesystem, recursive flags folded in */
  int idmap_fd;                /* prepared idmapped tree (launch), -1 */
};

/* The mounts of s, each checked: options, a source for binds, a type
   otherwise, idmap only on binds with mappings.  */
int moat_mount_plans_build (const struct moat_spec *s, const char *bundle,
                            struct moat_mount_plan **out, moat_error **err);
void moat_mount_plans_free (struct moat_mount_plan *p, size_t n);

/* A namespace's name in /proc/<pid>/ns ("mnt" for MOAT_NS_MNT).  */
const char *moat_ns_proc_name (int type);

/* ---- capabilities ---- */

struct moat_capsets
{
  uint64_t bounding, effective, inheritable, permitted, ambient;
};

/* Names to bits.  An unknown name and a combination the kernel refuses
   (effective not permitted, inheritable not in bounding) are errors that
   name the set and the capability; what this kernel or moat's own
   bounding set cannot grant, and ambient capabilities that are not both
   permitted and inheritable, are left out with a warning (as runc does).  */
int moat_capsets_build (const struct moat_caps *names, const struct moat_host *h,
                        struct moat_capsets *out, moat_error **err);
/* "CAP_SYS_ADMIN" -> 21, -1 if unknown (case-insensitive).  */
int moat_cap_from_name (const char *name);

/* ---- seccomp ---- */

/* A compiled filter: classic BPF as seccomp(2) takes it.  */
struct moat_bpf
{
  void *insns;          /* struct sock_filter[] */
  unsigned short len;
  unsigned flags;       /* SECCOMP_FILTER_FLAG_* */
};

/* Compile linux.seccomp (libseccomp) into BPF.  */
struct moat_bpf *moat_seccomp_compile (const struct moat_seccomp *profile,
                                       moat_error **err);
void moat_bpf_free (struct moat_bpf *b);

/* ---- the process ---- */

struct moat_process_plan
{
  const struct moat_spec *spec;  /* args, env, cwd, user, rlimits, ... (not owned) */
  struct moat_capsets caps;
  struct moat_bpf *seccomp;      /* NULL: no filter */
  unsigned preserve_fds;
};

/* Check the process fields of s and prepare what the finish sequence
   needs.  userns: the user namespace the process runs in (its mappings
   decide which ids exist), or NULL for the host's.  */
int moat_process_plan_build (const struct moat_spec *s, const struct moat_seccomp *profile,
                             const struct moat_spec *userns, const struct moat_host *h,
                             unsigned preserve_fds, struct moat_process_plan *out,
                             moat_error **err);
void moat_process_plan_clear (struct moat_process_plan *p);

/* ---- the container ---- */

struct moat_plan
{
  struct moat_spec *spec;
  char *config_text;            /* config.json as it was parsed */
  size_t config_len;
  char *id;
  char *bundle, *rootfs;        /* absolute */
  struct moat_host host;
  /* options */
  bool no_pivot, no_new_keyring;
  bool foreground;              /* run without --detach: moat stays and proxies */
  const char *console_socket, *pid_file;
  /* what to do */
  struct moat_mount_plan *mounts;  /* spec->n_mounts */
  char **sysctl_paths;          /* /proc/sys/... of each spec->sysctl key */
  struct moat_process_plan process;
  int ns_fds[MOAT_NS_COUNT];    /* namespaces joined by path, opened; -1 */
  unsigned long long clone_flags;  /* namespaces to create */
  bool new_userns;              /* a user namespace of the container's own */
  bool in_userns;               /* new, or joined by path */
  bool pid_joined;              /* a pid namespace joined by path */
  bool auto_range;              /* the id maps' host ids come from an automatic
                                   range, taken at launch */
  char **hardened;              /* the harden policy's fixes, or NULL */
  int rootfs_tree_fd;           /* with it: the rootfs as a detached tree, idmapped
                                   where its filesystem can be (launch), -1 */
};

/* Build and check the plan for create / run.  Nothing on the host
   changes.  */
struct moat_policy;
/* policy: in harden mode, its fixes are made to the config first (the
   plan's config_text is the fixed one, hardened lists them).  */
int moat_plan_build (const struct moat_create_options *o, const struct moat_policy *policy,
                     bool foreground,
                     struct moat_plan **out, moat_error **err);
void moat_plan_free (struct moat_plan *p);

/* For a container that has no cgroup of its own (why: the reason, for
   the error): refuse limits (never dropped) and, as the host's root, a
   cgroup mount (moat's own cgroup is the host's).  */
int moat_plan_check_no_cgroup (const struct moat_plan *p, const char *why, moat_error **err);

/* The process's labels can be applied here: the LSM is enabled, and an
   SELinux context is one the loaded policy knows.  The *_from names say
   where each label came from, for the error (a config field, or exec's
   --process-label / --apparmor).  */
int moat_plan_check_labels (const struct moat_spec *s, const char *selinux_from,
                            const char *apparmor_from, moat_error **err);

/* userns.c: a new user namespace without mappings.  Rootless: the
   caller's own ids as root, plus its subordinate ranges.  As the host's
   root: 65536 ids whose host side is an automatic range taken at launch
   (*auto_range; the host ids are 0 until then).  */
int moat_plan_automatic_mappings (struct moat_spec *s, const struct moat_host *h,
                                  bool *auto_range, moat_error **err);
/* At launch, once the state directory exists (and the cgroup, when
   there is one): take the automatic range (given back when the state
   directory goes) into the maps, and prepare the root filesystem's
   idmapped tree.  Nothing to do without an automatic range.  */
int moat_plan_take_id_range (struct moat_plan *p, const char *state_dir, bool has_cgroup,
                             moat_error **err);

/* True when a CAP_SYS_PTRACE in this bounding set reaches moat's
   processes (no user namespace of the container's own).  */
bool moat_caps_reach_runtime (const struct moat_capsets *c, bool in_userns);

#endif
