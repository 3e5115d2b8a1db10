/* systemd's manager over D-Bus (systemd-bus.h): libsystemd's sd-bus,
   loaded with dlopen on first use.  */
#include <config.h>
#include "systemd-bus.h"
#include "../utils.h"
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-bus.h>

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
/* how long a job may take: systemd answers in milliseconds, but a busy
   host's manager can be slow */
#define JOB_TIMEOUT_USEC (30ULL * 1000 * 1000)

/* ---- libsystemd, loaded on demand ---- */

#define SD_FUNCTIONS(X)                                                       \
  X (sd_bus_new) X (sd_bus_set_address) X (sd_bus_start)                    \
  X (sd_bus_open_system) X (sd_bus_open_user) X (sd_bus_flush_close_unref)  \
  X (sd_bus_message_new_method_call) X (sd_bus_message_append)              \
  X (sd_bus_message_append_array) X (sd_bus_message_open_container)         \
  X (sd_bus_message_close_container) X (sd_bus_message_read)                \
  X (sd_bus_message_unref) X (sd_bus_call) X (sd_bus_call_method)           \
  X (sd_bus_get_property_string) X (sd_bus_error_free)                      \
  X (sd_bus_error_has_name) X (sd_bus_match_signal) X (sd_bus_slot_unref)   \
  X (sd_bus_process) X (sd_bus_wait) X (sd_bus_get_property)                \
  X (sd_bus_message_read_array)

static struct
{
#define FIELD(f) __typeof__ (f) *f;
  SD_FUNCTIONS (FIELD)
#undef FIELD
} sd;

static int loaded;  /* 0: not tried, 1: loaded, -1: failed */
static char load_error[256];

static bool
load (void)
{
  if (loaded)
    return loaded > 0;
  loaded = -1;
  void *h = dlopen ("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
  if (h == NULL)
    {
      snprintf (load_error, sizeof load_error, "%s", dlerror ());
      return false;
    }
#define LOAD(f)                                                               \
  if ((sd.f = (__typeof__ (f) *) dlsym (h, #f)) == NULL)                    \
    {                                                                         \
      snprintf (load_error, sizeof load_error, "libsystemd.so.0 has no %s", #f); \
      dlclose (h);                                                            \
      return false;                                                           \
    }
  SD_FUNCTIONS (LOAD)
#undef LOAD
  loaded = 1;
  return true;
}

bool
moat_sd_available (void)
{
  return load ();
}

/* ---- properties ---- */

void
moat_sd_properties_add (struct moat_sd_properties *p, struct moat_sd_property x)
{
  if (p->n == p->cap)
    {
      p->cap = p->cap ? 2 * p->cap : 16;
      p->v = xrealloc (p->v, p->cap * sizeof *p->v);
    }
  p->v[p->n++] = x;
}

void *
moat_sd_properties_own (struct moat_sd_properties *p, void *mem)
{
  p->owned = xrealloc (p->owned, (p->n_owned + 1) * sizeof *p->owned);
  p->owned[p->n_owned++] = mem;
  return mem;
}

void
moat_sd_properties_clear (struct moat_sd_properties *p)
{
  for (size_t i = 0; i < p->n_owned; i++)
    free (p->owned[i]);
  free (p->owned);
  free (p->v);
  memset (p, 0, sizeof *p);
}

static int
append_property (sd_bus_message *m, const struct moat_sd_property *x)
{
  static const char *const signature[] = { ['t'] = "t", ['b'] = "b", ['s'] = "s",
                                           ['y'] = "ay", ['u'] = "au" };
  const char *sig = signature[(unsigned char) x->type];
  int r;
  if ((r = sd.sd_bus_message_open_container (m, 'r', "sv")) < 0
      || (r = sd.sd_bus_message_append (m, "s", x->name)) < 0
      || (r = sd.sd_bus_message_open_container (m, 'v', sig)) < 0)
    return r;
  switch (x->type)
    {
    case 't':
      r = sd.sd_bus_message_append (m, "t", x->t);
      break;
    case 'b':
      r = sd.sd_bus_message_append (m, "b", (int) x->b);
      break;
    case 's':
      r = sd.sd_bus_message_append (m, "s", x->s);
      break;
    case 'y':
      r = sd.sd_bus_message_append_array (m, 'y', x->bytes, x->n_bytes);
      break;
    case 'u':
      r = sd.sd_bus_message_append_array (m, 'u', x->pids, x->n_pids * sizeof *x->pids);
      break;
    default:
      return -EINVAL;
    }
  if (r < 0 || (r = sd.sd_bus_message_close_container (m)) < 0)
    return r;
  return sd.sd_bus_message_close_container (m);
}

static int
append_properties (sd_bus_message *m, const struct moat_sd_properties *p)
{
  int r = sd.sd_bus_message_open_container (m, 'a', "(sv)");
  for (size_t i = 0; r >= 0 && i < p->n; i++)
    r = append_property (m, &p->v[i]);
  return r < 0 ? r : sd.sd_bus_message_close_container (m);
}

/* ---- the connection ---- */

struct moat_sd_bus
{
  sd_bus *bus;
  bool direct;            /* the manager's private socket: no bus, no sender */
  const char *job;        /* the job waited for */
  char *job_result;       /* its result, once removed */
};

/* A unix socket path as a D-Bus address value: bytes other than
   [-_/.A-Za-z0-9] escaped as %xx.  */
static char *
socket_address (const char *path)
{
  char *out = xmalloc0 (strlen ("unix:path=") + 3 * strlen (path) + 1);
  char *o = stpcpy (out, "unix:path=");
  for (const unsigned char *c = (const unsigned char *) path; *c; c++)
    if (strchr ("-_/.", *c) || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')
        || (*c >= '0' && *c <= '9'))
      *o++ = *c;
    else
      o += sprintf (o, "%%%02x", *c);
  return out;
}

static int
connect_private (const char *path, sd_bus **out)
{
  sd_bus *bus = NULL;
  autofree char *address = socket_address (path);
  int r = sd.sd_bus_new (&bus);
  if (r >= 0 && (r = sd.sd_bus_set_address (bus, address)) >= 0
      && (r = sd.sd_bus_start (bus)) >= 0)
    {
      *out = bus;
      return 0;
    }
  if (bus)
    sd.sd_bus_flush_close_unref (bus);
  return r;
}

int
moat_sd_connect (bool user, struct moat_sd_bus **out, moat_error **err)
{
  *out = NULL;
  if (!load ())
    return moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, 0,
                            "the systemd cgroup driver needs libsystemd: %s", load_error);
  const char *runtime = getenv ("XDG_RUNTIME_DIR");
  if (user && (runtime == NULL || runtime[0] != '/'))
    return moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, 0,
                            "the systemd cgroup driver as a user talks to the user's "
                            "systemd instance, found through XDG_RUNTIME_DIR, which is "
                            "not set (use --cgroup-manager cgroupfs)");
  autofree char *private = user ? xasprintf ("%s/systemd/private", runtime)
    : xstrdup ("/run/systemd/private");
  sd_bus *bus = NULL;
  int r = -ENOENT;
  if (access (private, F_OK) == 0)
    r = connect_private (private, &bus);
  bool direct = r >= 0;
  if (r < 0)
    r = user ? sd.sd_bus_open_user (&bus) : sd.sd_bus_open_system (&bus);
  if (r < 0)
    return moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, -r,
                            "cannot reach the %s systemd manager (tried %s and the %s "
                            "bus); is systemd running? (or use --cgroup-manager cgroupfs)",
                            user ? "user's" : "system's", private,
                            user ? "session" : "system");
  struct moat_sd_bus *b = xmalloc0 (sizeof *b);
  b->bus = bus;
  b->direct = direct;
  *out = b;
  return 0;
}

void
moat_sd_close (struct moat_sd_bus *b)
{
  if (b == NULL)
    return;
  sd.sd_bus_flush_close_unref (b->bus);
  free (b->job_result);
  free (b);
}

static int
bus_error (moat_error **err, int r, const sd_bus_error *e, const char *what)
{
  if (e && e->message)
    return moat_error_set (err, 0, "%s: %s", what, e->message);
  return moat_error_set (err, -r, "%s", what);
}

char *
moat_sd_manager_cgroup (struct moat_sd_bus *b, moat_error **err)
{
  sd_bus_error e = SD_BUS_ERROR_NULL;
  char *value = NULL;
  int r = sd.sd_bus_get_property_string (b->bus, SD_DEST, SD_PATH, SD_MANAGER,
                                         "ControlGroup", &e, &value);
  if (r < 0)
    bus_error (err, r, &e, "ask systemd for its cgroup");
  sd.sd_bus_error_free (&e);
  if (r < 0)
    return NULL;
  char *copy = xstrdup (value);
  free (value);
  return copy;
}

/* ---- jobs ---- */

static int
on_job_removed (sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
  (void) ret_error;
  struct moat_sd_bus *b = userdata;
  uint32_t id;
  const char *job, *unit, *result;
  if (sd.sd_bus_message_read (m, "uoss", &id, &job, &unit, &result) < 0)
    return 0;
  if (b->job && b->job_result == NULL && strcmp (job, b->job) == 0)
    b->job_result = xstrdup (result);
  return 0;
}

static uint64_t
now_usec (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* Call a manager method that returns a job, and wait for the job.  The
   signal is subscribed to before the call, so that a job done at once is
   not missed.  */
static int
call_job (struct moat_sd_bus *b, sd_bus_message *m, const char *unit, const char *what,
          moat_error **err)
{
  sd_bus_slot *slot = NULL;
  sd_bus_message *reply = NULL;
  sd_bus_error e = SD_BUS_ERROR_NULL;
  int ret = -1;
  /* on a bus, only the manager's signal: anyone may send one named so
     (on the private socket, only the manager talks, and without a
     sender) */
  int r = sd.sd_bus_match_signal (b->bus, &slot, b->direct ? NULL : SD_DEST, SD_PATH,
                                  SD_MANAGER, "JobRemoved", on_job_removed, b);
  if (r >= 0)
    r = sd.sd_bus_call_method (b->bus, SD_DEST, SD_PATH, SD_MANAGER, "Subscribe", &e,
                               NULL, "");
  if (r < 0)
    {
      bus_error (err, r, &e, "subscribe to systemd's job signals");
      goto out;
    }
  if ((r = sd.sd_bus_call (b->bus, m, 0, &e, &reply)) < 0)
    {
      if (sd.sd_bus_error_has_name (&e, "org.freedesktop.systemd1.UnitExists"))
        moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0, "%s %s: systemd already has "
                         "a unit of that name", what, unit);
      else
        bus_error (err, r, &e, what);
      goto out;
    }
  const char *job;
  if ((r = sd.sd_bus_message_read (reply, "o", &job)) < 0)
    {
      moat_error_set (err, -r, "%s %s: systemd's answer", what, unit);
      goto out;
    }
  b->job = job;
  FREE_AND_NULL (b->job_result);
  uint64_t deadline = now_usec () + JOB_TIMEOUT_USEC;
  while (b->job_result == NULL)
    {
      uint64_t now = now_usec ();
      if (now >= deadline)
        {
          moat_error_set (err, ETIMEDOUT, "%s %s: systemd's job %s did not end", what,
                          unit, job);
          goto out;
        }
      r = sd.sd_bus_process (b->bus, NULL);
      if (r == 0)
        r = sd.sd_bus_wait (b->bus, deadline - now);
      if (r < 0)
        {
          moat_error_set (err, -r, "%s %s: waiting for systemd's job", what, unit);
          goto out;
        }
    }
  if (strcmp (b->job_result, "done") != 0)
    {
      moat_error_set (err, 0, "%s %s: systemd's job ended `%s` (journalctl -u %s says why)",
                      what, unit, b->job_result, unit);
      goto out;
    }
  ret = 0;
out:
  b->job = NULL;
  sd.sd_bus_error_free (&e);
  sd.sd_bus_message_unref (reply);
  sd.sd_bus_slot_unref (slot);
  return ret;
}

static int
new_call (struct moat_sd_bus *b, const char *method, sd_bus_message **m, moat_error **err)
{
  int r = sd.sd_bus_message_new_method_call (b->bus, m, SD_DEST, SD_PATH, SD_MANAGER, method);
  if (r < 0)
    return moat_error_set (err, -r, "systemd %s", method);
  return 0;
}

int
moat_sd_start_transient (struct moat_sd_bus *b, const char *unit,
                         const struct moat_sd_properties *p, moat_error **err)
{
  sd_bus_message *m = NULL;
  if (new_call (b, "StartTransientUnit", &m, err) < 0)
    return -1;
  /* "fail": never replace a job someone else queued for that name */
  int r = sd.sd_bus_message_append (m, "ss", unit, "fail");
  if (r >= 0)
    r = append_properties (m, p);
  if (r >= 0)
    r = sd.sd_bus_message_append (m, "a(sa(sv))", 0);  /* no auxiliary units */
  int ret = r < 0 ? moat_error_set (err, -r, "build systemd's StartTransientUnit %s", unit)
    : call_job (b, m, unit, "start the unit", err);
  sd.sd_bus_message_unref (m);
  return ret;
}

int
moat_sd_set_properties (struct moat_sd_bus *b, const char *unit,
                        const struct moat_sd_properties *p, moat_error **err)
{
  sd_bus_message *m = NULL, *reply = NULL;
  sd_bus_error e = SD_BUS_ERROR_NULL;
  if (new_call (b, "SetUnitProperties", &m, err) < 0)
    return -1;
  /* runtime: until the unit stops, as the container's limits are */
  int r = sd.sd_bus_message_append (m, "sb", unit, 1);
  if (r >= 0)
    r = append_properties (m, p);
  if (r >= 0)
    r = sd.sd_bus_call (b->bus, m, 0, &e, &reply);
  int ret = 0;
  if (r < 0)
    {
      autofree char *what = xasprintf ("set the properties of %s", unit);
      ret = bus_error (err, r, &e, what);
    }
  sd.sd_bus_error_free (&e);
  sd.sd_bus_message_unref (reply);
  sd.sd_bus_message_unref (m);
  return ret;
}

bool
moat_sd_unit_exists (struct moat_sd_bus *b, const char *unit)
{
  sd_bus_error e = SD_BUS_ERROR_NULL;
  sd_bus_message *reply = NULL;
  int r = sd.sd_bus_call_method (b->bus, SD_DEST, SD_PATH, SD_MANAGER, "GetUnit", &e,
                                 &reply, "s", unit);
  sd.sd_bus_error_free (&e);
  sd.sd_bus_message_unref (reply);
  return r >= 0;
}

int
moat_sd_stop_unit (struct moat_sd_bus *b, const char *unit, moat_error **err)
{
  if (!moat_sd_unit_exists (b, unit))
    return 0;
  sd_bus_message *m = NULL;
  if (new_call (b, "StopUnit", &m, err) < 0)
    return -1;
  int r = sd.sd_bus_message_append (m, "ss", unit, "replace");
  int ret = r < 0 ? moat_error_set (err, -r, "build systemd's StopUnit %s", unit)
    : call_job (b, m, unit, "stop the unit", err);
  sd.sd_bus_message_unref (m);
  if (ret < 0 && !moat_sd_unit_exists (b, unit))
    {
      /* it went by itself meanwhile (a scope whose last process ended) */
      moat_error_free (err);
      return 0;
    }
  if (ret == 0)
    {
      /* a unit that failed stays loaded as failed: forget it */
      sd_bus_error e = SD_BUS_ERROR_NULL;
      sd.sd_bus_call_method (b->bus, SD_DEST, SD_PATH, SD_MANAGER, "ResetFailedUnit", &e,
                             NULL, "s", unit);
      sd.sd_bus_error_free (&e);
    }
  return ret;
}

int
moat_sd_unit_invocation (struct moat_sd_bus *b, const char *unit, char **out,
                         moat_error **err)
{
  *out = NULL;
  sd_bus_error e = SD_BUS_ERROR_NULL;
  sd_bus_message *unit_reply = NULL, *reply = NULL;
  int ret = 0;
  int r = sd.sd_bus_call_method (b->bus, SD_DEST, SD_PATH, SD_MANAGER, "GetUnit", &e,
                                 &unit_reply, "s", unit);
  if (r < 0)
    {
      /* not loaded: no invocation */
      if (!sd.sd_bus_error_has_name (&e, "org.freedesktop.systemd1.NoSuchUnit"))
        ret = bus_error (err, r, &e, "ask systemd for the unit");
      goto out;
    }
  const char *path;
  const void *id;
  size_t n = 0;
  if ((r = sd.sd_bus_message_read (unit_reply, "o", &path)) < 0
      || (r = sd.sd_bus_get_property (b->bus, SD_DEST, path, "org.freedesktop.systemd1.Unit",
                                      "InvocationID", &e, &reply, "ay")) < 0
      || (r = sd.sd_bus_message_read_array (reply, 'y', &id, &n)) < 0)
    {
      ret = bus_error (err, r, &e, "ask systemd for the unit's InvocationID");
      goto out;
    }
  char *hex = xmalloc0 (2 * n + 1);
  for (size_t i = 0; i < n; i++)
    sprintf (hex + 2 * i, "%02x", ((const unsigned char *) id)[i]);
  *out = hex;
out:
  sd.sd_bus_error_free (&e);
  sd.sd_bus_message_unref (reply);
  sd.sd_bus_message_unref (unit_reply);
  return ret;
}
