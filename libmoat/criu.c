/* What checkpoint and restore share (criu.h): CRIU's options, the
   images' directory, moat's record beside the images, CRIU's log.  */
#include <config.h>
#ifdef HAVE_CRIU
#include "criu.h"
#include "spec/jsontree.h"
#include "utils.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
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
  GS (g, "netEmpty");
  yajl_gen_bool (g, r->net_empty);
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
  r->net_empty = get_bool (v, "netEmpty");
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
  struct stat st;
  memset (r, 0, sizeof *r);
  if (fstatat (images_fd, MOAT_CRIU_RECORD, &st, AT_SYMLINK_NOFOLLOW) == 0
      && !S_ISREG (st.st_mode))
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0, "--image-path: `%s/%s` is "
                            "not a regular file", image_path, MOAT_CRIU_RECORD);
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

/* mountinfo's octal escapes (\040 for a space) undone in place.  */
void
moat_criu_unescape (char *s)
{
  char *w = s;
  for (char *r = s; *r; r++)
    {
      if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7'
          && r[3] >= '0' && r[3] <= '7')
        {
          *w++ = (char) ((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
          r += 3;
        }
      else
        *w++ = *r;
    }
  *w = '\0';
}

bool
moat_criu_same_path (const char *dest, const char *mnt)
{
  size_t a = strlen (dest), b = strlen (mnt);
  while (a > 1 && dest[a - 1] == '/')
    a--;
  return a == b && strncmp (dest, mnt, a) == 0;
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
  *fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (*fd < 0)
    {
      int e = errno;
      if (e == ENOTDIR)
        return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, ENOTDIR,
                                "%s: `%s` is not a directory", flag, path);
      return moat_error_setk (err, e == ENOENT ? MOAT_ERR_NOT_FOUND : MOAT_ERR_FAILED, e,
                              "%s: `%s`", flag, path);
    }
  /* CRIU, as root, writes its log and images there, by name: a directory
     someone else can write could turn them into links elsewhere */
  if (fstat (*fd, &st) < 0 || st.st_uid != geteuid ()
      || (st.st_mode & (S_IWGRP | S_IWOTH)))
    {
      close (*fd);
      *fd = -1;
      return moat_error_setk (err, MOAT_ERR_PERMISSION, 0, "%s: `%s` must be owned by "
                              "uid %u and writable by no one else (CRIU writes there by "
                              "name)", flag, path, (unsigned) geteuid ());
    }
  return 0;
}

/* ---- options ---- */

static int
cg_mode (const char *name, CriuCgMode *mode, moat_error **err)
{
  static const struct { const char *name; CriuCgMode mode; } modes[] = {
    { "soft", CRIU_CG_MODE__SOFT }, { "full", CRIU_CG_MODE__FULL },
    { "strict", CRIU_CG_MODE__STRICT }, { "ignore", CRIU_CG_MODE__IGNORE },
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

/* The version of the criu binary, checked.  */
static int
check_version (struct moat_criu *c, moat_error **err)
{
  moat_error *why = NULL;
  if (moat_criu_version (c->binary, &c->version, &why) < 0)
    {
      int e = why->errnum;
      moat_error_free (&why);
      return moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, e,
                              "criu: `%s` did not answer its version: it is missing, or "
                              "cannot run on this host (`%s check` says why)", c->binary,
                              c->binary);
    }
  int v = c->version;
  if (v < MOAT_CRIU_MIN_VERSION)
    return moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, 0,
                            "criu: `%s` is version %d.%d.%d, moat needs %d.%d or newer",
                            c->binary, v / 10000, v / 100 % 100, v % 100,
                            MOAT_CRIU_MIN_VERSION / 10000,
                            MOAT_CRIU_MIN_VERSION / 100 % 100);
  return 0;
}

/* --lazy-pages: CRIU says whether this kernel lets it (userfaultfd).  */
static int
check_lazy_pages (struct moat_criu *c, moat_error **err)
{
  bool has = false;
  if (moat_criu_has_lazy_pages (c->binary, &has, err) < 0)
    return moat_error_prefix (err, "--lazy-pages");
  if (!has)
    return moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, 0, "--lazy-pages: criu cannot "
                            "do lazy pages on this host (no userfaultfd for it: `%s check "
                            "--feature uffd-noncoop` says why)", c->binary);
  return 0;
}

int
moat_criu_open (const struct moat_context *ctx, const struct moat_criu_options *o,
                struct moat_criu *c, moat_error **err)
{
  CriuCgMode mode = CRIU_CG_MODE__SOFT;
  memset (c, 0, sizeof *c);
  c->work_fd = -1;
  if (o->manage_cgroups_mode && cg_mode (o->manage_cgroups_mode, &mode, err) < 0)
    return -1;
  if (o->empty_ns && strcmp (o->empty_ns, "network") != 0)
    return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0, "--empty-ns: `%s` cannot be "
                            "left empty (only network can)", o->empty_ns);
  if (moat_criu_lib_load (err) < 0)
    return -1;
  c->binary = ctx->criu_path ? ctx->criu_path : "criu";
  if (check_version (c, err) < 0 || (o->lazy_pages && check_lazy_pages (c, err) < 0))
    return -1;
  CriuOpts *opts = c->opts = moat_criu_opts_alloc ();
  MOAT_CRIU_SET (opts, log_level, 4);
  MOAT_CRIU_SET (opts, manage_cgroups, true);
  MOAT_CRIU_SET (opts, manage_cgroups_mode, mode);
  MOAT_CRIU_SET (opts, notify_scripts, true);
  MOAT_CRIU_SET (opts, tcp_established, o->tcp_established);
  MOAT_CRIU_SET (opts, ext_unix_sk, o->ext_unix_sk);
  MOAT_CRIU_SET (opts, shell_job, o->shell_job);
  MOAT_CRIU_SET (opts, file_locks, o->file_locks);
  MOAT_CRIU_SET (opts, auto_dedup, o->auto_dedup);
  MOAT_CRIU_SET (opts, lazy_pages, o->lazy_pages);
  if (o->empty_ns)
    MOAT_CRIU_SET (opts, empty_ns, CLONE_NEWNET);
  return 0;
}

void
moat_criu_close (struct moat_criu *c)
{
  moat_criu_opts_free (c->opts);
  c->opts = NULL;
}

void
moat_criu_dirs (struct moat_criu *c, int images_fd, int work_fd, const char *work_path,
                const char *log)
{
  c->opts->images_dir_fd = images_fd;
  MOAT_CRIU_SET (c->opts, work_dir_fd, work_fd);
  moat_criu_set_str (&c->opts->log_file, log);
  c->work_fd = work_fd;
  c->work_path = work_path;
  c->log = log;
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

/* CRIU's answer to a request: done, or why not.  */
static int
criu_failed (const struct moat_criu *c, const CriuResp *resp, const char *what,
             moat_error **err)
{
  autofree char *line = first_error_line (c->work_fd, c->log);
  autofree char *msg = resp->cr_errmsg ? moat_printable (resp->cr_errmsg) : NULL;
  int e = resp->has_cr_errno ? resp->cr_errno : 0;
  return moat_error_set (err, 0, "criu %s failed%s%s (%s; its log: %s/%s)", what,
                         line ? ": " : "", line ? line : "",
                         msg ? msg : e ? strerror (e) : "no reason given", c->work_path,
                         c->log);
}

int
moat_criu_run (struct moat_criu *c, CriuReqType type, const char *what,
               const struct moat_criu_notify *cb, pid_t *restored, moat_error **err)
{
  CriuResp *resp = NULL;
  if (moat_criu_call (c->binary, type, c->opts, NULL, cb, &resp, err) < 0)
    return moat_error_prefix (err, "criu %s", what);
  int r = 0;
  if (!resp->success)
    r = criu_failed (c, resp, what, err);
  else if (restored)
    {
      *restored = resp->restore ? resp->restore->pid : 0;
      if (*restored <= 0)
        r = moat_error_set (err, EPROTO, "criu %s: no process in its answer", what);
    }
  criu_resp__free_unpacked (resp, NULL);
  return r;
}

#endif /* HAVE_CRIU */
