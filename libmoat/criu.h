/* What checkpoint (checkpoint.c) and restore (restore.c) share: libcriu's
   options made from moat's, the images' directory, the record moat keeps
   beside CRIU's images, and CRIU's failures explained from its log.
   Built with libcriu only.  */
#ifndef MOAT_CRIU_H
#define MOAT_CRIU_H

#include <stdbool.h>
#include <criu/criu.h>
#include "moat.h"
#include "error.h"

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
