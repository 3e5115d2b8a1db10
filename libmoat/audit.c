/* The audit trail's lines.

   {"time": "2026-11-29T14:10:00.123456789Z", "event": "create",
    "id": "c1", "bundle": "/srv/b", "configSha256": "...", "uid": 0,
    "pid": 1234, "decision": "audited",
    "findings": [{"rule": "process-root", "path": "process.user.uid"}],
    "result": "ok"}

   A line is built whole and written with one write(2) to a file opened
   with O_APPEND: on a local filesystem the kernel appends it in one
   piece, so lines of concurrent commands never interleave.  The file is
   made 0600 if missing.  A FIFO (a collector reading the trail) is opened
   O_NONBLOCK: with no reader, or a full pipe, the line is not written
   and the command says so instead of waiting.  */
#include <config.h>
#include "audit.h"
#include "fault.h"
#include "log.h"
#include "policy/policy.h"
#include "spec/jsontree.h"
#include "utils.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

static void
kv (yajl_gen g, const char *k, const char *v)
{
  if (v == NULL)
    return;
  GS (g, k);
  GS (g, v);
}

static void
kn (yajl_gen g, const char *k, long long v)
{
  GS (g, k);
  yajl_gen_integer (g, v);
}

static void
now (char *buf, size_t n)
{
  struct timespec ts;
  struct tm tm;
  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  size_t k = strftime (buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf (buf + k, n - k, ".%09ldZ", ts.tv_nsec);
}

static char *
line (const struct moat_audit_event *e)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  char t[64];
  now (t, sizeof t);
  yajl_gen_map_open (g);
  kv (g, "time", t);
  kv (g, "event", e->event);
  kv (g, "id", e->id);
  kv (g, "bundle", e->bundle);
  kv (g, "configSha256", e->config_sha256);
  kn (g, "uid", getuid ());
  if (e->pid > 0)
    kn (g, "pid", e->pid);
  kv (g, "decision", e->decision);
  if (e->findings)
    {
      GS (g, "findings");
      yajl_gen_array_open (g);
      for (size_t i = 0; i < e->findings->n; i++)
        {
          yajl_gen_map_open (g);
          kv (g, "rule", e->findings->v[i].rule);
          kv (g, "path", e->findings->v[i].path);
          yajl_gen_map_close (g);
        }
      yajl_gen_array_close (g);
    }
  if (e->changes)
    {
      GS (g, "changes");
      yajl_gen_array_open (g);
      for (size_t i = 0; e->changes[i]; i++)
        GS (g, e->changes[i]);
      yajl_gen_array_close (g);
    }
  kv (g, "detail", e->detail);
  kv (g, "result", e->error ? "error" : "ok");
  if (e->error)
    kv (g, "error", e->error->msg ? e->error->msg : "?");
  yajl_gen_map_close (g);
  return moat_json_gen_take (g, "\n");
}

int
moat_audit_write (const char *path, const struct moat_audit_event *e, moat_error **err)
{
  if (path == NULL)
    return 0;
  if (moat_fault ("audit", err) < 0)
    return -1;
  autofree char *text = line (e);
  /* never through a symbolic link, and only a file or FIFO of moat's
     user (or root's): a trail someone else controls could make moat
     append to any file it may write */
  autoclose int fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK | O_CLOEXEC
                           | O_NOCTTY | O_NOFOLLOW, 0600);
  if (fd < 0)
    return moat_error_set (err, errno, "audit log `%s`", path);
  struct stat st;
  if (fstat (fd, &st) < 0 || !(S_ISREG (st.st_mode) || S_ISFIFO (st.st_mode))
      || (st.st_uid != geteuid () && st.st_uid != 0))
    return moat_error_setk (err, MOAT_ERR_PERMISSION, 0, "audit log `%s`: not a file or "
                            "FIFO of moat's user or root", path);
  size_t n = strlen (text);
  ssize_t w = write (fd, text, n);
  if (w != (ssize_t) n)
    return moat_error_set (err, w < 0 ? errno : EIO, "audit log `%s`: write the %s "
                           "line", path, e->event);
  return 0;
}

void
moat_audit_container (const struct moat_context *ctx, const struct moat_state *st,
                      const char *event, const char *detail, const moat_error *error)
{
  const char *path = ctx->audit_log ? ctx->audit_log : st->audit_log;
  if (path == NULL)
    return;
  struct moat_audit_event e = {
    .event = event, .id = st->id, .bundle = st->bundle, .config_sha256 = st->config_sha256,
    .pid = st->pid, .detail = detail, .error = error,
  };
  moat_error *werr = NULL;
  if (moat_audit_write (path, &e, &werr) < 0)
    moat_warn ("%s", werr->msg);
  moat_error_free (&werr);
}
