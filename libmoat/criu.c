/* What checkpoint and restore share (criu.h): libcriu's options, the
   images' directory, moat's record beside the images, CRIU's log.  */
#include <config.h>
#ifdef HAVE_CRIU
#include "criu.h"
#include "spec/jsontree.h"
#include "utils.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

/* ---- the record ---- */

void
moat_criu_record_clear (struct moat_criu_record *r)
{
  free (r->id);
  for (size_t i = 0; i < r->n_ext; i++)
    {
      free (r->ext[i].key);
      free (r->ext[i].node);
    }
  free (r->ext);
  for (size_t i = 0; i < 3; i++)
    free (r->stdio[i]);
  memset (r, 0, sizeof *r);
}

static void
gen_str_or_null (yajl_gen g, const char *k, const char *v)
{
  GS (g, k);
  if (v)
    GS (g, v);
  else
    yajl_gen_null (g);
}

int
moat_criu_record_write (int images_fd, const struct moat_criu_record *r,
                        moat_error **err)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  yajl_gen_config (g, yajl_gen_beautify, 1);
  yajl_gen_map_open (g);
  gen_str_or_null (g, "id", r->id);
  GS (g, "terminal");
  yajl_gen_bool (g, r->terminal);
  GS (g, "netExternal");
  yajl_gen_bool (g, r->net_external);
  GS (g, "pidExternal");
  yajl_gen_bool (g, r->pid_external);
  GS (g, "externalMounts");
  yajl_gen_array_open (g);
  for (size_t i = 0; i < r->n_ext; i++)
    {
      yajl_gen_map_open (g);
      gen_str_or_null (g, "key", r->ext[i].key);
      gen_str_or_null (g, "node", r->ext[i].kind == MOAT_CRIU_EXT_NODE ? r->ext[i].node
                       : NULL);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
  GS (g, "stdio");
  yajl_gen_array_open (g);
  for (size_t i = 0; i < 3; i++)
    r->stdio[i] ? (void) GS (g, r->stdio[i]) : (void) yajl_gen_null (g);
  yajl_gen_array_close (g);
  yajl_gen_map_close (g);
  autofree char *text = moat_json_gen_take (g, "\n");
  return moat_write_file_atomic_at (images_fd, MOAT_CRIU_RECORD, text, strlen (text),
                                    0600, err);
}

/* A string member, or NULL; anything else an error naming it.  */
static int
get_str (yajl_val v, const char *key, bool required, char **out, moat_error **err)
{
  const char *path[] = { key, NULL };
  yajl_val s = yajl_tree_get (v, path, yajl_t_any);
  *out = NULL;
  if ((s == NULL || YAJL_IS_NULL (s)) && !required)
    return 0;
  if (s == NULL || !YAJL_IS_STRING (s) || YAJL_GET_STRING (s)[0] == '\0')
    return moat_error_set (err, EINVAL, "%s: a non-empty string expected", key);
  *out = xstrdup (YAJL_GET_STRING (s));
  return 0;
}

static bool
get_bool (yajl_val v, const char *key)
{
  const char *path[] = { key, NULL };
  return YAJL_IS_TRUE (yajl_tree_get (v, path, yajl_t_any));
}

static int
record_from_tree (yajl_val v, struct moat_criu_record *r, moat_error **err)
{
  if (!YAJL_IS_OBJECT (v) || get_str (v, "id", true, &r->id, err) < 0)
    return moat_error_set (err, EINVAL, "not a JSON object with an id");
  r->terminal = get_bool (v, "terminal");
  r->net_external = get_bool (v, "netExternal");
  r->pid_external = get_bool (v, "pidExternal");
  const char *ext_path[] = { "externalMounts", NULL };
  yajl_val ext = yajl_tree_get (v, ext_path, yajl_t_array);
  size_t n = ext ? YAJL_GET_ARRAY (ext)->len : 0;
  r->ext = xmalloc0 ((n + 1) * sizeof *r->ext);
  for (size_t i = 0; i < n; i++, r->n_ext++)
    {
      yajl_val e = YAJL_GET_ARRAY (ext)->values[i];
      struct moat_criu_ext *x = &r->ext[i];
      if (get_str (e, "key", true, &x->key, err) < 0
          || get_str (e, "node", false, &x->node, err) < 0)
        return moat_error_prefix (err, "externalMounts[%zu]", i);
      x->kind = x->node ? MOAT_CRIU_EXT_NODE : MOAT_CRIU_EXT_BIND;
      if (x->key[0] != '/' || (x->node && (strncmp (x->node, "/dev/", 5) != 0
                                           || strstr (x->node, "/..") != NULL)))
        return moat_error_set (err, EINVAL, "externalMounts[%zu]: not an absolute path "
                               "(or a node outside /dev)", i);
    }
  const char *stdio_path[] = { "stdio", NULL };
  yajl_val stdio = yajl_tree_get (v, stdio_path, yajl_t_array);
  for (size_t i = 0; stdio && i < 3 && i < YAJL_GET_ARRAY (stdio)->len; i++)
    {
      yajl_val s = YAJL_GET_ARRAY (stdio)->values[i];
      if (YAJL_IS_STRING (s))
        r->stdio[i] = xstrdup (YAJL_GET_STRING (s));
    }
  return 0;
}

int
moat_criu_record_read (int images_fd, const char *image_path,
                       struct moat_criu_record *r, moat_error **err)
{
  autofree char *text = NULL;
  size_t len;
  memset (r, 0, sizeof *r);
  if (moat_read_file_at (images_fd, MOAT_CRIU_RECORD, 1 << 20, &text, &len, err) < 0)
    {
      int e = (*err)->errnum;
      moat_error_free (err);
      return moat_error_setk (err, e == ENOENT ? MOAT_ERR_NOT_FOUND : MOAT_ERR_FAILED, e,
                              "--image-path: `%s` holds no checkpoint of moat's (%s)",
                              image_path, MOAT_CRIU_RECORD);
    }
  yajl_val v = moat_json_parse (text, len, err);
  int r2 = v ? record_from_tree (v, r, err) : -1;
  yajl_tree_free (v);
  if (r2 < 0)
    return moat_error_prefix (err, "--image-path: `%s/%s`", image_path, MOAT_CRIU_RECORD);
  return 0;
}

/* ---- directories ---- */

int
moat_criu_open_dir (const char *flag, const char *path, bool create, int *fd,
                    moat_error **err)
{
  struct stat st;
  if (create && stat (path, &st) < 0 && errno == ENOENT
      && moat_mkdir_p (path, 0700, err) < 0)
    return moat_error_prefix (err, "%s", flag);
  if (stat (path, &st) < 0)
    return moat_error_setk (err, errno == ENOENT ? MOAT_ERR_NOT_FOUND : MOAT_ERR_FAILED,
                            errno, "%s: `%s`", flag, path);
  if (!S_ISDIR (st.st_mode))
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, ENOTDIR,
                            "%s: `%s` is not a directory", flag, path);
  *fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (*fd < 0)
    return moat_error_set (err, errno, "%s: open `%s`", flag, path);
  return 0;
}

/* ---- options ---- */

static int
cg_mode (const char *name, enum criu_cg_mode *mode, moat_error **err)
{
  static const struct { const char *name; enum criu_cg_mode mode; } modes[] = {
    { "soft", CRIU_CG_MODE_SOFT }, { "full", CRIU_CG_MODE_FULL },
    { "strict", CRIU_CG_MODE_STRICT }, { "ignore", CRIU_CG_MODE_IGNORE },
  };
  for (size_t i = 0; i < ARRAY_SIZE (modes); i++)
    if (strcmp (name, modes[i].name) == 0)
      {
        *mode = modes[i].mode;
        return 0;
      }
  return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0, "--manage-cgroups-mode: "
                          "unknown mode `%s` (soft, full, strict or ignore)", name);
}

/* The version of the criu binary, checked: libcriu runs it once.  */
static int
check_version (criu_opts *opts, const char *binary, moat_error **err)
{
  int v = criu_local_get_version (opts);
  if (v < 0)
    return moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, v < -1 ? -v : 0,
                            "criu: `%s` did not answer its version: it is missing, or "
                            "cannot run on this host (`%s check` says why)", binary,
                            binary);
  if (v < MOAT_CRIU_MIN_VERSION)
    return moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, 0,
                            "criu: `%s` is version %d.%d.%d, moat needs %d.%d or newer",
                            binary, v / 10000, v / 100 % 100, v % 100,
                            MOAT_CRIU_MIN_VERSION / 10000,
                            MOAT_CRIU_MIN_VERSION / 100 % 100);
  return 0;
}

int
moat_criu_opts_new (const struct moat_context *ctx, const struct moat_criu_options *o,
                    criu_opts **out, moat_error **err)
{
  enum criu_cg_mode mode = CRIU_CG_MODE_SOFT;
  if (o->manage_cgroups_mode && cg_mode (o->manage_cgroups_mode, &mode, err) < 0)
    return -1;
  if (o->empty_ns && strcmp (o->empty_ns, "network") != 0)
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0, "--empty-ns: `%s` cannot be "
                            "left empty (only network can)", o->empty_ns);
  /* CRIU's empty_ns has no libcriu call (3.17): refused, not dropped */
  if (o->empty_ns)
    return moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, 0, "--empty-ns: libcriu has no "
                            "call for it: not supported by this version of moat");
  if (moat_criu_lib_load (err) < 0)
    return -1;
  criu_opts *opts = NULL;
  if (criu_local_init_opts (&opts) < 0)
    return moat_error_set (err, ENOMEM, "libcriu: its options");
  const char *binary = ctx->criu_path ? ctx->criu_path : "criu";
  if (criu_local_set_service_binary (opts, binary) < 0)
    {
      criu_local_free_opts (opts);
      return moat_error_set (err, ENOMEM, "libcriu: the criu binary");
    }
  if (check_version (opts, binary, err) < 0)
    {
      criu_local_free_opts (opts);
      return -1;
    }
  criu_local_set_log_level (opts, 4);
  criu_local_set_manage_cgroups (opts, true);
  criu_local_set_manage_cgroups_mode (opts, mode);
  criu_local_set_tcp_established (opts, o->tcp_established);
  criu_local_set_ext_unix_sk (opts, o->ext_unix_sk);
  criu_local_set_shell_job (opts, o->shell_job);
  criu_local_set_file_locks (opts, o->file_locks);
  criu_local_set_auto_dedup (opts, o->auto_dedup);
  *out = opts;
  return 0;
}

int
moat_criu_opts_dirs (criu_opts *opts, int images_fd, int work_fd, const char *log,
                     moat_error **err)
{
  criu_local_set_images_dir_fd (opts, images_fd);
  criu_local_set_work_dir_fd (opts, work_fd);
  if (criu_local_set_log_file (opts, log) < 0)
    return moat_error_set (err, ENOMEM, "libcriu: the log file");
  return 0;
}

/* ---- failures ---- */

/* The first line of the log with "Error" in it (the cause; the lines
   after it tell what failed because of it), or NULL.  */
static char *
first_error_line (int work_fd, const char *log)
{
  autofree char *text = NULL;
  size_t len;
  if (moat_read_file_at (work_fd, log, 64 << 20, &text, &len, NULL) < 0)
    return NULL;
  char *found = NULL;
  for (char *line = strtok (text, "\n"); line && !found; line = strtok (NULL, "\n"))
    if (strstr (line, "Error"))
      found = line;
  if (found == NULL)
    return NULL;
  /* "(00.012345) Error (criu/x.c:12): what": the what */
  char *what = strstr (found, "): ");
  return moat_printable (what ? what + 3 : found);
}

int
moat_criu_failed (int ret, int work_fd, const char *work_path, const char *log,
                  const char *what, moat_error **err)
{
  autofree char *line = first_error_line (work_fd, log);
  int e = ret < 0 ? -ret : 0;
  return moat_error_set (err, 0, "criu %s failed%s%s (%s; its log: %s/%s)", what,
                         line ? ": " : "", line ? line : "",
                         e == EBADE ? "CRIU reported an error"
                         : e ? strerror (e) : "no reason given", work_path, log);
}

#endif /* HAVE_CRIU */
