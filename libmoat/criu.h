/* What checkpoint (checkpoint.c) and restore (restore.c) share: libcriu's
   options made from moat's, the images' directory, the record moat keeps
   beside CRIU's images, and CRIU's failures explained from its log.
   Built with libcriu only.  */
#ifndef MOAT_CRIU_H
#define MOAT_CRIU_H

#include <stdbool.h>
#include <criu/criu.h>

/* libcriu's functions, loaded with dlopen by moat_criu_lib_load
   (criu-lib.c) when checkpoint or restore first needs them: linked,
   libcriu and libprotobuf-c would be loaded by every command.  The code
   calls them by their names, which stand for the loaded pointers.  */
#define MOAT_CRIU_FUNCTIONS(X) \
  X (criu_local_init_opts) \
  X (criu_local_free_opts) \
  X (criu_local_get_version) \
  X (criu_local_set_service_binary) \
  X (criu_local_set_log_level) \
  X (criu_local_set_log_file) \
  X (criu_local_set_manage_cgroups) \
  X (criu_local_set_manage_cgroups_mode) \
  X (criu_local_set_tcp_established) \
  X (criu_local_set_ext_unix_sk) \
  X (criu_local_set_shell_job) \
  X (criu_local_set_file_locks) \
  X (criu_local_set_auto_dedup) \
  X (criu_local_set_images_dir_fd) \
  X (criu_local_set_work_dir_fd) \
  X (criu_local_set_parent_images) \
  X (criu_local_set_pid) \
  X (criu_local_set_leave_running) \
  X (criu_local_set_track_mem) \
  X (criu_local_set_freeze_cgroup) \
  X (criu_local_set_root) \
  X (criu_local_set_orphan_pts_master) \
  X (criu_local_set_notify_cb) \
  X (criu_local_add_cg_root) \
  X (criu_local_add_ext_mount) \
  X (criu_local_add_external) \
  X (criu_local_add_inherit_fd) \
  X (criu_local_dump) \
  X (criu_local_pre_dump) \
  X (criu_local_restore_child) \
  X (criu_get_orphan_pts_master_fd) \
  X (criu_notify_pid)

struct moat_criu_lib
{
#define MOAT_CRIU_FIELD(f) __typeof__ (f) *f;
  MOAT_CRIU_FUNCTIONS (MOAT_CRIU_FIELD)
#undef MOAT_CRIU_FIELD
};
extern struct moat_criu_lib moat_criu_lib;

#ifndef MOAT_CRIU_LIB_LOADER
#define criu_local_init_opts (*moat_criu_lib.criu_local_init_opts)
#define criu_local_free_opts (*moat_criu_lib.criu_local_free_opts)
#define criu_local_get_version (*moat_criu_lib.criu_local_get_version)
#define criu_local_set_service_binary (*moat_criu_lib.criu_local_set_service_binary)
#define criu_local_set_log_level (*moat_criu_lib.criu_local_set_log_level)
#define criu_local_set_log_file (*moat_criu_lib.criu_local_set_log_file)
#define criu_local_set_manage_cgroups (*moat_criu_lib.criu_local_set_manage_cgroups)
#define criu_local_set_manage_cgroups_mode (*moat_criu_lib.criu_local_set_manage_cgroups_mode)
#define criu_local_set_tcp_established (*moat_criu_lib.criu_local_set_tcp_established)
#define criu_local_set_ext_unix_sk (*moat_criu_lib.criu_local_set_ext_unix_sk)
#define criu_local_set_shell_job (*moat_criu_lib.criu_local_set_shell_job)
#define criu_local_set_file_locks (*moat_criu_lib.criu_local_set_file_locks)
#define criu_local_set_auto_dedup (*moat_criu_lib.criu_local_set_auto_dedup)
#define criu_local_set_images_dir_fd (*moat_criu_lib.criu_local_set_images_dir_fd)
#define criu_local_set_work_dir_fd (*moat_criu_lib.criu_local_set_work_dir_fd)
#define criu_local_set_parent_images (*moat_criu_lib.criu_local_set_parent_images)
#define criu_local_set_pid (*moat_criu_lib.criu_local_set_pid)
#define criu_local_set_leave_running (*moat_criu_lib.criu_local_set_leave_running)
#define criu_local_set_track_mem (*moat_criu_lib.criu_local_set_track_mem)
#define criu_local_set_freeze_cgroup (*moat_criu_lib.criu_local_set_freeze_cgroup)
#define criu_local_set_root (*moat_criu_lib.criu_local_set_root)
#define criu_local_set_orphan_pts_master (*moat_criu_lib.criu_local_set_orphan_pts_master)
#define criu_local_set_notify_cb (*moat_criu_lib.criu_local_set_notify_cb)
#define criu_local_add_cg_root (*moat_criu_lib.criu_local_add_cg_root)
#define criu_local_add_ext_mount (*moat_criu_lib.criu_local_add_ext_mount)
#define criu_local_add_external (*moat_criu_lib.criu_local_add_external)
#define criu_local_add_inherit_fd (*moat_criu_lib.criu_local_add_inherit_fd)
#define criu_local_dump (*moat_criu_lib.criu_local_dump)
#define criu_local_pre_dump (*moat_criu_lib.criu_local_pre_dump)
#define criu_local_restore_child (*moat_criu_lib.criu_local_restore_child)
#define criu_get_orphan_pts_master_fd (*moat_criu_lib.criu_get_orphan_pts_master_fd)
#define criu_notify_pid (*moat_criu_lib.criu_notify_pid)
#endif
#include "moat.h"
#include "error.h"

/* Load libcriu, once; an error says why it cannot be.  */
int moat_criu_lib_load (moat_error **err);

/* The oldest CRIU moat drives: 3.15 (what configure asks of libcriu).  */
#define MOAT_CRIU_MIN_VERSION 31500

/* The record's file, beside CRIU's images.  */
#define MOAT_CRIU_RECORD "moat-checkpoint.json"
/* The config of the container checkpointed, beside it.  */
#define MOAT_CRIU_CONFIG "moat-config.json"

/* The keys under which namespaces joined by path are external.  */
#define MOAT_CRIU_NET_KEY "moat-net"
#define MOAT_CRIU_PID_KEY "moat-pid"

/* A mount CRIU takes as external: not in the images, bound again from
   the host at restore.  */
enum moat_criu_ext_kind
{
  MOAT_CRIU_EXT_BIND,   /* a bind mount of the config: its source */
  MOAT_CRIU_EXT_NODE,   /* a host device node bound (a masked file, a device
                           in a user namespace): /dev/<name> */
};

struct moat_criu_ext
{
  char *key;            /* the mount point in the container */
  enum moat_criu_ext_kind kind;
  char *node;           /* MOAT_CRIU_EXT_NODE: the host's node, "/dev/null" */
};

/* What moat records of a checkpoint: enough for restore to map what
   CRIU left external back onto the host, and to tell an image of
   another kind of container.  */
struct moat_criu_record
{
  char *id;                       /* the container checkpointed */
  bool terminal;                  /* its process has a terminal */
  bool net_external, pid_external;  /* joined by path: given back at restore */
  struct moat_criu_ext *ext;
  size_t n_ext;
  char *stdio[3];                 /* CRIU's keys of the init's fds 0-2 to give
                                     at restore ("pipe:[N]", "file[M:I]"), or
                                     NULL */
};

void moat_criu_record_clear (struct moat_criu_record *r);
int moat_criu_record_write (int images_fd, const struct moat_criu_record *r,
                            moat_error **err);
int moat_criu_record_read (int images_fd, const char *image_path,
                           struct moat_criu_record *r, moat_error **err);

/* Open the directory of flag (--image-path, --work-path) at path; with
   create, make it (0700, parents too) when missing.  */
int moat_criu_open_dir (const char *flag, const char *path, bool create, int *fd,
                        moat_error **err);

/* libcriu's options: the binary (ctx->criu_path), its version checked
   (before any directory is made), and the flags of o.  */
int moat_criu_opts_new (const struct moat_context *ctx, const struct moat_criu_options *o,
                        criu_opts **out, moat_error **err);
/* The images and work directories (fds of this mount namespace), the
   log's name in the work directory.  */
int moat_criu_opts_dirs (criu_opts *opts, int images_fd, int work_fd, const char *log,
                         moat_error **err);

/* A failed libcriu call (its return value ret): the error, with the
   first error line of CRIU's log.  */
int moat_criu_failed (int ret, int work_fd, const char *work_path, const char *log,
                      const char *what, moat_error **err);

#endif
