/* Choosing a cgroup driver: by the command's --cgroup-manager at create,
   by the name recorded in state.json afterwards.  */
#include <config.h>
#include "cgroup.h"
#include "../feature-table.h"
#include "../utils.h"
#include <string.h>

extern const struct moat_cgroup_driver moat_cgroup_v2_driver;

static const struct moat_cgroup_driver *const drivers[] = { &moat_cgroup_v2_driver };

int
moat_cgroup_driver_for (enum moat_cgroup_manager m, const struct moat_cgroup_driver **out,
                        moat_error **err)
{
  *out = NULL;
  switch (m)
    {
    case MOAT_CGROUP_DISABLED:
      return 0;
    case MOAT_CGROUP_SYSTEMD:
      return moat_feature_require (MOAT_FEATURE_SYSTEMD, "--systemd-cgroup", err);
    case MOAT_CGROUP_CGROUPFS:
      break;
    }
  *out = &moat_cgroup_v2_driver;
  return 0;
}

int
moat_cgroup_from_state (const char *driver, const char *path, const char *created_from,
                        struct moat_cgroup *cg, moat_error **err)
{
  memset (cg, 0, sizeof *cg);
  cg->dirfd = -1;
  if (path == NULL)
    return 0;
  /* states written before drivers were recorded are cgroupfs v2 */
  const char *name = driver ? driver : moat_cgroup_v2_driver.name;
  for (size_t i = 0; i < ARRAY_SIZE (drivers); i++)
    if (strcmp (name, drivers[i]->name) == 0)
      cg->driver = drivers[i];
  if (cg->driver == NULL)
    return moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, 0,
                            "the state names the cgroup driver `%s`, which this moat does "
                            "not have", name);
  cg->path = xstrdup (path);
  cg->created_from = created_from ? xstrdup (created_from) : NULL;
  return 0;
}

void
moat_cgroup_release (struct moat_cgroup *cg)
{
  if (cg->dirfd >= 0)
    close (cg->dirfd);
  cg->dirfd = -1;
  free (cg->path);
  free (cg->created_from);
  cg->path = cg->created_from = NULL;
  cg->driver = NULL;
}
