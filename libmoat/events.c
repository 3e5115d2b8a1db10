/* events: the container's usage figures as runc prints them, once or
   every interval, and its OOM kills as they happen.  */
#include <config.h>
#include "moat.h"
#include "cgroup/cgroup.h"
#include "cgroup/stats.h"
#include "state.h"
#include "utils.h"
#include <errno.h>
#include <string.h>
#include <time.h>

/* The container's cgroup, if it still runs; *gone when it does not.  */
static int
running_cgroup (const struct moat_context *ctx, const char *id, struct moat_cgroup *cg,
                bool *gone, moat_error **err)
{
  struct moat_state st;
  *gone = false;
  if (moat_state (ctx, id, &st, err) < 0)
    return -1;
  int r = 0;
  if (st.status == MOAT_STATUS_STOPPED)
    *gone = true;
  else
    r = moat_cgroup_from_state (&st, cg, err);
  if (r == 0 && !*gone && (cg->driver == NULL || cg->driver->stats == NULL))
    r = moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, 0,
                         "events: container \"%s\" has no cgroup to read", id);
  moat_state_clear (&st);
  return r;
}

static char *
event_json (const char *type, const char *id, const char *data)
{
  /* the id is checked at create: letters, digits and a few marks */
  return data ? xasprintf ("{\"type\":\"%s\",\"id\":\"%s\",\"data\":%s}", type, id, data)
    : xasprintf ("{\"type\":\"%s\",\"id\":\"%s\"}", type, id);
}

static void
sleep_ms (unsigned ms)
{
  struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };
  while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
    ;
}

int
moat_events (const struct moat_context *ctx, const char *id, bool stats_once,
             unsigned interval_ms, void (*emit) (const char *json, void *arg), void *arg,
             moat_error **err)
{
  bool first = true, have_oom = false;
  uint64_t oom_kills = 0;
  unsigned since_stats = interval_ms;  /* stats at once */
  for (;;)
    {
      struct moat_cgroup cg = { .dirfd = -1 };
      bool gone;
      if (running_cgroup (ctx, id, &cg, &gone, err) < 0)
        return -1;
      if (gone)
        {
          moat_cgroup_release (&cg);
          if (first)
            return moat_error_setk (err, MOAT_ERR_WRONG_STATE, 0,
                                    "events: container \"%s\" is stopped", id);
          return 0;
        }
      struct moat_cgroup_stats s;
      memset (&s, 0, sizeof s);
      int r = cg.driver->stats (&cg, &s, err);
      moat_cgroup_release (&cg);
      if (r < 0)
        return -1;
      if (!stats_once && s.has_oom_kills && have_oom && s.oom_kills > oom_kills)
        {
          autofree char *ev = event_json ("oom", id, NULL);
          emit (ev, arg);
        }
      have_oom = s.has_oom_kills;
      oom_kills = s.oom_kills;
      if (stats_once || since_stats >= interval_ms)
        {
          autofree char *data = moat_cgroup_stats_json (&s);
          autofree char *ev = event_json ("stats", id, data);
          emit (ev, arg);
          since_stats = 0;
        }
      moat_cgroup_stats_clear (&s);
      if (stats_once)
        return 0;
      first = false;
      unsigned step = interval_ms < 1000 ? interval_ms : 1000;
      sleep_ms (step);
      since_stats += step;
    }
}
