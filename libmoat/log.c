#include <config.h>
#include "log.h"
#include "channel.h"
#include "error.h"
#include "utils.h"
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <yajl/yajl_gen.h>

static int log_fd = -1;
/* Messages below error level wait here until the command succeeds: on
   failure the log must hold exactly one line, the error (engines parse
   the whole file as one JSON value).  */
struct pending
{
  enum moat_log_level level;
  char *msg;
};
static struct pending *pending;
static size_t n_pending;
/* In a child of the runtime (the container's init): send messages to the
   parent over this socket instead.  */
static int forward_fd = -1;
static enum moat_log_format log_format = MOAT_LOG_TEXT;
static enum moat_log_level log_level = MOAT_LOG_WARNING;

static const char *const level_names[] = { "error", "warning", "info", "debug" };

int
moat_log_level_from_string (const char *s, enum moat_log_level *out)
{
  for (size_t i = 0; i < ARRAY_SIZE (level_names); i++)
    if (strcmp (s, level_names[i]) == 0)
      {
        *out = i;
        return 0;
      }
  if (strcmp (s, "warn") == 0)
    {
      *out = MOAT_LOG_WARNING;
      return 0;
    }
  return -1;
}

int
moat_log_init (const char *path, enum moat_log_format format,
               enum moat_log_level level, moat_error **err)
{
  log_format = format;
  log_level = level;
  if (path == NULL)
    return 0;
  int fd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0644);
  if (fd < 0)
    return moat_error_set (err, errno, "open log file `%s`", path);
  log_fd = fd;
  return 0;
}

bool
moat_log_has_file (void)
{
  return log_fd >= 0;
}

int
moat_log_fd (void)
{
  return log_fd;
}

void
moat_log_close (void)
{
  if (log_fd >= 0)
    close (log_fd);
  log_fd = -1;
}

static void
emit (enum moat_log_level level, const char *msg)
{
  char now[64];
  moat_rfc3339_now (now, sizeof now, true);
  if (log_format == MOAT_LOG_JSON)
    {
      yajl_gen g = yajl_gen_alloc (NULL);
      if (g == NULL)
        return;
      yajl_gen_map_open (g);
      yajl_gen_string (g, (const unsigned char *) "level", 5);
      yajl_gen_string (g, (const unsigned char *) level_names[level],
                       strlen (level_names[level]));
      yajl_gen_string (g, (const unsigned char *) "msg", 3);
      yajl_gen_string (g, (const unsigned char *) msg, strlen (msg));
      yajl_gen_string (g, (const unsigned char *) "time", 4);
      yajl_gen_string (g, (const unsigned char *) now, strlen (now));
      yajl_gen_map_close (g);
      const unsigned char *buf;
      size_t len;
      yajl_gen_get_buf (g, &buf, &len);
      char *line = xasprintf ("%.*s\n", (int) len, buf);
      (void) moat_write_all (log_fd, line, strlen (line));
      free (line);
      yajl_gen_free (g);
    }
  else
    {
      autofree char *shown = moat_printable (msg);
      char *line = xasprintf ("%s %s: %s\n", now, level_names[level], shown);
      (void) moat_write_all (log_fd, line, strlen (line));
      free (line);
    }
}

void
moat_log_error_to_file (const char *msg)
{
  if (log_fd >= 0)
    emit (MOAT_LOG_ERROR, msg);
}

/* Messages below error level go to the log file when there is one, else
   to stderr.  During create the runtime's stderr is the container's, so
   a log file keeps warnings out of the container's output.  */
void
moat_log (enum moat_log_level level, const char *fmt, ...)
{
  if (level > log_level)
    return;
  int saved = errno;
  va_list ap;
  va_start (ap, fmt);
  char *msg = NULL;
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  if (msg == NULL)
    return;
  if (forward_fd >= 0)
    /* a message longer than the channel takes is cut */
    moat_channel_send (forward_fd, MOAT_MSG_LOG, level, msg,
                       strnlen (msg, MOAT_CHANNEL_MAX_PAYLOAD), -1, NULL);
  else if (log_fd >= 0)
    {
      pending = xrealloc (pending, (n_pending + 1) * sizeof *pending);
      pending[n_pending++] = (struct pending) { level, msg };
      msg = NULL;
    }
  else
    {
      autofree char *shown = moat_printable (msg);
      fprintf (stderr, "moat: %s: %s\n", level_names[level], shown);
    }
  free (msg);
  errno = saved;
}

void
moat_log_forward (int fd)
{
  forward_fd = fd;
}

void
moat_log_forwarded (unsigned level, const char *msg)
{
  if (level <= MOAT_LOG_DEBUG)
    moat_log (level, "%s", msg);
}

void
moat_log_flush (void)
{
  for (size_t i = 0; i < n_pending; i++)
    {
      emit (pending[i].level, pending[i].msg);
      free (pending[i].msg);
    }
  free (pending);
  pending = NULL;
  n_pending = 0;
}

void
moat_log_discard (void)
{
  for (size_t i = 0; i < n_pending; i++)
    free (pending[i].msg);
  free (pending);
  pending = NULL;
  n_pending = 0;
}
