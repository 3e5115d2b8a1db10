#include <config.h>
#include "parse.h"
#include "jsontree.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <yajl/yajl_tree.h>

/* A missing config.json is a config error, not a missing container.  */
static enum moat_error_kind
errno_kind_not_found (const moat_error *e)
{
  return e && e->errnum == ENOENT ? MOAT_ERR_INVALID_CONFIG : MOAT_ERR_FAILED;
}

static const char *const ns_names[MOAT_NS_COUNT] = {
  [MOAT_NS_PID] = "pid", [MOAT_NS_NET] = "network", [MOAT_NS_MNT] = "mount",
  [MOAT_NS_IPC] = "ipc", [MOAT_NS_UTS] = "uts", [MOAT_NS_USER] = "user",
  [MOAT_NS_CGROUP] = "cgroup", [MOAT_NS_TIME] = "time",
};

const char *
moat_ns_name (enum moat_ns_type t)
{
  return t < MOAT_NS_COUNT ? ns_names[t] : "?";
}

int
moat_ns_from_name (const char *name)
{
  for (int i = 0; i < MOAT_NS_COUNT; i++)
    if (strcmp (name, ns_names[i]) == 0)
      return i;
  return -1;
}

/* ---- sections ---- */

static int
parse_root (struct moat_spec *s, yajl_val top, moat_error **err)
{
  yajl_val root;
  if (moat_json_get_object (top, "root", "root", &root, err) < 0)
    return -1;
  if (root == NULL)
    return moat_error_set (err, 0, "root: missing (a container needs a root filesystem)");
  if (moat_json_get_string (root, "path", "root.path", &s->root_path, err) < 0
      || moat_json_get_bool (root, "readonly", "root.readonly", &s->root_readonly,
                             err) < 0)
    return -1;
  if (s->root_path == NULL || s->root_path[0] == '\0')
    return moat_error_set (err, 0, "root.path: missing");
  return 0;
}

static int
parse_mounts (struct moat_spec *s, yajl_val top, moat_error **err)
{
  yajl_val arr;
  if (moat_json_get_array (top, "mounts", "mounts", &arr, err) < 0 || arr == NULL)
    return arr == NULL && !*err ? 0 : -1;
  s->n_mounts = arr->u.array.len;
  s->mounts = xmalloc0 (s->n_mounts * sizeof *s->mounts);
  for (size_t i = 0; i < s->n_mounts; i++)
    {
      yajl_val m = arr->u.array.values[i];
      struct moat_mount *mt = &s->mounts[i];
      autofree char *f = xasprintf ("mounts[%zu]", i);
      if (!YAJL_IS_OBJECT (m))
        return moat_json_type_error (err, f, "an object", m);
      autofree char *fd = xasprintf ("%s.destination", f);
      autofree char *ft = xasprintf ("%s.type", f);
      autofree char *fs = xasprintf ("%s.source", f);
      autofree char *fo = xasprintf ("%s.options", f);
      if (moat_json_get_string (m, "destination", fd, &mt->destination, err) < 0
          || moat_json_get_string (m, "type", ft, &mt->type, err) < 0
          || moat_json_get_string (m, "source", fs, &mt->source, err) < 0
          || moat_json_get_strv (m, "options", fo, &mt->options, err) < 0
          || moat_parse_idmaps (m, f, "uidMappings", &mt->uid_mappings,
                                &mt->n_uid_mappings,
                              err) < 0
          || moat_parse_idmaps (m, f, "gidMappings", &mt->gid_mappings,
                                &mt->n_gid_mappings,
                              err) < 0)
        return -1;
      if ((mt->n_uid_mappings == 0) != (mt->n_gid_mappings == 0))
        return moat_error_set (err, 0, "%s: uidMappings and gidMappings go together", f);
      if (mt->destination == NULL || mt->destination[0] == '\0')
        return moat_error_set (err, 0, "%s: missing", fd);
      if (mt->destination[0] != '/')
        return moat_error_set (err, 0, "%s: `%s` is not an absolute path", fd,
                               mt->destination);
    }
  return 0;
}

static int
parse_hook_list (yajl_val hooks, const char *key, struct moat_hook **out, size_t *n,
                 moat_error **err)
{
  autofree char *field = xasprintf ("hooks.%s", key);
  yajl_val arr;
  if (moat_json_get_array (hooks, key, field, &arr, err) < 0)
    return -1;
  if (arr == NULL)
    return 0;
  *n = arr->u.array.len;
  *out = xmalloc0 (*n * sizeof **out);
  for (size_t i = 0; i < *n; i++)
    {
      yajl_val h = arr->u.array.values[i];
      autofree char *f = xasprintf ("%s[%zu]", field, i);
      if (!YAJL_IS_OBJECT (h))
        return moat_json_type_error (err, f, "an object", h);
      autofree char *fp = xasprintf ("%s.path", f);
      autofree char *fa = xasprintf ("%s.args", f);
      autofree char *fe = xasprintf ("%s.env", f);
      autofree char *ft = xasprintf ("%s.timeout", f);
      long long t;
      bool present;
      if (moat_json_get_string (h, "path", fp, &(*out)[i].path, err) < 0
          || moat_json_get_strv (h, "args", fa, &(*out)[i].args, err) < 0
          || moat_json_get_strv (h, "env", fe, &(*out)[i].env, err) < 0
          || moat_json_get_int (h, "timeout", ft, 1, INT_MAX / 1000, &t, &present, err) < 0)
        return -1;
      (*out)[i].timeout = present ? t : 0;
      if ((*out)[i].path == NULL || (*out)[i].path[0] != '/')
        return moat_error_set (err, 0, "%s: must be an absolute path", fp);
    }
  return 0;
}

static int
parse_hooks (struct moat_spec *s, yajl_val top, moat_error **err)
{
  yajl_val h;
  struct moat_hooks *k = &s->hooks;
  if (moat_json_get_object (top, "hooks", "hooks", &h, err) < 0)
    return -1;
  if (h == NULL)
    return 0;
  return parse_hook_list (h, "prestart", &k->prestart, &k->n_prestart, err) < 0
    || parse_hook_list (h, "createRuntime", &k->create_runtime, &k->n_create_runtime,
                        err) < 0
    || parse_hook_list (h, "createContainer", &k->create_container,
                        &k->n_create_container, err) < 0
    || parse_hook_list (h, "startContainer", &k->start_container,
                        &k->n_start_container, err) < 0
    || parse_hook_list (h, "poststart", &k->poststart, &k->n_poststart, err) < 0
    || parse_hook_list (h, "poststop", &k->poststop, &k->n_poststop, err) < 0 ? -1 : 0;
}

int
moat_sysctl_check (const char *key, char **path, moat_error **err)
{
  static const char *const ipc_keys[] = {
    "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall",
    "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
  };
  if (key[0] == '\0' || key[0] == '.' || key[0] == '/' || strstr (key, "..")
      || strstr (key, "/.") || strchr (key, '\n'))
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                            "linux.sysctl: invalid key `%s`", key);
  int ns = -1;
  bool ipc = strncmp (key, "fs.mqueue.", 10) == 0;
  for (size_t i = 0; i < ARRAY_SIZE (ipc_keys); i++)
    ipc |= strcmp (key, ipc_keys[i]) == 0;
  if (ipc)
    ns = MOAT_NS_IPC;
  else if (strncmp (key, "net.", 4) == 0)
    ns = MOAT_NS_NET;
  else if (strcmp (key, "kernel.hostname") == 0 || strcmp (key, "kernel.domainname") == 0)
    ns = MOAT_NS_UTS;
  else
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                            "linux.sysctl: `%s` is not namespaced: setting it would "
                            "change the host", key);
  if (path)
    {
      /* dots separate levels, as runc reads them */
      char *p = xasprintf ("/proc/sys/%s", key);
      for (char *c = p + 10; *c; c++)
        if (*c == '.')
          *c = '/';
      *path = p;
    }
  return ns;
}

/* Only sysctls that belong to a namespace the container owns (new, or
   joined by path: the plan checks that a joined one is not the host's)
   may be set: anything else would change the host.  */
static int
check_sysctl (const struct moat_spec *s, const char *key, moat_error **err)
{
  int ns = moat_sysctl_check (key, NULL, err);
  if (ns < 0)
    return -1;
  if (!s->ns[ns].present)
    return moat_error_set (err, 0, "linux.sysctl: `%s` needs %s namespace of the "
                           "container's own", key, ns == MOAT_NS_IPC ? "an ipc"
                           : ns == MOAT_NS_NET ? "a network" : "a uts");
  return 0;
}

/* Rules that involve several fields at once.  */
static int
validate (struct moat_spec *s, moat_error **err)
{
  for (size_t i = 0; i < s->n_annotations; i++)
    if (strcmp (s->annotations[i].key, "run.oci.seccomp_fail_unknown_syscall") == 0)
      s->seccomp.fail_unknown_syscall = true;
  const struct moat_namespace *user = &s->ns[MOAT_NS_USER];
  bool new_userns = user->present && user->path == NULL;
  if ((s->n_uid_mappings || s->n_gid_mappings) && !new_userns)
    return moat_error_set (err, 0, "linux.uidMappings: id mappings need a new user "
                           "namespace (add {\"type\": \"user\"} to linux.namespaces)");
  /* neither: the plan maps the caller's own ids when rootless */
  if (new_userns && (s->n_uid_mappings == 0) != (s->n_gid_mappings == 0))
    return moat_error_set (err, 0, "linux.namespaces: a new user namespace needs both "
                           "linux.uidMappings and linux.gidMappings");
  const struct moat_namespace *uts = &s->ns[MOAT_NS_UTS];
  /* a uts namespace of the container's, new or joined by path (runc's
     rule; the plan refuses one that is the host's) */
  if (s->hostname && s->hostname[0] && !uts->present)
    return moat_error_set (err, 0, "hostname: setting the hostname needs a uts "
                           "namespace");
  if (s->domainname && s->domainname[0] && !uts->present)
    return moat_error_set (err, 0, "domainname: setting the domain name needs a "
                           "uts namespace");
  if (s->has_time_offsets && !(s->ns[MOAT_NS_TIME].present
                               && s->ns[MOAT_NS_TIME].path == NULL))
    return moat_error_set (err, 0, "linux.timeOffsets: time offsets need a new time "
                           "namespace");
  if (!s->ns[MOAT_NS_MNT].present)
    return moat_error_set (err, 0, "linux.namespaces: a mount namespace is required "
                           "(the container's root is set up in it)");
  if (s->ns[MOAT_NS_MNT].path != NULL)
    return moat_error_set (err, 0, "linux.namespaces: joining a mount namespace by "
                           "path is not supported: its /proc, devpts and files belong "
                           "to whoever made it, and the init, still privileged, would "
                           "use them");
  for (size_t i = 0; i < s->n_sysctl; i++)
    if (check_sysctl (s, s->sysctl[i].key, err) < 0)
      return -1;
  if (s->hostname && strlen (s->hostname) > 64)
    return moat_error_set (err, 0, "hostname: longer than 64 characters");
  if (s->domainname && strlen (s->domainname) > 64)
    return moat_error_set (err, 0, "domainname: longer than 64 characters");
  return 0;
}

struct moat_spec *
moat_spec_parse (const char *json, size_t len, moat_error **err)
{
  yajl_val top = moat_json_parse (json, len, err);
  if (top == NULL)
    {
      moat_error_mark (err, MOAT_ERR_INVALID_CONFIG);
      return NULL;
    }
  struct moat_spec *s = xmalloc0 (sizeof *s);
  int r = 0;
  if (!YAJL_IS_OBJECT (top))
    r = moat_json_type_error (err, "(top level)", "an object", top);
  if (r == 0)
    r = moat_json_get_string (top, "ociVersion", "ociVersion", &s->oci_version, err);
  if (r == 0 && s->oci_version == NULL)
    r = moat_error_set (err, 0, "ociVersion: missing");
  if (r == 0 && strncmp (s->oci_version, "1.", 2) != 0)
    r = moat_error_set (err, 0, "ociVersion: `%s` is not a 1.x version", s->oci_version);
  if (r == 0)
    r = parse_root (s, top, err);
  if (r == 0)
    r = parse_mounts (s, top, err);
  if (r == 0)
    r = moat_parse_process_section (s, top, err);
  if (r == 0)
    r = moat_json_get_string (top, "hostname", "hostname", &s->hostname, err);
  if (r == 0)
    r = moat_json_get_string (top, "domainname", "domainname", &s->domainname, err);
  if (r == 0)
    r = moat_json_get_string_map (top, "annotations", "annotations", &s->annotations,
                          &s->n_annotations, err);
  if (r == 0)
    r = parse_hooks (s, top, err);
  if (r == 0)
    r = moat_parse_linux_section (s, top, err);
  if (r == 0)
    r = validate (s, err);
  yajl_tree_free (top);
  if (r < 0)
    {
      moat_error_mark (err, MOAT_ERR_INVALID_CONFIG);
      moat_spec_free (s);
      return NULL;
    }
  return s;
}

struct moat_spec *
moat_spec_parse_process (const char *json, size_t len, moat_error **err)
{
  yajl_val p = moat_json_parse (json, len, err);
  if (p == NULL)
    {
      moat_error_mark (err, MOAT_ERR_INVALID_CONFIG);
      return NULL;
    }
  /* parse it as the "process" member of a config */
  const char *key = "process";
  yajl_val top = xmalloc0 (sizeof *top);
  top->type = yajl_t_object;
  top->u.object.keys = &key;
  top->u.object.values = &p;
  top->u.object.len = 1;
  struct moat_spec *s = xmalloc0 (sizeof *s);
  int r = YAJL_IS_OBJECT (p) ? moat_parse_process_section (s, top, err)
    : moat_json_type_error (err, "process", "an object", p);
  free (top);
  yajl_tree_free (p);
  if (r < 0)
    {
      moat_error_mark (err, MOAT_ERR_INVALID_CONFIG);
      moat_spec_free (s);
      return NULL;
    }
  return s;
}

struct moat_spec *
moat_spec_load_text (const char *bundle, char **text_out, size_t *len_out,
                     moat_error **err)
{
  autofree char *path = xasprintf ("%s/config.json", bundle);
  autofree char *text = NULL;
  size_t len;
  if (moat_read_file_at (AT_FDCWD, path, MOAT_MAX_CONFIG_SIZE, &text, &len, err) < 0)
    {
      moat_error_mark (err, errno_kind_not_found (*err));
      return NULL;
    }
  struct moat_spec *s = moat_spec_parse (text, len, err);
  if (s == NULL)
    moat_error_prefix (err, "%s", path);
  else if (text_out)
    {
      *text_out = steal_pointer (&text);
      *len_out = len;
    }
  return s;
}

struct moat_spec *
moat_spec_load (const char *bundle, moat_error **err)
{
  return moat_spec_load_text (bundle, NULL, NULL, err);
}

static void
free_hooks (struct moat_hook *h, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (h[i].path);
      moat_strv_free (h[i].args);
      moat_strv_free (h[i].env);
    }
  free (h);
}

static void
free_map (struct moat_annotation *a, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (a[i].key);
      free (a[i].value);
    }
  free (a);
}

void
moat_seccomp_clear (struct moat_seccomp *k)
{
  moat_strv_free (k->architectures);
  free (k->listener_path);
  free (k->listener_metadata);
  for (size_t i = 0; i < k->n_rules; i++)
    {
      moat_strv_free (k->rules[i].names);
      free (k->rules[i].args);
    }
  free (k->rules);
  memset (k, 0, sizeof *k);
}

void
moat_spec_free (struct moat_spec *s)
{
  if (s == NULL)
    return;
  free (s->oci_version);
  free (s->root_path);
  for (size_t i = 0; i < s->n_mounts; i++)
    {
      free (s->mounts[i].destination);
      free (s->mounts[i].type);
      free (s->mounts[i].source);
      moat_strv_free (s->mounts[i].options);
      free (s->mounts[i].uid_mappings);
      free (s->mounts[i].gid_mappings);
    }
  free (s->mounts);
  free (s->additional_gids);
  moat_strv_free (s->args);
  moat_strv_free (s->env);
  free (s->cwd);
  moat_strv_free (s->caps.bounding);
  moat_strv_free (s->caps.effective);
  moat_strv_free (s->caps.inheritable);
  moat_strv_free (s->caps.permitted);
  moat_strv_free (s->caps.ambient);
  for (size_t i = 0; i < s->n_rlimits; i++)
    free (s->rlimits[i].name);
  free (s->rlimits);
  free (s->apparmor_profile);
  free (s->selinux_label);
  free (s->cpu_affinity_initial);
  free (s->cpu_affinity_final);
  free (s->hostname);
  free (s->domainname);
  free_hooks (s->hooks.prestart, s->hooks.n_prestart);
  free_hooks (s->hooks.create_runtime, s->hooks.n_create_runtime);
  free_hooks (s->hooks.create_container, s->hooks.n_create_container);
  free_hooks (s->hooks.start_container, s->hooks.n_start_container);
  free_hooks (s->hooks.poststart, s->hooks.n_poststart);
  free_hooks (s->hooks.poststop, s->hooks.n_poststop);
  free_map (s->annotations, s->n_annotations);
  for (int i = 0; i < MOAT_NS_COUNT; i++)
    free (s->ns[i].path);
  free (s->uid_mappings);
  free (s->gid_mappings);
  free (s->cgroups_path);
  free_map (s->sysctl, s->n_sysctl);
  moat_strv_free (s->masked_paths);
  moat_strv_free (s->readonly_paths);
  free (s->rootfs_propagation);
  free (s->mount_label);
  free (s->device_rules);
  moat_seccomp_clear (&s->seccomp);
  for (size_t i = 0; i < s->n_devices; i++)
    free (s->devices[i].path);
  free (s->devices);
  moat_resources_clear (&s->resources);
  free (s);
}
