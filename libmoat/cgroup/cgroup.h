/* The cgroup manager: one interface, one driver per way of managing
   cgroups.  create, run, exec and the commands on a running container
   only talk to the interface; a driver records in state.json which one it
   is, so later commands get the same one back.  The drivers: cgroupfs on
   the unified (v2) hierarchy (v2.c), and on a hybrid host cgroupfs on the
   unified hierarchy at /sys/fs/cgroup/unified plus the v1 hierarchies for
   the limits of the controllers bound there (hybrid.c).  */
#ifndef MOAT_CGROUP_H
#define MOAT_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include "../error.h"
#include "../spec/spec.h"

struct moat_cgroup_driver;
struct moat_cgroup_stats;

/* One container's cgroup.  */
struct moat_cgroup
{
  const struct moat_cgroup_driver *driver;  /* NULL: the container has no cgroup */
  char *path;          /* absolute host path of the container's cgroup */
  char *created_from;  /* first directory create made (removed at delete), or NULL */
  /* a hybrid host: the shallowest directory (relative to a hierarchy's
     root) create makes in a v1 hierarchy, when it is above created_from
     there (the unified parent existed, a v1 one did not); or NULL */
  char *created_from_v1;
  /* the systemd driver: the InvocationID (hex) of the scope this
     container's create started, or NULL; a unit of the same name with
     another one is not the container's, and is never stopped */
  char *invocation;
  int dirfd;           /* O_RDONLY|O_DIRECTORY, for CLONE_INTO_CGROUP; -1 */
};

struct moat_cgroup_driver
{
  const char *name;    /* recorded in state.json */
  /* The cgroup exists only once attach has put the first process in it
     (systemd's scopes): the limits are applied after attach, while the
     init still waits, rather than before it is born.  */
  bool made_by_attach;
  /* Decide where the container's cgroup goes, changing nothing: the
     result is recorded in the state before anything is made, so that
     delete can clean up after a create that died half-way.  A NULL path
     with no error: the container runs without a cgroup.  */
  int (*locate) (const char *cgroups_path, const char *id, struct moat_cgroup *cg,
                 moat_error **err);
  /* True when it exists and has processes (someone else's: a create
     must not take it).  */
  bool (*in_use) (const struct moat_cgroup *cg);
  /* Make it (or take an existing empty one) and open it: when the
     driver can have processes born in it (CLONE_INTO_CGROUP), cg->dirfd
     is the fd for that, else -1 and the runtime calls attach.  */
  int (*create) (struct moat_cgroup *cg, moat_error **err);
  /* An fd to be born in an existing cgroup with CLONE_INTO_CGROUP, or -1
     (with no error) when the driver places processes with attach.  */
  int (*clone_fd) (const struct moat_cgroup *cg, moat_error **err);
  /* Move a process that was born elsewhere in (a driver whose cgroup
     is made by attach records what it made in cg).  */
  int (*attach) (struct moat_cgroup *cg, pid_t pid, moat_error **err);
  /* Apply linux.resources before the init is born in it (after attach
     for a driver whose cgroup is made by attach).  */
  int (*apply) (struct moat_cgroup *cg, const struct moat_spec *s, moat_error **err);
  /* Change the limits of a running container (what r sets; the rest
     stays); NULL: not supported.  */
  int (*update) (struct moat_cgroup *cg, const struct moat_resources *r, moat_error **err);
  /* Usage figures (cpu, memory, pids, I/O, huge pages, OOM kills) into s
     (cleared by the caller); NULL: not supported.  */
  int (*stats) (const struct moat_cgroup *cg, struct moat_cgroup_stats *s, moat_error **err);
  /* Freeze or thaw, waiting until the kernel says it is done.  */
  int (*freeze) (const struct moat_cgroup *cg, bool freeze, moat_error **err);
  bool (*frozen) (const struct moat_cgroup *cg);
  /* Send sig to every process of the cgroup.  */
  int (*kill) (const struct moat_cgroup *cg, int sig, moat_error **err);
  /* Host pids of its processes.  */
  int (*pids) (const struct moat_cgroup *cg, int **pids, size_t *n, moat_error **err);
  /* Kill what is left and remove what create made.  */
  int (*destroy) (struct moat_cgroup *cg, moat_error **err);
};

/* The driver for --cgroup-manager; NULL for disabled.  */
int moat_cgroup_driver_for (enum moat_cgroup_manager m,
                            const struct moat_cgroup_driver **out, moat_error **err);
/* The cgroup recorded in a state: the driver by name, the path and how
   far up create made directories.  */
struct moat_state;
int moat_cgroup_from_state (const struct moat_state *st, struct moat_cgroup *cg,
                            moat_error **err);
void moat_cgroup_release (struct moat_cgroup *cg);
/* exec --cgroup "[controller:]path": make cg name the existing cgroup
   path below the container's (no "..", no symlink, nothing outside it).
   On the unified hierarchy the controller must be empty.  */
int moat_cgroup_enter_sub (struct moat_cgroup *cg, const char *arg, moat_error **err);

/* This process's cgroup ("/" or "/a/b", from the hierarchy's root) in
   the hierarchy whose /proc/self/cgroup line has these controllers (""
   for the unified one, "memory", "name=systemd").  Free it.  */
char *moat_cgroup_self (const char *controllers, moat_error **err);

/* rmdir every cgroup below path (not path), deepest first, bounded
   depth; what cannot go stays.  */
void moat_cgroup_remove_descendants (const char *path);

/* Mount point of the cgroup v2 hierarchy, or NULL when there is none.  */
const char *moat_cgroup_v2_mount (void);
/* The first directory of mount/rel, from the top, that does not exist
   yet (what create will make first), or NULL (free it).  */
char *moat_cgroup_first_missing (const char *mount, const char *rel);
/* True on a hybrid host: the unified hierarchy at /sys/fs/cgroup/unified
   and controllers on v1 hierarchies beside it (hybrid.c).  */
bool moat_cgroup_host_is_hybrid (void);
/* True when the systemd driver can work here: libsystemd loads and the
   host has the unified hierarchy alone (systemd.c).  */
bool moat_cgroup_systemd_usable (void);
/* True when the driver create would pick can apply limits of controller
   (in the unified hierarchy, or a v1 one on a hybrid host).  */
bool moat_cgroup_has_controller (const char *controller);

/* devices.c: allow only the devices the rules allow (plus the standard
   ones every container needs) to the processes of the cgroup.  */
int moat_cgroup_devices_attach (int cgroup_fd, const struct moat_device_rule *rules,
                                size_t n, moat_error **err);

/* The eBPF program of the device filter, for tests: instructions
   (struct bpf_insn) and their number.  */
void *moat_cgroup_devices_program (const struct moat_device_rule *rules, size_t n,
                                   size_t *len);

#endif
