/* cgroup v1 hierarchies beside the unified one (v1.c).  */
#ifndef MOAT_CGROUP_V1_H
#define MOAT_CGROUP_V1_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "../error.h"
#include "../spec/spec.h"

struct moat_v1_hierarchy
{
  char dev[32];        /* the superblock, major:minor: one entry per hierarchy */
  char *mount;         /* where it is mounted */
  char *controllers;   /* "cpu,cpuacct", "memory", "name=systemd" */
};

struct moat_v1_hierarchies
{
  struct moat_v1_hierarchy *h;
  size_t n;
};

/* Every cgroup v1 hierarchy mounted at its root in this mount namespace.  */
int moat_v1_hierarchies_find (struct moat_v1_hierarchies *out, moat_error **err);
void moat_v1_hierarchies_clear (struct moat_v1_hierarchies *h);
bool moat_v1_has_controller (const struct moat_v1_hierarchy *h, const char *controller);
/* The hierarchy of controller, or NULL.  */
const struct moat_v1_hierarchy *moat_v1_hierarchy_of (const struct moat_v1_hierarchies *hs,
                                                      const char *controller);

/* The cgroup rel (relative to each hierarchy's root) in every hierarchy:
   made (mkdir -p; cpuset levels get their parent's cpus and mems),
   joined by pid, limited by r (the v1 controllers' part of the config),
   removed from the leaf up to stop_rel (a parent still in use stays).  */
int moat_v1_make (const struct moat_v1_hierarchies *hs, const char *rel, moat_error **err);
int moat_v1_attach (const struct moat_v1_hierarchies *hs, const char *rel, pid_t pid,
                    moat_error **err);
int moat_v1_apply (const struct moat_v1_hierarchies *hs, const char *rel,
                   const struct moat_resources *r, moat_error **err);
int moat_v1_remove (const struct moat_v1_hierarchies *hs, const char *rel,
                    const char *stop_rel, moat_error **err);

#endif
