/* What checkpoint (checkpoint.c) and restore (restore.c) share: libcriu's
   options made from moat's, the images' directory, the record moat keeps
   beside CRIU's images, and CRIU's failures explained from its log.
   Built with libcriu only.  */
#ifndef MOAT_CRIU_H
#define MOAT_CRIU_H

#include <stdbool.h>
#include <criu/criu.h>
#include <criu/rpc.pb-c.h>
#include <sys/types.h>

/* libcriu's message code (rpc.pb-c.h), loaded with dlopen by
   moat_criu_lib_load (criu-lib.c) when checkpoint or restore first needs
   it: linked, libcriu and libprotobuf-c would be loaded by every
   command.  The code calls the functions by their names, which stand for
   the loaded pointers.  The conversation with criu is moat's own
   (criu-rpc.c).  */
#define MOAT_CRIU_FUNCTIONS(X) \
  X (criu_req__init) \
  X (criu_req__get_packed_size) \
  X (criu_req__pack) \
  X (criu_resp__unpack) \
  X (criu_resp__free_unpacked) \
  X (criu_opts__init) \
  X (criu_features__init) \
  X (criu_page_server_info__init) \
  X (ext_mount_map__init) \
  X (inherit_fd__init) \
  X (cgroup_root__init)

struct moat_criu_lib
{
#define MOAT_CRIU_FIELD(f) __typeof__ (f) *f;
  MOAT_CRIU_FUNCTIONS (MOAT_CRIU_FIELD)
#undef MOAT_CRIU_FIELD
};
extern struct moat_criu_lib moat_criu_lib;

#ifndef MOAT_CRIU_LIB_LOADER
#define criu_req__init (*moat_criu_lib.criu_req__init)
#define criu_req__get_packed_size (*moat_criu_lib.criu_req__get_packed_size)
#define criu_req__pack (*moat_criu_lib.criu_req__pack)
#define criu_resp__unpack (*moat_criu_lib.criu_resp__unpack)
#define criu_resp__free_unpacked (*moat_criu_lib.criu_resp__free_unpacked)
#define criu_opts__init (*moat_criu_lib.criu_opts__init)
#define criu_features__init (*moat_criu_lib.criu_features__init)
#define criu_page_server_info__init (*moat_criu_lib.criu_page_server_info__init)
#define ext_mount_map__init (*moat_criu_lib.ext_mount_map__init)
#define inherit_fd__init (*moat_criu_lib.inherit_fd__init)
#define cgroup_root__init (*moat_criu_lib.cgroup_root__init)
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
  bool net_empty;                 /* --empty-ns network: the images hold no
                                     network namespace's contents */
  struct moat_criu_ext *ext;
  size_t n_ext;
  char *stdio[3];                 /* CRIU's keys of the init's fds 0-2 to give
                                     at restore ("pipe:[N]", "file[M:I]"), or
                                     NULL */
};

/* mountinfo's octal escapes (\040 for a space) undone in place.  */
void moat_criu_unescape (char *s);
/* A config's mount destination and a mount point (as mountinfo or the
   record gives it) are the same path, trailing slashes aside.  */
bool moat_criu_same_path (const char *dest, const char *mnt);

void moat_criu_record_clear (struct moat_criu_record *r);
int moat_criu_record_write (int images_fd, const struct moat_criu_record *r,
                            moat_error **err);
int moat_criu_record_read (int images_fd, const char *image_path,
                           struct moat_criu_record *r, moat_error **err);

/* Open the directory of flag (--image-path, --work-path) at path; with
   create, make it (0700, parents too) when missing.  */
int moat_criu_open_dir (const char *flag, const char *path, bool create, int *fd,
                        moat_error **err);

/* ---- CRIU's RPC (criu-rpc.c) ---- */

/* A request's options, moat's to fill and free (the helpers below copy
   what they are given).  */
CriuOpts *moat_criu_opts_alloc (void);
void moat_criu_opts_free (CriuOpts *o);
void moat_criu_set_str (char **field, const char *value);
void moat_criu_add_external (CriuOpts *o, const char *key);
void moat_criu_add_ext_mount (CriuOpts *o, const char *key, const char *val);
void moat_criu_add_inherit_fd (CriuOpts *o, int fd, const char *key);
void moat_criu_add_cg_root (CriuOpts *o, const char *ctrl, const char *path);
void moat_criu_set_page_server (CriuOpts *o, const char *address, int port);
/* A boolean option set (CRIU takes an unset one as its default).  */
#define MOAT_CRIU_SET(o, field, v) ((o)->has_##field = true, (o)->field = (v))

/* What moat does with CRIU's notifications: script is the action
   ("setup-namespaces", "orphan-pts-master", "status-ready", ...), pid the
   task it is about, fd one CRIU sent with it (-1; closed after the
   call).  Non-zero fails the request, with *err the reason.  */
struct moat_criu_notify
{
  int (*fn) (void *data, const char *script, pid_t pid, int fd, moat_error **err);
  void *data;
};

/* One request of type to `binary swrk`, notifications answered through
   cb (NULL: each taken as done); *out is the last answer (free it with
   criu_resp__free_unpacked), whatever it says.  -1 when the conversation
   failed, or cb did (its error then).  */
int moat_criu_call (const char *binary, CriuReqType type, CriuOpts *opts,
                    CriuFeatures *features, const struct moat_criu_notify *cb,
                    CriuResp **out, moat_error **err);
/* criu's version, as 31701 for 3.17.1.  */
int moat_criu_version (const char *binary, int *version, moat_error **err);
/* Whether criu can serve and take lazy pages on this kernel.  */
int moat_criu_has_lazy_pages (const char *binary, bool *has, moat_error **err);

/* ---- a request of checkpoint or restore (criu.c) ---- */

struct moat_criu
{
  const char *binary;   /* ctx->criu_path, or criu in $PATH */
  int version;
  CriuOpts *opts;
  /* where CRIU's log is, for its errors */
  int work_fd;
  const char *work_path, *log;
};

/* The binary's version checked (before any directory is made), the
   flags of o checked and made options.  */
int moat_criu_open (const struct moat_context *ctx, const struct moat_criu_options *o,
                    struct moat_criu *c, moat_error **err);
void moat_criu_close (struct moat_criu *c);
/* The images and work directories (fds of this process; the work
   directory's path for errors), the log's name in the work directory.  */
void moat_criu_dirs (struct moat_criu *c, int images_fd, int work_fd,
                     const char *work_path, const char *log);
/* The request made (DUMP, PRE_DUMP, RESTORE; what names it in errors);
   a failure explained with the first error line of CRIU's log.  For a
   restore, *restored is the restored tree's first process.  */
int moat_criu_run (struct moat_criu *c, CriuReqType type, const char *what,
                   const struct moat_criu_notify *cb, pid_t *restored, moat_error **err);

#endif
