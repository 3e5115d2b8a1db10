/* Talking to systemd's manager over D-Bus, for the systemd cgroup driver
   (systemd.c).  libsystemd is loaded when the driver is first used, not
   linked: every other command (run, exec of a cgroupfs container) starts
   without it and the six libraries it pulls in.  */
#ifndef MOAT_CGROUP_SYSTEMD_BUS_H
#define MOAT_CGROUP_SYSTEMD_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "../error.h"

/* One unit property, as StartTransientUnit and SetUnitProperties take
   them: a name and a value of one of these D-Bus types.  */
struct moat_sd_property
{
  const char *name;
  char type;               /* 't' (uint64), 'b', 's', 'y' (array of bytes),
                              'u' (array of uint32: PIDs) */
  uint64_t t;
  bool b;
  const char *s;
  const uint8_t *bytes;    /* 'y' */
  size_t n_bytes;
  const uint32_t *pids;    /* 'u' */
  size_t n_pids;
};

struct moat_sd_properties
{
  struct moat_sd_property *v;
  size_t n, cap;
  /* what the properties point into, freed with them */
  void **owned;
  size_t n_owned;
};

void moat_sd_properties_add (struct moat_sd_properties *p, struct moat_sd_property x);
/* Keep mem alive as long as p (freed by clear).  */
void *moat_sd_properties_own (struct moat_sd_properties *p, void *mem);
void moat_sd_properties_clear (struct moat_sd_properties *p);

struct moat_sd_bus;

/* True when libsystemd can be loaded here.  */
bool moat_sd_available (void);

/* Connect to the system manager, or with user to the calling user's
   (rootless): its private socket first (no D-Bus daemon needed), else
   the bus.  */
int moat_sd_connect (bool user, struct moat_sd_bus **out, moat_error **err);
void moat_sd_close (struct moat_sd_bus *b);

/* The manager's own cgroup ("/" for a host's systemd, "/user.slice/
   user-1000.slice/user@1000.service" for a user's), free it.  */
char *moat_sd_manager_cgroup (struct moat_sd_bus *b, moat_error **err);

/* Start the transient unit with the properties and wait until its job
   is done.  */
int moat_sd_start_transient (struct moat_sd_bus *b, const char *unit,
                             const struct moat_sd_properties *p, moat_error **err);
/* Change a running unit's properties (until it stops).  */
int moat_sd_set_properties (struct moat_sd_bus *b, const char *unit,
                            const struct moat_sd_properties *p, moat_error **err);
/* Stop the unit and wait for it; a unit systemd does not know is
   already stopped.  */
int moat_sd_stop_unit (struct moat_sd_bus *b, const char *unit, moat_error **err);
/* True when systemd has the unit loaded.  */
bool moat_sd_unit_exists (struct moat_sd_bus *b, const char *unit);
/* The unit's InvocationID, in hex (free it): it changes each time a unit
   of that name is started.  NULL, with no error, when systemd has no
   such unit.  */
int moat_sd_unit_invocation (struct moat_sd_bus *b, const char *unit, char **out,
                             moat_error **err);

#endif
