/* config.json as typed structures.  Parsing validates types and values and
   names the offending field in every error.  */
#ifndef MOAT_SPEC_H
#define MOAT_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "../error.h"

struct moat_idmap
{
  uint32_t container_id, host_id, size;
};

struct moat_mount
{
  char *destination;
  char *type;          /* may be NULL */
  char *source;        /* may be NULL */
  char **options;      /* NULL-terminated, may be NULL */
  struct moat_idmap *uid_mappings, *gid_mappings;  /* idmapped mount */
  size_t n_uid_mappings, n_gid_mappings;
};

struct moat_rlimit
{
  int resource;        /* RLIMIT_* */
  char *name;
  uint64_t soft, hard;
};

enum moat_ns_type
{
  MOAT_NS_PID, MOAT_NS_NET, MOAT_NS_MNT, MOAT_NS_IPC, MOAT_NS_UTS,
  MOAT_NS_USER, MOAT_NS_CGROUP, MOAT_NS_TIME, MOAT_NS_COUNT
};

struct moat_namespace
{
  bool present;        /* listed in linux.namespaces */
  char *path;          /* join this one instead of creating a new one */
};

struct moat_caps
{
  /* each is a NULL-terminated list of "CAP_*" names; NULL when absent */
  char **bounding, **effective, **inheritable, **permitted, **ambient;
};

struct moat_hook
{
  char *path;
  char **args;
  char **env;
  int timeout;         /* seconds, 0 = none */
};

struct moat_hooks
{
  struct moat_hook *prestart, *create_runtime, *create_container,
    *start_container, *poststart, *poststop;
  size_t n_prestart, n_create_runtime, n_create_container,
    n_start_container, n_poststart, n_poststop;
};

/* A rule of linux.resources.devices.  */
struct moat_device_rule
{
  bool allow;
  char type;           /* 'a', 'c' or 'b' */
  int64_t major, minor;  /* -1: any */
  unsigned access;     /* MOAT_DEV_READ | MOAT_DEV_WRITE | MOAT_DEV_MKNOD */
};
enum { MOAT_DEV_MKNOD = 1, MOAT_DEV_READ = 2, MOAT_DEV_WRITE = 4 };

/* An optional integer of linux.resources.  */
struct moat_opt_i64
{
  bool set;
  int64_t v;
};

/* A per-device value of linux.resources.blockIO.  */
struct moat_blkio_device
{
  int64_t major, minor;
  struct moat_opt_i64 weight, leaf_weight;  /* weightDevice */
  uint64_t rate;                            /* the throttle lists */
};

struct moat_hugepage_limit
{
  char *page_size;     /* "2MB", "1GB", ... */
  uint64_t limit;
};

struct moat_rdma_limit
{
  char *device;
  struct moat_opt_i64 hca_handles, hca_objects;
};

/* linux.resources, but devices (config-linux.md): what was given, as
   given; the cgroup drivers convert and check it against the host.  */
struct moat_resources
{
  struct
  {
    struct moat_opt_i64 limit, reservation, swap, kernel, kernel_tcp, swappiness;
    bool has_disable_oom_killer, disable_oom_killer;
    bool has_use_hierarchy, use_hierarchy;
    bool check_before_update;
  } memory;
  struct
  {
    struct moat_opt_i64 shares, quota, burst, period, realtime_runtime, realtime_period,
      idle;
    char *cpus, *mems;
  } cpu;
  struct moat_opt_i64 pids_limit;
  struct
  {
    struct moat_opt_i64 weight, leaf_weight;
    struct moat_blkio_device *weight_device, *read_bps, *write_bps, *read_iops, *write_iops;
    size_t n_weight_device, n_read_bps, n_write_bps, n_read_iops, n_write_iops;
  } blkio;
  struct moat_hugepage_limit *hugepages;
  size_t n_hugepages;
  struct
  {
    struct moat_opt_i64 class_id;
    struct moat_annotation *priorities;  /* interface name, priority as text */
    size_t n_priorities;
  } network;
  struct moat_rdma_limit *rdma;
  size_t n_rdma;
  struct moat_annotation *unified;       /* cgroup v2 file, value */
  size_t n_unified;
};

/* A linux.resources object as JSON text (`update --resources`) into r,
   and its device rules into *rules, *n_rules (free *rules) unless rules
   is NULL.  An unknown member is an error: a limit moat does not know
   would not be applied.  */
int moat_resources_from_json (const char *text, size_t len, struct moat_resources *r,
                              struct moat_device_rule **rules, size_t *n_rules,
                              moat_error **err);
void moat_resources_clear (struct moat_resources *r);
/* True when r asks for nothing.  */
bool moat_resources_empty (const struct moat_resources *r);

/* An entry of linux.devices: a node to create in the container.  */
struct moat_device
{
  char *path;
  char type;           /* 'c', 'b', 'u' or 'p' */
  int64_t major, minor;
  bool has_mode, has_uid, has_gid;
  mode_t mode;
  uint32_t uid, gid;
};

struct moat_seccomp_arg
{
  unsigned index;
  uint64_t value, value_two;
  int op;              /* enum scmp_compare */
};

struct moat_seccomp_rule
{
  char **names;
  uint32_t action;     /* SCMP_ACT_* (errno folded in) */
  struct moat_seccomp_arg *args;
  size_t n_args;
};

struct moat_seccomp
{
  uint32_t default_action;
  char **architectures;  /* libseccomp names: "x86_64", "x32", ... */
  bool flag_tsync, flag_log, flag_spec_allow;
  /* the annotation run.oci.seccomp_fail_unknown_syscall: a syscall name
     this libseccomp does not know is an error, not skipped */
  bool fail_unknown_syscall;
  /* SCMP_ACT_NOTIFY: the agent's socket, and what it is given along */
  bool uses_notify;
  /* a notified call, once the listener has it, waits through signals
     (SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, Linux 5.19): moat's learning
     filter, so that a workload's SIGCHLD does not turn its fork into
     EINTR */
  bool wait_killable;
  char *listener_path, *listener_metadata;
  struct moat_seccomp_rule *rules;
  size_t n_rules;
};

struct moat_scheduler
{
  int policy;          /* SCHED_* */
  int nice, priority;
  uint64_t flags, runtime, deadline, period;
};

struct moat_spec
{
  char *oci_version;

  char *root_path;
  bool root_readonly;

  struct moat_mount *mounts;
  size_t n_mounts;

  /* process */
  bool has_process;
  bool terminal;
  unsigned console_height, console_width;
  uint32_t uid, gid;
  mode_t umask;
  bool has_umask;
  uint32_t *additional_gids;
  size_t n_additional_gids;
  char **args;
  char **env;
  char *cwd;
  struct moat_caps caps;
  bool has_caps;
  struct moat_rlimit *rlimits;
  size_t n_rlimits;
  bool no_new_privileges;
  bool has_oom_score_adj;
  int oom_score_adj;
  char *apparmor_profile;
  char *selinux_label;
  bool has_scheduler;
  struct moat_scheduler scheduler;
  bool has_io_priority;
  int io_class, io_priority;   /* IOPRIO_CLASS_*, 0..7 */
  char *cpu_affinity_initial, *cpu_affinity_final;  /* cpu lists, "0-3,7" */

  char *hostname;
  char *domainname;

  struct moat_hooks hooks;

  struct moat_annotation *annotations;
  size_t n_annotations;

  /* linux */
  struct moat_namespace ns[MOAT_NS_COUNT];
  struct moat_idmap *uid_mappings, *gid_mappings;
  size_t n_uid_mappings, n_gid_mappings;
  char *cgroups_path;
  struct moat_annotation *sysctl;
  size_t n_sysctl;
  char **masked_paths;
  char **readonly_paths;
  char *rootfs_propagation;
  char *mount_label;
  struct moat_device_rule *device_rules;
  size_t n_device_rules;
  struct moat_device *devices;
  size_t n_devices;
  struct moat_resources resources;  /* linux.resources, but devices */
  bool has_personality;
  unsigned long personality;
  bool has_intel_rdt;
  bool has_seccomp;
  struct moat_seccomp seccomp;
  bool has_time_offsets;
  int64_t time_offsets[2][2];  /* [monotonic, boottime][secs, nanosecs] */
};

/* The largest config.json (and process.json) accepted: far above any real
   bundle, small enough that a hostile file cannot exhaust memory.  */
#define MOAT_MAX_CONFIG_SIZE (16u << 20)

/* Parse config.json text.  On error returns NULL and sets err to a message
   naming the field, e.g. "process.args: expected an array of strings".  */
struct moat_spec *moat_spec_parse (const char *json, size_t len, moat_error **err);
/* Parse a process object alone (exec --process): only the process
   fields of the result are set.  */
struct moat_spec *moat_spec_parse_process (const char *json, size_t len, moat_error **err);
/* Read and parse <bundle>/config.json.  */
struct moat_spec *moat_spec_load (const char *bundle, moat_error **err);
/* The same, handing over the text that was parsed (to keep exactly it).  */
struct moat_spec *moat_spec_load_text (const char *bundle, char **text, size_t *len,
                                       moat_error **err);
void moat_spec_free (struct moat_spec *s);
/* Free what a seccomp object holds, and zero it.  */
void moat_seccomp_clear (struct moat_seccomp *k);

const char *moat_ns_name (enum moat_ns_type t);

/* The namespace a sysctl key belongs to: MOAT_NS_IPC, MOAT_NS_NET or
   MOAT_NS_UTS; -1 (with an error) for a key that is not namespaced or not
   well formed.  path (when not NULL) gets its file under /proc/sys.  */
int moat_sysctl_check (const char *key, char **path, moat_error **err);
int moat_ns_from_name (const char *name);


#endif
