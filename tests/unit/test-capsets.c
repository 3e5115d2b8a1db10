/* process.capabilities as sets of bits (libmoat/plan/capsets.c): names
   to bits, the combinations the kernel would refuse reported with the set
   and the capability, and what cannot be granted left out with a
   warning.  The host is made by hand: last_cap and moat's own bounding
   set are whatever the test says.  */
#include <config.h>
#include "tap.h"
#include "libmoat/channel.h"
#include "libmoat/log.h"
#include "libmoat/plan/plan.h"
#include "libmoat/spec/spec.h"
#include "libmoat/utils.h"
#include <fcntl.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define B(c) (1ULL << (c))
#define NAMES(...) ((char *[]) { __VA_ARGS__, NULL })
#define NONE ((char *[]) { NULL })

/* Warnings are forwarded over a channel (moat_log_forward) and read back.  */
static int logsv[2];

static char *
warnings (void)
{
  char *all = xstrdup ("");
  struct moat_msg m;
  while (moat_channel_recv (logsv[1], &m, NULL) == 1)
    {
      /* one line: the TAP output shows them */
      char *n = xasprintf ("%s%s%s", all, all[0] ? " | " : "", m.data);
      free (all);
      all = n;
    }
  return all;
}

static struct moat_host
host (int last_cap, uint64_t own)
{
  return (struct moat_host) { .euid = 1000, .initial_userns = true, .last_cap = last_cap,
                              .own_bounding = own };
}

static const uint64_t ALL41 = (1ULL << 41) - 1;   /* CAP_CHOWN .. CAP_CHECKPOINT_RESTORE */

/* Build; the error message (NULL when it built), the warnings in *warn.  */
static char *
build (const struct moat_caps *names, const struct moat_host *h, struct moat_capsets *out,
       char **warn, enum moat_error_kind *kind)
{
  moat_error *err = NULL;
  memset (out, 0xa5, sizeof *out);
  int r = moat_capsets_build (names, h, out, &err);
  char *msg = r < 0 ? xstrdup (err ? err->msg : "(no message)") : NULL;
  if (r == 0 && err)
    msg = xstrdup ("(error set on success)");
  if (kind)
    *kind = moat_error_kind (err);
  moat_error_free (&err);
  char *w = warnings ();
  if (warn)
    *warn = w;
  else
    free (w);
  return msg;
}

static void
test_names (void)
{
  static const struct { const char *name; int cap; } good[] = {
    { "CAP_CHOWN", CAP_CHOWN }, { "CAP_KILL", CAP_KILL }, { "cap_kill", CAP_KILL },
    { "Cap_Sys_Admin", CAP_SYS_ADMIN }, { "CAP_SYS_PTRACE", CAP_SYS_PTRACE },
    { "CAP_NET_BIND_SERVICE", CAP_NET_BIND_SERVICE }, { "CAP_AUDIT_READ", 37 },
    { "CAP_PERFMON", 38 }, { "CAP_BPF", 39 }, { "CAP_CHECKPOINT_RESTORE", 40 },
  };
  for (size_t i = 0; i < ARRAY_SIZE (good); i++)
    ok (moat_cap_from_name (good[i].name) == good[i].cap, "%s is %d (got %d)", good[i].name,
        good[i].cap, moat_cap_from_name (good[i].name));
  static const char *const bad[] = {
    "SYS_ADMIN", "sys_admin", "KILL", "CAP_", "", "CAP_BOGUS", "CAP_KILLX", "CAP_21", "21",
    "all", "=ep", " CAP_KILL", "CAPKILL",
  };
  for (size_t i = 0; i < ARRAY_SIZE (bad); i++)
    ok (moat_cap_from_name (bad[i]) == -1, "`%s` is unknown (got %d)", bad[i],
        moat_cap_from_name (bad[i]));
  /* trailing text after a known name */
  static const char *const trailing[][2] = {
    { "CAP_KILL,CAP_SYS_ADMIN", NULL }, { "CAP_KILL junk", NULL }, { "CAP_KILL=ep", NULL },
    { "CAP_SYS_ADMIN\n", "CAP_SYS_ADMIN\\n" }, { "CAP_KILL-", NULL },
  };
  for (size_t i = 0; i < ARRAY_SIZE (trailing); i++)
    ok (moat_cap_from_name (trailing[i][0]) == -1,
        "`%s` is unknown (got %d)", trailing[i][1] ? trailing[i][1] : trailing[i][0],
        moat_cap_from_name (trailing[i][0]));
}

static void
test_sets (void)
{
  struct moat_host h = host (40, ALL41);
  struct moat_capsets c;
  char *warn;

  struct moat_caps empty = { 0 };
  char *msg = build (&empty, &h, &c, &warn, NULL);
  ok (msg == NULL && c.bounding == 0 && c.effective == 0 && c.inheritable == 0
      && c.permitted == 0 && c.ambient == 0 && warn[0] == '\0', "no sets: all empty");
  free (msg);
  free (warn);
  struct moat_caps empties = { NONE, NONE, NONE, NONE, NONE };
  msg = build (&empties, &h, &c, &warn, NULL);
  ok (msg == NULL && c.bounding == 0 && c.effective == 0 && c.inheritable == 0
      && c.permitted == 0 && c.ambient == 0, "empty lists: all empty");
  free (msg);
  free (warn);

  struct moat_caps docker = {
    .bounding = NAMES ("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
                       "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
                       "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"),
    .effective = NAMES ("CAP_CHOWN", "cap_kill"),
    .permitted = NAMES ("CAP_CHOWN", "CAP_KILL", "CAP_SETUID"),
    .inheritable = NAMES ("CAP_KILL"),
    .ambient = NAMES ("CAP_KILL"),
  };
  msg = build (&docker, &h, &c, &warn, NULL);
  uint64_t want_b = B (CAP_CHOWN) | B (CAP_DAC_OVERRIDE) | B (CAP_FSETID) | B (CAP_FOWNER)
    | B (CAP_MKNOD) | B (CAP_NET_RAW) | B (CAP_SETGID) | B (CAP_SETUID) | B (CAP_SETFCAP)
    | B (CAP_SETPCAP) | B (CAP_NET_BIND_SERVICE) | B (CAP_SYS_CHROOT) | B (CAP_KILL)
    | B (CAP_AUDIT_WRITE);
  ok (msg == NULL && c.bounding == want_b, "bounding: names to bits (%s)", msg ? msg : "ok");
  ok (msg == NULL && c.effective == (B (CAP_CHOWN) | B (CAP_KILL))
      && c.permitted == (B (CAP_CHOWN) | B (CAP_KILL) | B (CAP_SETUID))
      && c.inheritable == B (CAP_KILL) && c.ambient == B (CAP_KILL),
      "effective, permitted, inheritable and ambient");
  ok (warn[0] == '\0', "a consistent config warns about nothing (%s)", warn);
  free (msg);
  free (warn);

  /* duplicates are harmless */
  struct moat_caps dup = { .bounding = NAMES ("CAP_KILL", "cap_kill", "CAP_KILL") };
  msg = build (&dup, &h, &c, NULL, NULL);
  ok (msg == NULL && c.bounding == B (CAP_KILL), "a name given three times is one bit");
  free (msg);
}

static void
test_errors (void)
{
  struct moat_host h = host (40, ALL41);
  struct moat_capsets c;
  enum moat_error_kind kind;
  static const char *const sets[] = { "bounding", "effective", "inheritable", "permitted",
                                      "ambient" };
  for (size_t i = 0; i < ARRAY_SIZE (sets); i++)
    {
      struct moat_caps n = { 0 };
      char **bad = NAMES ("CAP_KILL", "CAP_NOT_A_CAP");
      char ***slot[] = { &n.bounding, &n.effective, &n.inheritable, &n.permitted, &n.ambient };
      *slot[i] = bad;
      char *msg = build (&n, &h, &c, NULL, &kind);
      char *want = xasprintf ("process.capabilities.%s: unknown capability \"CAP_NOT_A_CAP\"",
                              sets[i]);
      ok (msg && strcmp (msg, want) == 0 && kind == MOAT_ERR_INVALID_CONFIG,
          "an unknown name in %s names the set (%s)", sets[i], msg ? msg : "built");
      free (want);
      free (msg);
    }
  struct moat_caps noprefix = { .permitted = NAMES ("SYS_ADMIN") };
  char *msg = build (&noprefix, &h, &c, NULL, &kind);
  ok (msg && contains (msg, "process.capabilities.permitted: unknown capability \"SYS_ADMIN\""),
      "a name without CAP_ is unknown (%s)", msg ? msg : "built");
  free (msg);

  struct moat_caps eff = { .bounding = NAMES ("CAP_KILL", "CAP_CHOWN", "CAP_SYS_ADMIN"),
                           .permitted = NAMES ("CAP_KILL"),
                           .effective = NAMES ("CAP_KILL", "CAP_SYS_ADMIN", "CAP_CHOWN") };
  msg = build (&eff, &h, &c, NULL, &kind);
  ok (msg && contains (msg, "process.capabilities: CAP_CHOWN is in effective but not in "
                       "permitted") && kind == MOAT_ERR_INVALID_CONFIG,
      "effective not in permitted names the (lowest) capability (%s)", msg ? msg : "built");
  free (msg);

  struct moat_caps inh = { .bounding = NAMES ("CAP_KILL"),
                           .inheritable = NAMES ("CAP_KILL", "CAP_NET_ADMIN") };
  msg = build (&inh, &h, &c, NULL, &kind);
  ok (msg && contains (msg, "process.capabilities: CAP_NET_ADMIN is in inheritable but not "
                       "in bounding") && kind == MOAT_ERR_INVALID_CONFIG,
      "inheritable not in bounding names the capability (%s)", msg ? msg : "built");
  free (msg);
  struct moat_caps inh_nobound = { .inheritable = NAMES ("CAP_KILL") };
  msg = build (&inh_nobound, &h, &c, NULL, &kind);
  ok (msg && contains (msg, "CAP_KILL is in inheritable but not in bounding"),
      "inheritable without a bounding set is refused (%s)", msg ? msg : "built");
  free (msg);
}

static void
test_left_out (void)
{
  struct moat_capsets c;
  char *warn;

  /* ambient: only what is permitted and inheritable */
  struct moat_host h = host (40, ALL41);
  struct moat_caps amb = {
    .bounding = NAMES ("CAP_KILL", "CAP_CHOWN", "CAP_NET_BIND_SERVICE"),
    .permitted = NAMES ("CAP_KILL", "CAP_CHOWN"),
    .inheritable = NAMES ("CAP_KILL", "CAP_NET_BIND_SERVICE"),
    .ambient = NAMES ("CAP_NET_BIND_SERVICE", "CAP_KILL", "CAP_CHOWN"),
  };
  /* said at debug level only: nothing the kernel could grant is lost */
  char *msg = build (&amb, &h, &c, &warn, NULL);
  ok (msg == NULL && c.ambient == B (CAP_KILL) && warn[0] == '\0',
      "ambient keeps only what is permitted and inheritable, without a warning (%s; %s)",
      msg ? msg : "ok", warn);
  free (msg);
  free (warn);
  moat_log_init (NULL, MOAT_LOG_TEXT, MOAT_LOG_DEBUG, NULL);
  msg = build (&amb, &h, &c, &warn, NULL);
  moat_log_init (NULL, MOAT_LOG_TEXT, MOAT_LOG_WARNING, NULL);
  ok (contains (warn, "process.capabilities.ambient: CAP_CHOWN is not both permitted and "
                "inheritable; left out")
      && contains (warn, "process.capabilities.ambient: CAP_NET_BIND_SERVICE is not both"),
      "each dropped ambient capability is named at debug level (%s)", warn);
  ok (c.permitted == (B (CAP_KILL) | B (CAP_CHOWN))
      && c.inheritable == (B (CAP_KILL) | B (CAP_NET_BIND_SERVICE)),
      "the other sets are unchanged");
  free (msg);
  free (warn);
  /* `runc spec`'s config: ambient without inheritable */
  struct moat_caps runc = {
    .bounding = NAMES ("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"),
    .effective = NAMES ("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"),
    .permitted = NAMES ("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"),
    .ambient = NAMES ("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"),
  };
  msg = build (&runc, &h, &c, &warn, NULL);
  ok (msg == NULL && c.ambient == 0 && c.effective == c.permitted && c.bounding == c.permitted,
      "runc spec's sets: ambient dropped, the rest kept (%s)", msg ? msg : "ok");
  free (msg);
  free (warn);

  /* beyond last_cap */
  h = host (37, ALL41);
  struct moat_caps newer = {
    .bounding = NAMES ("CAP_KILL", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
                       "CAP_AUDIT_READ"),
    .permitted = NAMES ("CAP_BPF", "CAP_KILL"),
    .effective = NAMES ("CAP_BPF"),
    .inheritable = NAMES ("CAP_CHECKPOINT_RESTORE"),
  };
  msg = build (&newer, &h, &c, &warn, NULL);
  ok (msg == NULL && c.bounding == (B (CAP_KILL) | B (37)) && c.permitted == B (CAP_KILL)
      && c.effective == 0 && c.inheritable == 0,
      "capabilities beyond last_cap are left out of every set (%s)", msg ? msg : "ok");
  ok (contains (warn, "process.capabilities.bounding: CAP_PERFMON is not known to this kernel; "
                "ignored") && contains (warn, "process.capabilities.effective: CAP_BPF")
      && contains (warn, "process.capabilities.inheritable: CAP_CHECKPOINT_RESTORE"),
      "... with a warning naming the set and the capability");
  free (msg);
  free (warn);

  /* outside moat's own bounding set */
  h = host (40, ALL41 & ~(B (CAP_SYS_ADMIN) | B (CAP_SYS_PTRACE)));
  struct moat_caps priv = {
    .bounding = NAMES ("CAP_KILL", "CAP_SYS_ADMIN", "CAP_SYS_PTRACE"),
    .permitted = NAMES ("CAP_KILL", "CAP_SYS_ADMIN"),
    .effective = NAMES ("CAP_SYS_ADMIN"),
    .inheritable = NAMES ("CAP_SYS_PTRACE"),
  };
  msg = build (&priv, &h, &c, &warn, NULL);
  ok (msg == NULL && c.bounding == B (CAP_KILL) && c.permitted == B (CAP_KILL)
      && c.effective == 0 && c.inheritable == 0,
      "capabilities outside moat's own bounding set are left out (%s)", msg ? msg : "ok");
  ok (contains (warn, "process.capabilities.bounding: CAP_SYS_ADMIN is not in moat's own "
                "bounding set and cannot be granted; ignored"),
      "... with a warning (%s)", warn);
  free (msg);
  free (warn);
  h = host (40, 0);
  msg = build (&priv, &h, &c, NULL, NULL);
  ok (msg == NULL && c.bounding == 0 && c.permitted == 0,
      "an empty own bounding set grants nothing");
  free (msg);
}

static void
test_reach (void)
{
  struct moat_capsets c = { 0 };
  ok (!moat_caps_reach_runtime (&c, false), "no capabilities: the runtime is out of reach");
  c.bounding = B (CAP_SYS_PTRACE);
  ok (moat_caps_reach_runtime (&c, false), "CAP_SYS_PTRACE in bounding, no user namespace: "
      "the runtime is reachable");
  ok (!moat_caps_reach_runtime (&c, true), "... but not from a user namespace of its own");
  c.bounding = ~B (CAP_SYS_PTRACE);
  c.permitted = c.effective = B (CAP_SYS_PTRACE);
  ok (!moat_caps_reach_runtime (&c, false), "only the bounding set counts");
}

/* The sets of a parsed config.json: moat spec's own default.  */
static void
test_default_spec (void)
{
  char *json = moat_spec_default_json (false);
  moat_error *err = NULL;
  struct moat_spec *s = moat_spec_parse (json, strlen (json), &err);
  ok (s != NULL && s->has_caps, "the default config parses (%s)", err ? err->msg : "ok");
  if (s)
    {
      struct moat_host h = host (40, ALL41);
      struct moat_capsets c;
      char *warn;
      char *msg = build (&s->caps, &h, &c, &warn, NULL);
      ok (msg == NULL && (c.bounding & B (CAP_KILL)) && !(c.bounding & B (CAP_SYS_ADMIN))
          && !(c.bounding & B (CAP_SYS_PTRACE)) && (c.effective & ~c.permitted) == 0
          && (c.inheritable & ~c.bounding) == 0
          && (c.ambient & ~(c.permitted & c.inheritable)) == 0,
          "the default config's sets are consistent and unprivileged (%s)", msg ? msg : "ok");
      free (msg);
      free (warn);
    }
  moat_spec_free (s);
  moat_error_free (&err);
  free (json);
}

int
main (void)
{
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, logsv) < 0)
    abort ();
  moat_log_forward (logsv[0]);
  test_names ();
  test_sets ();
  test_errors ();
  test_left_out ();
  test_reach ();
  test_default_spec ();
  moat_log_forward (-1);
  close (logsv[0]);
  close (logsv[1]);
  return tap_done ();
}
