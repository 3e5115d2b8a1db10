/* Container-side and parent-side Linux setup steps.  Every function does
   one thing and says what failed.  */
#ifndef MOAT_LINUX_H
#define MOAT_LINUX_H

#include <stdbool.h>
#include <sched.h>
#include <sys/types.h>
#include "../error.h"
#include "../fault.h"
#include "../spec/spec.h"

struct moat_plan;
struct moat_mount_plan;
struct moat_mount_opts;
struct moat_capsets;
struct moat_bpf;

/* ns.c */
unsigned long long moat_ns_clone_flag (enum moat_ns_type t);
/* Why clone3/unshare with FLAGS may have failed with ERRNUM, from the
   host's settings (user namespaces disabled, a limit reached, ...), or
   NULL when there is nothing to add.  */
const char *moat_ns_clone_hint (int errnum, unsigned long long flags, bool rootless);
int moat_ns_join (int fd, enum moat_ns_type t, const char *path, moat_error **err);
int moat_ns_write_time_offsets (const struct moat_spec *s, moat_error **err);

/* lsm.c: AppArmor enabled on this host (the module on, its securityfs
   there); the profile the next execve enters (process.apparmorProfile;
   NULL or "" does nothing).  */
bool moat_apparmor_enabled (void);
/* The AppArmor exec attribute of this thread, opened for writing (-1,
   with *err set, on failure; -1 without an error for no profile).  */
int moat_apparmor_open_exec_attr (const char *profile, moat_error **err);
/* Write "exec PROFILE" to it: the profile of the next execve.  */
int moat_apparmor_exec_profile (int attr_fd, const char *profile, moat_error **err);

/* selinux.c: SELinux enabled on this host (selinuxfs mounted).  */
bool moat_selinux_enabled (void);
/* LABEL is a context the loaded policy knows (libselinux, loaded now);
   WHAT names the setting in errors.  */
int moat_selinux_check_context (const char *what, const char *label, moat_error **err);
/* This thread's SELinux attribute ATTR ("exec", "keycreate"), opened for
   writing; LABEL written to it.  */
int moat_selinux_open_attr (const char *attr, const char *what, moat_error **err);
int moat_selinux_write_attr (int fd, const char *attr, const char *label, const char *what,
                             moat_error **err);

/* idmaps.c */
/* Write one id map file ("uid_map", "gid_map") of pid, directly.  */
int moat_write_id_map (pid_t pid, const char *file, const struct moat_idmap *m, size_t n,
                       moat_error **err);
/* Write uid_map and gid_map of pid (parent side): directly where moat
   may (CAP_SETUID/CAP_SETGID, or only its own id, setgroups then denied),
   through newuidmap/newgidmap otherwise.  */
int moat_write_id_maps (pid_t pid, const struct moat_spec *s, moat_error **err);
/* The maps pid's user namespace has, into s (an automatic mapping is
   not in the container's config).  */
int moat_read_id_maps (pid_t pid, struct moat_spec *s, moat_error **err);
/* The first subordinate range of the user (by uid or name) in FILE
   (/etc/subuid, /etc/subgid); -1 if it has none.  */
/* fn for each well-formed line "who:start:count" of FILE (/etc/subuid,
   /etc/subgid), until it returns false; -1 when FILE cannot be read.  */
int moat_subid_each (const char *file,
                     bool (*fn) (const char *who, uint32_t start, uint32_t count,
                                 void *data),
                     void *data);
int moat_subid_range (const char *file, uid_t id, const char *name, uint32_t *start,
                      uint32_t *count);
/* NAME in an absolute directory of $PATH (a default one when unset),
   executable; NULL if none.  */
char *moat_find_program (const char *name);

/* caps.c: drop the bounding set and switch to the process user, keeping
   the capabilities of the sets.  */
int moat_caps_and_user_apply (const struct moat_spec *s, const struct moat_capsets *c,
                              int last_cap, moat_error **err);

/* process.c */
int moat_apply_rlimits (const struct moat_spec *s, moat_error **err);
int moat_apply_hostname (const struct moat_spec *s, moat_error **err);
/* process.scheduler and process.ioPriority (before capabilities drop).  */
int moat_apply_scheduling (const struct moat_spec *s, moat_error **err);
/* A cpu (or memory node) list ("0-3,7") as a set; field names it in
   errors.  */
int moat_cpu_list_parse (const char *list, const char *field, cpu_set_t *set,
                         moat_error **err);
/* A cpu list ("0-3,7") as this process's affinity; NULL does nothing.  */
int moat_apply_cpu_affinity (const char *list, const char *field, moat_error **err);
int moat_apply_personality (const struct moat_spec *s, moat_error **err);
/* The home directory of uid in /etc/passwd (of this process's root), or
   NULL (passwd.c).  Free it.  */
char *moat_passwd_home (uid_t uid);
/* A cgroup mount without a cgroup namespace of the container's own: its
   own cgroup bound in place of the whole hierarchy.  */
/* cgroup-mount.c: a `cgroup` mount of the config.  With a cgroup
   namespace of the container's own, the hierarchies as that namespace
   shows them; without, the container's own cgroup bound (a new mount
   would show every cgroup of the host).  On a hybrid host, a tmpfs with
   each v1 hierarchy and the unified one below it, as /sys/fs/cgroup is
   on the host.  */
int moat_mount_cgroup (int rootfd, const struct moat_mount_plan *p, bool own_cgroupns,
                       moat_error **err);
/* Copy the directory tree from into to, both directory fds (copyup.c).  */
int moat_copy_tree (int from, int to, moat_error **err);
/* Bring up "lo" in this (new) network namespace (net.c).  */
int moat_loopback_up (moat_error **err);
/* True when this process is in the host's (the initial) user namespace.  */
bool moat_in_initial_userns (void);
/* Without the host's root: not uid 0, or uid 0 of a user namespace that
   is not the host's (rootless Podman runs its runtime so); or as forced
   by moat_set_rootless_mode.  */
bool moat_running_rootless (void);
/* Really without the host's root (whatever --rootless says): what decides
   whether running without a cgroup or a device filter is allowed.  */
bool moat_without_host_root (void);
/* A session keyring of the container's own, "moat-<id>": the kernel
   keyring is not namespaced, and the caller's keys must not be reachable.
   Failing to join one fails (a kernel without keyrings aside).  */
int moat_join_session_keyring (const char *id, moat_error **err);
/* Find args[0] in the container: as given when it holds a '/', otherwise
   in the PATH of process.env.  Returns a newly allocated path.  */
char *moat_find_executable (const struct moat_spec *s, moat_error **err);

/* seccomp.c (compiling is part of the plan, plan.h) */
int moat_seccomp_load (const struct moat_bpf *b, int *listener, moat_error **err);

/* terminal.c */
struct moat_terminal
{
  int master, slave;
  char name[32];          /* "/dev/pts/N" inside the container */
};
/* Make a pty from the container's devpts and bind it on /dev/console.  */
int moat_terminal_create (int rootfd, const struct moat_spec *s, bool bind_console,
                          struct moat_terminal *t, moat_error **err);
/* The slave as stdio and, with control, as the controlling terminal.  */
int moat_terminal_attach (struct moat_terminal *t, bool control, moat_error **err);
/* setsid and take fd 0 as the controlling terminal.  */
int moat_terminal_take_control (moat_error **err);
/* Just before the process is executed: while the window size of the
   terminal on fd is 0x0, wait (up to max_ms) for whoever holds the master
   to set it.  Engines set it after create, racing with start (conmon,
   from podman's attach): a program that reads it at once, a shell's line
   editor or stty, would get 0x0.  Setting it sends SIGWINCH to the
   terminal's foreground group, this process's, which ends the wait; a
   terminal whose size is never set costs max_ms.  Best effort: a call
   the seccomp filter refuses ends it.  */
void moat_terminal_wait_size (int fd, int max_ms);
#define MOAT_TERMINAL_SIZE_WAIT_MS 200

/* resolve.c: paths inside the root, never leaving it */
int moat_open_in_root (int rootfd, const char *path, int flags);
/* Open `path` inside the root, creating what is missing (directories, or
   for the last component an empty file when `file`); an O_PATH fd.  */
int moat_make_in_root (int rootfd, const char *path, bool file, moat_error **err);

/* devices.c */
int moat_make_default_devices (int rootfd, bool in_userns, moat_error **err);
int moat_link_ptmx (int rootfd, moat_error **err);
int moat_make_config_device (int rootfd, const struct moat_device *d, bool in_userns,
                             moat_error **err);

/* mount.c */
int moat_set_propagation_fd (int fd, unsigned long prop);
/* MOUNT_ATTR_* of MS_* flags; *clear: the atime bits to clear first.  */
unsigned long long moat_mount_attrs_from_flags (unsigned long flags,
                                                unsigned long long *clear);
/* Bind `source` (a host path) onto the fd `target`.  */
int moat_bind_mount_fd (const char *source, int target, const struct moat_mount_opts *o,
                        moat_error **err);
/* One mount of the plan, its target resolved inside the root.  A procfs
   is for the pid namespace pidns_fd when it is not -1.  */
int moat_mount_one (int rootfd, const struct moat_mount_plan *p, int pidns_fd,
                    moat_error **err);
/* Can this kernel mount a procfs for the pid namespace pidns_fd from
   outside it (the pidns= option, Linux 6.17)?  */
bool moat_proc_takes_pidns (int pidns_fd);
/* A procfs filesystem context (an fsopen fd, not yet created) for the
   pid namespace pidns_fd, which this process is not in (procfs.c).  */
int moat_procfs_context (int pidns_fd, moat_error **err);
/* Parent side, before clone3: the root filesystem as a detached tree,
   which the init attaches by fd (the container's root may not be allowed
   to walk the host's path to it), idmapped with the container's mappings
   so that its files owned by the host's 0 are the container's root's.
   Where the idmap cannot be made (a filesystem without idmapped mounts)
   the tree is returned as it is and *not_idmapped says why.  */
int moat_rootfs_tree_prepare (const struct moat_spec *s, const char *rootfs,
                              moat_error **not_idmapped, moat_error **err);
/* A detached copy of the directory path (under dirfd) for a bind mount
   moat makes itself, cut from the host's propagation; the init attaches
   it as a prepared mount (moat_mount_plan.idmap_fd).  */
int moat_bind_tree_prepare (int dirfd, const char *path, moat_error **err);
/* Parent side, before clone3: detached, idmapped copies of the mounts that
   ask for it (their idmap_fd).  */
int moat_idmapped_mounts_prepare (const struct moat_spec *s, struct moat_mount_plan *mounts,
                                  moat_error **err);

/* rootfs.c */
struct moat_rootfs_opts
{
  struct moat_terminal *terminal;  /* made when non-NULL */
  /* called when the container's mounts are ready, before pivot_root
     (createRuntime / createContainer hooks) */
  int (*before_pivot) (void *data, moat_error **err);
  void *data;
};
int moat_rootfs_setup (const struct moat_plan *p, const struct moat_rootfs_opts *o,
                       moat_error **err);

#endif
