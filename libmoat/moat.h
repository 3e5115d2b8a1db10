/* libmoat: an OCI container runtime as a C library.  Everything the
   `moat` command does, without argv parsing or exit(); the command is a
   thin client of it.  This header is the whole public API: it is
   installed as <moat.h>, and every symbol the shared library exports is
   declared here (the rest is hidden).  Link with `pkg-config --libs
   libmoat`.

   Functions return 0 on success and a negative value on failure, with
   *err set (when err is not NULL): read err->msg for the message and
   moat_error_kind() for what kind of failure it is, then free it with
   moat_error_free().  */
#ifndef MOAT_H
#define MOAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(MOAT_BUILDING_LIBRARY)
# define MOAT_PUBLIC __attribute__ ((visibility ("default")))
#else
# define MOAT_PUBLIC
#endif

/* ---- errors ---- */

enum moat_error_kind
{
  MOAT_ERR_FAILED = 0,      /* anything not below */
  MOAT_ERR_NOT_FOUND,       /* the container (or a file it names) does not exist */
  MOAT_ERR_WRONG_STATE,     /* the container's status does not allow the operation */
  MOAT_ERR_INVALID_CONFIG,  /* config.json, process.json or the options are wrong */
  MOAT_ERR_NOT_SUPPORTED,   /* this build or this host cannot do what is asked */
  MOAT_ERR_PERMISSION,      /* not allowed (EPERM, EACCES, refused by policy) */
};

typedef struct moat_error
{
  int errnum;                 /* errno that caused the failure, 0 if none */
  enum moat_error_kind kind;
  char *msg;                  /* the whole message, strerror text included */
} moat_error;

/* The kind of an error; MOAT_ERR_FAILED for NULL.  */
MOAT_PUBLIC enum moat_error_kind moat_error_kind (const moat_error *err);
MOAT_PUBLIC const char *moat_error_kind_name (enum moat_error_kind kind);
MOAT_PUBLIC void moat_error_free (moat_error **err);

/* ---- logging ---- */

enum moat_log_level { MOAT_LOG_ERROR = 0, MOAT_LOG_WARNING, MOAT_LOG_INFO, MOAT_LOG_DEBUG };
enum moat_log_format { MOAT_LOG_TEXT = 0, MOAT_LOG_JSON };

/* Where warnings go: appended to the file at path (created if missing)
   in the format given, or to stderr when path is NULL.  */
MOAT_PUBLIC int moat_log_init (const char *path, enum moat_log_format format,
                               enum moat_log_level level, moat_error **err);
/* With a log file, warnings are held until the operation succeeds
   (moat_log_flush) or fails (moat_log_discard: the file then gets only
   the error, which the caller writes).  */
MOAT_PUBLIC void moat_log_flush (void);
MOAT_PUBLIC void moat_log_discard (void);

/* ---- containers ---- */

enum moat_status
{
  MOAT_STATUS_CREATING = 0,
  MOAT_STATUS_CREATED,
  MOAT_STATUS_RUNNING,
  MOAT_STATUS_PAUSED,
  MOAT_STATUS_STOPPED,
};
MOAT_PUBLIC const char *moat_status_name (enum moat_status s);

struct moat_annotation
{
  char *key, *value;
};

/* A container's state (the OCI state, plus what moat records).  */
struct moat_state
{
  char *id;
  pid_t pid;                      /* host pid of the init process, 0 if none */
  unsigned long long start_time;  /* /proc/<pid>/stat field 22, detects pid reuse */
  char *bundle;
  char *rootfs;
  char *created;                  /* RFC 3339 */
  char *owner;
  char *cgroup_driver;            /* the cgroup driver's name, or NULL */
  char *cgroup_path;              /* absolute host path of the container's cgroup */
  char *cgroup_created_from;      /* first directory create made (removed at delete) */
  char *cgroup_created_from_v1;   /* the same in the v1 hierarchies, when above it */
  char *cgroup_invocation;        /* systemd driver: the InvocationID of the scope
                                     create started (only that unit is stopped) */
  bool no_new_keyring;            /* create kept the caller's keyring: so does exec */
  bool no_late_hooks;             /* the config has no poststart or poststop hook */
  bool no_process;                /* the config has no process: start refuses */
  char *notify_socket;            /* NOTIFY_SOCKET create was given (start relays
                                     READY=1 to it), or NULL */
  struct moat_annotation *annotations;
  size_t n_annotations;
  enum moat_status status;
  char *audit_log;                /* the audit trail create wrote to, or NULL */
  char *config_sha256;            /* SHA-256 of the config create read, hex */
};
MOAT_PUBLIC void moat_state_clear (struct moat_state *st);
/* The state as JSON: the OCI fields, and with full moat's own too.  */
MOAT_PUBLIC char *moat_state_to_json (const struct moat_state *st, bool full);
/* The public state, indented by two spaces (what `moat state` prints, as
   runc does).  */
MOAT_PUBLIC char *moat_state_to_json_indented (const struct moat_state *st);

/* Whether moat runs without the host's root (a rootless moat: no cgroup
   tree of its own unless delegated, its own ids mapped by itself, state
   under $XDG_RUNTIME_DIR): found out by default (euid not 0, or a user
   namespace that is not the host's), or forced, as `--rootless true`
   and `false` do.  Process-wide.  */
enum moat_rootless_mode
{
  MOAT_ROOTLESS_AUTO = 0,
  MOAT_ROOTLESS_TRUE,
  MOAT_ROOTLESS_FALSE,
};
MOAT_PUBLIC void moat_set_rootless_mode (enum moat_rootless_mode mode);

enum moat_cgroup_manager
{
  MOAT_CGROUP_CGROUPFS = 0,
  MOAT_CGROUP_SYSTEMD,
  MOAT_CGROUP_DISABLED,
};

/* The hardening policy (docs/policy.md): off, audit (each finding a
   warning, the container runs), enforce (create refuses a container
   with findings, naming every one) or harden (the safe fixes made to the
   config first, then as enforce).  */
enum moat_policy_mode
{
  MOAT_POLICY_OFF,
  MOAT_POLICY_AUDIT,
  MOAT_POLICY_ENFORCE,
  MOAT_POLICY_HARDEN,
};
struct moat_policy;
/* Read a policy file; path NULL: the default one (/etc/moat/policy.json
   as root, $XDG_CONFIG_HOME/moat/policy.json rootless), where a missing
   file gives the built-in policy (audit, every rule).  A malformed file
   is an error naming the key.  */
MOAT_PUBLIC int moat_policy_load (const char *path, struct moat_policy **out,
                                  moat_error **err);
/* The same from text; source names it in messages.  */
MOAT_PUBLIC int moat_policy_parse (const char *text, size_t len, const char *source,
                                   struct moat_policy **out, moat_error **err);
MOAT_PUBLIC enum moat_policy_mode moat_policy_mode (const struct moat_policy *p);
/* The audit trail the policy names (its audit.log), or NULL.  */
MOAT_PUBLIC const char *moat_policy_audit_log (const struct moat_policy *p);
MOAT_PUBLIC void moat_policy_free (struct moat_policy *p);

struct moat_context
{
  const char *state_root;                 /* where states live (--root) */
  enum moat_cgroup_manager cgroup_manager;
  /* Re-execute the whole program from a sealed in-memory copy of its
     binary (moat_reexec_from_sealed_copy with the program's argv); does
     not return on success.  create, run and exec run from such a copy:
     until its execve the container's init (or an exec'd process) is this
     program's binary, which a container process holding CAP_SYS_PTRACE
     over it could otherwise overwrite through /proc/<pid>/exe.  Without
     it they are refused, unless no_sealed_copy says the binary needs no
     protection.  */
  int (*reexec_sealed) (moat_error **err);
  /* The program's binary cannot be written by a container (a read-only
     mount, or no container can ever hold CAP_SYS_PTRACE over this
     program): run without the sealed copy.  */
  bool no_sealed_copy;
  /* The policy create checks the container's config against before
     anything is made (NULL: none).  Its audit findings go to the log
     when there is a log file, else to stderr only with
     policy_findings_to_stderr (run: engines call create and expect a
     quiet stderr).  */
  const struct moat_policy *policy;
  bool policy_findings_to_stderr;
  /* The audit trail (docs/policy.md): a JSON line per create, start,
     exec, kill and delete; NULL: the one create recorded in the
     container's state, if any.  create records it.  */
  const char *audit_log;
  /* A service manager's socket (the caller's NOTIFY_SOCKET): create gives
     the container a socket of its own for sd_notify, and start (or run)
     tells this one READY=1 and MAINPID when the container is ready
     (start and run -d return then).  NULL: none; start then uses the
     one create recorded.  */
  const char *notify_socket;
  /* The criu binary checkpoint and restore have libcriu run (runc's
     --criu); NULL: criu in $PATH.  */
  const char *criu_path;
};

/* The default state root: /run/moat as root (euid 0 outside a user
   namespace), $XDG_RUNTIME_DIR/moat otherwise.  Free it.  */
MOAT_PUBLIC char *moat_default_state_root (void);

/* True when this process already runs from a sealed copy.  */
MOAT_PUBLIC bool moat_running_sealed (void);
/* Copy /proc/self/exe into a memfd, seal it against every change, and
   fexecve it with argv; does not return on success.  */
MOAT_PUBLIC int moat_reexec_from_sealed_copy (char **argv, moat_error **err);

struct moat_create_options
{
  const char *id;
  const char *bundle;          /* NULL: current directory */
  const char *pid_file;        /* NULL: none */
  const char *console_socket;  /* NULL: none */
  bool no_pivot;
  bool no_new_keyring;
  unsigned preserve_fds;
  /* socket activation: the first listen_fds of the preserved fds are the
     caller's LISTEN_FDS; the process gets LISTEN_FDS=n and LISTEN_PID=1 */
  unsigned listen_fds;
  /* a user namespace for a config without one (create --userns auto);
     its ids, and those of a config with a user namespace but no
     mappings, come from the automatic ranges when run as root */
  bool userns_auto;
  /* learn a seccomp profile from this container's run: its calls are let
     through and written, as an OCI linux.seccomp object, to this file
     when its last process is gone (NULL: no) */
  const char *seccomp_learn;
  bool seccomp_learn_merge;    /* keep what an earlier profile there allows */
};

/* create: the container's init waits for `start` in status created.  */
MOAT_PUBLIC int moat_create (const struct moat_context *ctx,
                             const struct moat_create_options *o, moat_error **err);
/* start: make a created container run its process.  */
MOAT_PUBLIC int moat_start (const struct moat_context *ctx, const char *id,
                            moat_error **err);
/* run: create and start.  With detach, return once it runs; otherwise wait
   for it, store its exit status (128+N for signal N) in *status and,
   unless keep, delete it.  */
MOAT_PUBLIC int moat_run (const struct moat_context *ctx,
                          const struct moat_create_options *o, bool detach, bool keep,
                          int *status, moat_error **err);

struct moat_exec_options
{
  const char *id;
  const char *process_file;    /* --process: a process object */
  char **args;                 /* the command; NULL to take it from --process */
  bool tty, tty_set;           /* -t */
  bool detach;
  const char *pid_file;
  const char *console_socket;
  const char *cwd;
  char **env;                  /* -e: added to the process's env */
  bool has_user, has_gid;
  uint32_t uid, gid;
  uint32_t *additional_gids;
  size_t n_additional_gids;
  char **caps;                 /* --cap: added to bounding/effective/permitted */
  bool no_new_privs;
  const char *process_label, *apparmor;
  unsigned preserve_fds;
  bool ignore_paused;          /* exec into a paused container (it runs at resume) */
  const char *cgroup;          /* --cgroup: a sub-cgroup of the container's */
};

/* exec: run a process in a running container (all its namespaces and
   its cgroup).  Detached: write the pid file and return; otherwise wait
   and store its status in *status.  */
MOAT_PUBLIC int moat_exec (const struct moat_context *ctx,
                           const struct moat_exec_options *o, int *status,
                           moat_error **err);
struct moat_update_options
{
  const char *id;
  /* a linux.resources object (--resources), or NULL; its device rules, if
     any, must be the container's own (they cannot change) */
  const char *resources_json;
  size_t resources_len;
  /* runc's flags, each setting one member over the object's (NULL: not
     given).  Sizes in bytes, with an optional k, m or g suffix (1024s);
     -1 means unlimited where the member allows it.  */
  const char *memory, *memory_reservation, *memory_swap;
  const char *cpu_shares, *cpu_period, *cpu_quota, *cpu_burst;
  const char *cpu_rt_period, *cpu_rt_runtime, *cpuset_cpus, *cpuset_mems;
  const char *pids_limit, *blkio_weight;
};

/* update: change the limits of a created, running or paused container:
   what is given is applied (each limit where the host's cgroups hold it,
   as at create), or nothing is and the error names the member.  */
MOAT_PUBLIC int moat_update (const struct moat_context *ctx,
                             const struct moat_update_options *o, moat_error **err);
/* events: what runc's `events` prints, one JSON object per call of emit:
   {"type":"stats","id":ID,"data":{cpu, memory, pids, blkio, hugetlb}}
   once (stats_once), else every interval_ms until the container stops,
   with {"type":"oom","id":ID} as soon as (within a second) the OOM
   killer takes one of its processes.  */
MOAT_PUBLIC int moat_events (const struct moat_context *ctx, const char *id,
                             bool stats_once, unsigned interval_ms,
                             void (*emit) (const char *json, void *arg), void *arg,
                             moat_error **err);
/* ps: the host pids of the container's processes (free *pids).  */
MOAT_PUBLIC int moat_ps (const struct moat_context *ctx, const char *id, int **pids,
                         size_t *n, moat_error **err);
/* pause (freeze the cgroup) a running container, or resume a paused one.  */
MOAT_PUBLIC int moat_pause (const struct moat_context *ctx, const char *id, bool pause,
                            moat_error **err);
MOAT_PUBLIC int moat_kill (const struct moat_context *ctx, const char *id, int sig,
                           bool all, moat_error **err);
/* delete: force kills a running container first; force on a missing id
   succeeds.  */
MOAT_PUBLIC int moat_delete (const struct moat_context *ctx, const char *id, bool force,
                             moat_error **err);
/* The current state of one container (status refreshed).  */
MOAT_PUBLIC int moat_state (const struct moat_context *ctx, const char *id,
                            struct moat_state *out, moat_error **err);
/* Every container under the state root, sorted by id (free each with
   moat_state_clear, then the array).  */
MOAT_PUBLIC int moat_list (const struct moat_context *ctx, struct moat_state **out,
                           size_t *n, moat_error **err);

/* ---- checkpoint and restore (CRIU) ---- */

/* What checkpoint and restore both tell CRIU (runc's flags of the same
   names).  */
struct moat_criu_options
{
  const char *image_path;        /* the images' directory; NULL: ./checkpoint */
  const char *work_path;         /* CRIU's log and work files; NULL: image_path */
  const char *manage_cgroups_mode;  /* soft, full, strict or ignore; NULL: soft */
  const char *empty_ns;          /* "network": a namespace not taken, or NULL */
  bool tcp_established, ext_unix_sk, shell_job, file_locks, auto_dedup;
  bool lazy_pages;               /* checkpoint: serve the memory on the page
                                    server as it is asked for; restore: take
                                    it from CRIU's lazy-pages daemon */
};

struct moat_checkpoint_options
{
  const char *id;
  struct moat_criu_options criu;
  const char *parent_path;       /* a pre-dump's images, relative to image_path */
  bool leave_running;            /* the container runs on after the dump */
  bool pre_dump;                 /* memory only, the container runs on */
  const char *page_server;       /* "ADDRESS:PORT": the memory sent to a page
                                    server (with lazy_pages: served there) */
  bool status_fd_set;            /* with lazy_pages: a byte 0 written to
                                    status_fd once the page server is ready */
  int status_fd;
};

/* checkpoint: dump a running (or paused) container's processes into
   image_path; the container is stopped afterwards unless leave_running
   or pre_dump.  Not built with libcriu: a MOAT_ERR_NOT_SUPPORTED error.  */
MOAT_PUBLIC int moat_checkpoint (const struct moat_context *ctx,
                                 const struct moat_checkpoint_options *o,
                                 moat_error **err);

struct moat_restore_options
{
  /* id, bundle, pid_file, console_socket, no_pivot as for create (the
     rest must be left zero) */
  struct moat_create_options create;
  struct moat_criu_options criu;
  bool detach;                   /* return once restored */
  /* the restored processes' LSM label ("apparmor:NAME", "selinux:LABEL")
     and the context of their mounts, instead of the images' */
  const char *lsm_profile, *lsm_mount_context;
};

/* restore: a new container (cgroup, state) from the bundle, its
   processes restored from image_path, running where they stopped.  With
   detach, return then; otherwise wait for it as run does (its status in
   *status) and delete it.  */
MOAT_PUBLIC int moat_restore (const struct moat_context *ctx,
                              const struct moat_restore_options *o, int *status,
                              moat_error **err);

/* ---- about this build ---- */

/* JSON for `moat features` (free it).  */
MOAT_PUBLIC char *moat_features_json (void);
/* The feature line of --version: "+CAP +YAJL +SECCOMP -SELINUX ...".  */
MOAT_PUBLIC const char *moat_version_features (void);
/* The config.json `moat spec` writes, as text (free it): the hardened
   baseline (a user namespace moat maps at create, a user that is not
   root, the default seccomp profile, ...), the same for root and for a
   user without privileges but for the pids and memory limits, which it
   has only when not rootless and this host's cgroups have the
   controller.  */
MOAT_PUBLIC char *moat_spec_default_json (bool rootless);

#ifdef __cplusplus
}
#endif

#endif
