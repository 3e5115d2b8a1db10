/* Container-side and parent-side Linux setup steps.  Every function does
   one thing and says what failed.  */
#ifndef MOAT_LINUX_H
#define MOAT_LINUX_H

#include <stdbool.h>
#include <sys/types.h>
#include "../error.h"
#include "../spec/spec.h"

/* ns.c */
unsigned long long moat_ns_clone_flag (enum moat_ns_type t);
/* Write one id map file ("uid_map", "gid_map") of pid.  */
int moat_write_id_map (pid_t pid, const char *file, const struct moat_idmap *m, size_t n,
                       moat_error **err);
/* Write uid_map, setgroups and gid_map of pid (parent side).  */
int moat_write_id_maps (pid_t pid, const struct moat_spec *s, moat_error **err);
/* Open the namespace files named by path (fds[i] = -1 when none).  */
int moat_ns_open_paths (const struct moat_spec *s, int fds[MOAT_NS_COUNT],
                        moat_error **err);
int moat_ns_join (int fd, enum moat_ns_type t, const char *path, moat_error **err);
int moat_ns_write_time_offsets (const struct moat_spec *s, moat_error **err);

/* caps.c */
/* Check every capability name in the spec; unknown names are errors.  */
int moat_caps_validate (const struct moat_spec *s, moat_error **err);
/* Drop the bounding set and switch to the process user, keeping the
   capabilities the spec asks for.  */
int moat_caps_and_user_apply (const struct moat_spec *s, moat_error **err);

/* process.c */
int moat_apply_rlimits (const struct moat_spec *s, moat_error **err);
int moat_apply_hostname (const struct moat_spec *s, moat_error **err);
/* process.scheduler and process.ioPriority (before capabilities drop).  */
int moat_apply_scheduling (const struct moat_spec *s, moat_error **err);
/* A cpu list ("0-3,7") as this process's affinity; NULL does nothing.  */
int moat_apply_cpu_affinity (const char *list, const char *field, moat_error **err);
int moat_apply_personality (const struct moat_spec *s, moat_error **err);
/* Find args[0] in the container: as given when it holds a '/', otherwise
   in the PATH of process.env.  Returns a newly allocated path.  */
char *moat_find_executable (const struct moat_spec *s, moat_error **err);

/* seccomp.c */
struct moat_seccomp_filter;
struct moat_seccomp_filter *moat_seccomp_compile (const struct moat_spec *s,
                                                  moat_error **err);
int moat_seccomp_load (struct moat_seccomp_filter *f, moat_error **err);
void moat_seccomp_free (struct moat_seccomp_filter *f);

/* terminal.c */
struct moat_terminal
{
  int master, slave;
  char name[32];          /* "/dev/pts/N" inside the container */
};
/* Make a pty from the container's devpts and bind it on /dev/console.  */
int moat_terminal_create (int rootfd, const struct moat_spec *s, bool bind_console,
                          struct moat_terminal *t, moat_error **err);
int moat_terminal_attach (struct moat_terminal *t, moat_error **err);
/* One message with a non-empty payload and exactly one SCM_RIGHTS fd.  */
int moat_send_fd (int sock, int fd, const char *payload, moat_error **err);
/* Receive a message and at most one fd (-1 when none).  */
int moat_recv_fd (int sock, char *buf, size_t size, ssize_t *len, int *fd);

/* resolve.c: paths inside the root, never leaving it */
int moat_open_in_root (int rootfd, const char *path, int flags);
/* Open `path` inside the root, creating what is missing (directories, or
   for the last component an empty file when `file`); an O_PATH fd.  */
int moat_make_in_root (int rootfd, const char *path, bool file, moat_error **err);

/* devices.c */
int moat_make_default_devices (int rootfd, bool in_userns, moat_error **err);
int moat_make_config_device (int rootfd, const struct moat_device *d, bool in_userns,
                        moat_error **err);

/* rootfs.c */
struct moat_rootfs_opts
{
  const char *rootfs;     /* absolute host path */
  const char *bundle;     /* absolute host path, for relative bind sources */
  bool no_pivot;
  bool in_userns;         /* device nodes are bind mounted, not created */
  struct moat_terminal *terminal;  /* made when non-NULL */
  const int *idmap_fds;   /* per mount: a prepared idmapped tree, or -1; may be NULL */
  const char *mount_label;  /* linux.mountLabel */
  /* called when the container's mounts are ready, before pivot_root
     (createRuntime / createContainer hooks) */
  int (*before_pivot) (void *data, moat_error **err);
  void *data;
};
/* Parent side, before clone3: detached, idmapped copies of the mounts that
   ask for it (fds[i], -1 for the others; *fds NULL when there are none).  */
int moat_idmapped_mounts_prepare (const struct moat_spec *s, const char *bundle,
                                  int **fds, moat_error **err);
int moat_rootfs_setup (const struct moat_spec *s, const struct moat_rootfs_opts *o,
                       moat_error **err);

#endif
