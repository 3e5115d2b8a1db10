/* Choosing a cgroup driver: by the command's --cgroup-manager at create,
   by the name recorded in state.json afterwards.  */
#include <config.h>
#include "cgroup.h"
#include "../moat.h"
#include "../feature-table.h"
#include "../linux/syscalls.h"
#include "../utils.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

extern const struct moat_cgroup_driver moat_cgroup_v2_driver;
extern const struct moat_cgroup_driver moat_cgroup_hybrid_driver;
#ifdef HAVE_SYSTEMD
extern const struct moat_cgroup_driver moat_cgroup_systemd_driver;
#endif

static const struct moat_cgroup_driver *const drivers[] = {
  &moat_cgroup_v2_driver, &moat_cgroup_hybrid_driver,
#ifdef HAVE_SYSTEMD
  &moat_cgroup_systemd_driver,
#endif
};

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
#ifdef HAVE_SYSTEMD
      /* what this host lacks for it, the driver says when it locates */
      (void) err;
      *out = &moat_cgroup_systemd_driver;
      return 0;
#else
      return moat_feature_require (MOAT_FEATURE_SYSTEMD, "--systemd-cgroup", err);
#endif
    case MOAT_CGROUP_CGROUPFS:
      break;
    }
  *out = moat_cgroup_host_is_hybrid () ? &moat_cgroup_hybrid_driver : &moat_cgroup_v2_driver;
  return 0;
}

int
moat_cgroup_from_state (const struct moat_state *st, struct moat_cgroup *cg,
                        moat_error **err)
{
  memset (cg, 0, sizeof *cg);
  cg->dirfd = -1;
  if (st->cgroup_path == NULL)
    return 0;
  /* states written before drivers were recorded are cgroupfs v2 */
  const char *name = st->cgroup_driver ? st->cgroup_driver : moat_cgroup_v2_driver.name;
  for (size_t i = 0; i < ARRAY_SIZE (drivers); i++)
    if (strcmp (name, drivers[i]->name) == 0)
      cg->driver = drivers[i];
  if (cg->driver == NULL)
    return moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, 0,
                            "the state names the cgroup driver `%s`, which this moat does "
                            "not have", name);
  cg->path = xstrdup (st->cgroup_path);
  cg->created_from = st->cgroup_created_from ? xstrdup (st->cgroup_created_from) : NULL;
  cg->created_from_v1 = st->cgroup_created_from_v1 ? xstrdup (st->cgroup_created_from_v1)
    : NULL;
  cg->invocation = st->cgroup_invocation ? xstrdup (st->cgroup_invocation) : NULL;
  return 0;
}

char *
moat_cgroup_self (const char *controllers, moat_error **err)
{
  autofree char *text = NULL;
  if (moat_read_file_at (AT_FDCWD, "/proc/self/cgroup", 1 << 16, &text, NULL, err) < 0)
    return NULL;
  autofree char *want = xasprintf (":%s:/", controllers);
  char *save = NULL;
  for (char *line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *at = strstr (line, want);
      if (at == NULL || strchr (line, ':') != at)
        continue;
      const char *path = at + strlen (want) - 1;
      if (strstr (path, "/..") || strstr (path, "(deleted)"))
        return moat_error_set (err, 0, "unexpected cgroup `%s`", path), NULL;
      return xstrdup (path);
    }
  return moat_error_set (err, 0, "no `%s` line in /proc/self/cgroup",
                         controllers[0] ? controllers : "0::"), NULL;
}

void
moat_cgroup_release (struct moat_cgroup *cg)
{
  if (cg->dirfd >= 0)
    close (cg->dirfd);
  cg->dirfd = -1;
  free (cg->path);
  free (cg->created_from);
  free (cg->created_from_v1);
  free (cg->invocation);
  cg->path = cg->created_from = cg->created_from_v1 = cg->invocation = NULL;
  cg->driver = NULL;
}

int
moat_cgroup_enter_sub (struct moat_cgroup *cg, const char *arg, moat_error **err)
{
  if (cg->driver == NULL)
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                            "--cgroup `%s`: the container has no cgroup", arg);
  const char *path = arg, *colon = strchr (arg, ':');
  if (colon)
    {
      if (colon != arg)
        return moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, 0,
                                "--cgroup `%s`: a controller (`%.*s`) names a v1 hierarchy; "
                                "on the unified hierarchy give the path alone", arg,
                                (int) (colon - arg), arg);
      path = colon + 1;
    }
  while (*path == '/')
    path++;
  if (*path == '\0')
    return 0;  /* the container's cgroup itself */
  autoclose int top = open (cg->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (top < 0)
    return moat_error_set (err, errno, "open the container's cgroup `%s`", cg->path);
  struct open_how how = {
    .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
    .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
  };
  autoclose int sub = sys_openat2 (top, path, &how);
  if (sub < 0)
    return moat_error_setk (err, errno == ENOENT ? MOAT_ERR_NOT_FOUND : MOAT_ERR_INVALID_CONFIG,
                            errno, "--cgroup `%s`: not a cgroup below the container's", arg);
  char *full = xasprintf ("%s/%s", cg->path, path);
  free (cg->path);
  cg->path = full;
  return 0;
}
