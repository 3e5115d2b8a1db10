/* Learning a seccomp profile from a run (create/run --seccomp-learn).

   The container gets a filter whose default action is SCMP_ACT_NOTIFY:
   every system call its processes make (but sendmsg, with which moat
   passes the listener) stops until a listener answers.  The listener
   goes to a learner: a process moat forks outside the container, holding
   nothing but the listener, that records each call (its architecture
   and number; the family of socket, the value of personality and
   whether clone asked for a namespace) and lets it go on as if no filter
   were there (SECCOMP_USER_NOTIF_FLAG_CONTINUE: fine for learning, never
   for enforcing, as the call's arguments may change after the answer).
   When every process under the filter is gone the listener hangs up and
   the learner writes the profile: an OCI linux.seccomp object that
   allows what was seen, argument filters for socket, personality and
   clone, EPERM for everything else.  Every call costs a round trip to
   the learner: learning is for a test run of the workload, not for
   production.  */
#include <config.h>
#include "seccomp-learn.h"
#include "log.h"
#include "spec/jsontree.h"
#include "utils.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#define NS_FLAGS 0x7E020000ULL  /* CLONE_NEW{NS,CGROUP,UTS,IPC,USER,PID,NET} */

struct seen
{
  struct { uint32_t arch; int nr; } *calls;
  size_t n;
  uint32_t arches[8];
  size_t n_arches;
  uint64_t families[64];       /* socket's first argument */
  size_t n_families;
  uint64_t personas[16];       /* personality's */
  size_t n_personas;
  bool clone_ns;               /* clone asked for a new namespace */
  char **merged;               /* names of an earlier profile (merge) */
  char **merged_arches;
};

static void
add_value (uint64_t *v, size_t *n, size_t max, uint64_t x)
{
  for (size_t i = 0; i < *n; i++)
    if (v[i] == x)
      return;
  if (*n < max)
    v[(*n)++] = x;
}

/* distinct calls kept: far more than any architecture has; a container
   that makes numbers no architecture has cannot grow the learner */
#define MAX_CALLS 4096

static void
record (struct seen *s, const struct seccomp_data *d)
{
  char *name = seccomp_syscall_resolve_num_arch (d->arch, d->nr);
  if (name == NULL)
    return;  /* a number without a name: nothing a profile could allow */
  size_t i;
  for (i = 0; i < s->n; i++)
    if (s->calls[i].arch == d->arch && s->calls[i].nr == d->nr)
      break;
  if (i == s->n && s->n < MAX_CALLS)
    {
      s->calls = xrealloc (s->calls, (s->n + 1) * sizeof *s->calls);
      s->calls[s->n].arch = d->arch;
      s->calls[s->n].nr = d->nr;
      s->n++;
      bool known = false;
      for (size_t k = 0; k < s->n_arches; k++)
        known = known || s->arches[k] == d->arch;
      if (!known && s->n_arches < ARRAY_SIZE (s->arches))
        s->arches[s->n_arches++] = d->arch;
    }
  if (strcmp (name, "socket") == 0)
    add_value (s->families, &s->n_families, ARRAY_SIZE (s->families), d->args[0]);
  else if (strcmp (name, "personality") == 0)
    add_value (s->personas, &s->n_personas, ARRAY_SIZE (s->personas), d->args[0]);
  else if (strcmp (name, "clone") == 0 && (d->args[0] & NS_FLAGS))
    s->clone_ns = true;
  free (name);
}

/* ---- the profile ---- */

static const char *
arch_name (uint32_t a)
{
  switch (a)
    {
    case AUDIT_ARCH_X86_64: return "SCMP_ARCH_X86_64";
    case AUDIT_ARCH_I386: return "SCMP_ARCH_X86";
    case AUDIT_ARCH_AARCH64: return "SCMP_ARCH_AARCH64";
    case AUDIT_ARCH_ARM: return "SCMP_ARCH_ARM";
    default: return NULL;
    }
}

static int
by_name (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static void
gen_rule (yajl_gen g, const char *name, int index, uint64_t value, uint64_t two,
          const char *op)
{
  yajl_gen_map_open (g);
  GS (g, "names");
  yajl_gen_array_open (g);
  GS (g, name);
  yajl_gen_array_close (g);
  GS (g, "action");
  GS (g, "SCMP_ACT_ALLOW");
  if (op)
    {
      GS (g, "args");
      yajl_gen_array_open (g);
      yajl_gen_map_open (g);
      GS (g, "index");
      yajl_gen_integer (g, index);
      GS (g, "value");
      yajl_gen_integer (g, (long long) value);
      if (two)
        {
          GS (g, "valueTwo");
          yajl_gen_integer (g, (long long) two);
        }
      GS (g, "op");
      GS (g, op);
      yajl_gen_map_close (g);
      yajl_gen_array_close (g);
    }
  yajl_gen_map_close (g);
}

/* the calls allowed whole, sorted, without those argument rules filter */
static char **
plain_names (const struct seen *s, size_t *n)
{
  size_t n_merged = 0;
  while (s->merged && s->merged[n_merged])
    n_merged++;
  char **v = xmalloc0 ((s->n + n_merged + 2) * sizeof (char *));
  *n = 0;
  /* passes the listener: never notified, so never seen */
  v[(*n)++] = xstrdup ("sendmsg");
  for (size_t i = 0; i < n_merged; i++)
    {
      bool dup = false;
      for (size_t k = 0; k < *n && !dup; k++)
        dup = strcmp (v[k], s->merged[i]) == 0;
      if (!dup)
        v[(*n)++] = xstrdup (s->merged[i]);
    }
  for (size_t i = 0; i < s->n; i++)
    {
      char *name = seccomp_syscall_resolve_num_arch (s->calls[i].arch, s->calls[i].nr);
      if (name == NULL)
        continue;
      bool filtered = strcmp (name, "socket") == 0 || strcmp (name, "personality") == 0
        || (strcmp (name, "clone") == 0 && !s->clone_ns) || strcmp (name, "clone3") == 0;
      bool dup = false;
      for (size_t k = 0; k < *n && !dup; k++)
        dup = strcmp (v[k], name) == 0;
      if (filtered || dup)
        free (name);
      else
        v[(*n)++] = name;
    }
  qsort (v, *n, sizeof *v, by_name);
  return v;
}

static char *
profile (const struct seen *s)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  yajl_gen_config (g, yajl_gen_beautify, 1);
  yajl_gen_map_open (g);
  GS (g, "defaultAction");
  GS (g, "SCMP_ACT_ERRNO");
  GS (g, "defaultErrnoRet");
  yajl_gen_integer (g, EPERM);
  GS (g, "architectures");
  yajl_gen_array_open (g);
  char **arches = NULL;
  for (size_t i = 0; i < s->n_arches; i++)
    if (arch_name (s->arches[i]))
      arches = moat_strv_append (arches, arch_name (s->arches[i]));
  for (size_t i = 0; s->merged_arches && s->merged_arches[i]; i++)
    {
      bool dup = false;
      for (size_t k = 0; arches && arches[k] && !dup; k++)
        dup = strcmp (arches[k], s->merged_arches[i]) == 0;
      if (!dup)
        arches = moat_strv_append (arches, s->merged_arches[i]);
    }
  for (size_t i = 0; arches && arches[i]; i++)
    GS (g, arches[i]);
  moat_strv_free (arches);
  yajl_gen_array_close (g);
  GS (g, "syscalls");
  yajl_gen_array_open (g);
  size_t n;
  char **names = plain_names (s, &n);
  yajl_gen_map_open (g);
  GS (g, "names");
  yajl_gen_array_open (g);
  for (size_t i = 0; i < n; i++)
    GS (g, names[i]);
  yajl_gen_array_close (g);
  GS (g, "action");
  GS (g, "SCMP_ACT_ALLOW");
  yajl_gen_map_close (g);
  moat_strv_free (names);
  for (size_t i = 0; i < s->n_families; i++)
    gen_rule (g, "socket", 0, s->families[i], 0, "SCMP_CMP_EQ");
  for (size_t i = 0; i < s->n_personas; i++)
    gen_rule (g, "personality", 0, s->personas[i], 0, "SCMP_CMP_EQ");
  bool clone3 = false;
  for (size_t i = 0; i < s->n; i++)
    {
      char *name = seccomp_syscall_resolve_num_arch (s->calls[i].arch, s->calls[i].nr);
      clone3 = clone3 || (name && strcmp (name, "clone3") == 0);
      free (name);
    }
  /* clone without a namespace flag, which the learning filter lets
     through unseen (and a plain clone among the names when one asked
     for a namespace); clone3's flags are out of a filter's reach: ENOSYS,
     and the C library falls back to clone */
  if (!s->clone_ns)
    gen_rule (g, "clone", 0, NS_FLAGS, 0, "SCMP_CMP_MASKED_EQ");
  if (clone3)
    {
      yajl_gen_map_open (g);
      GS (g, "names");
      yajl_gen_array_open (g);
      GS (g, "clone3");
      yajl_gen_array_close (g);
      GS (g, "action");
      GS (g, "SCMP_ACT_ERRNO");
      GS (g, "errnoRet");
      yajl_gen_integer (g, ENOSYS);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
  yajl_gen_map_close (g);
  return moat_json_gen_take (g, "\n");
}

/* ---- the filter ---- */

void
moat_seccomp_learn_filter (struct moat_spec *s)
{
  moat_seccomp_clear (&s->seccomp);
  s->has_seccomp = true;
  struct moat_seccomp *k = &s->seccomp;
  k->default_action = SCMP_ACT_NOTIFY;
  k->uses_notify = true;
  k->wait_killable = true;
  /* the 32-bit variants of the native architecture too: a program the
     workload runs may be one */
  uint32_t native = seccomp_arch_native ();
  if (native == SCMP_ARCH_X86_64)
    {
      k->architectures = moat_strv_append (k->architectures, "x86");
      k->architectures = moat_strv_append (k->architectures, "x32");
    }
  else if (native == SCMP_ARCH_AARCH64)
    k->architectures = moat_strv_append (k->architectures, "arm");
  k->rules = xmalloc0 (2 * sizeof *k->rules);
  k->n_rules = 2;
  k->rules[0].names = moat_strv_append (NULL, "sendmsg");
  k->rules[0].action = SCMP_ACT_ALLOW;
  /* A notified call can be cut short by a signal before the learner
     takes it (the wait is interruptible until then), and the program
     sees EINTR where it expects none: fork, with a shell's SIGCHLD, is
     the one that happens.  clone without namespace flags goes through
     un-notified; it is in every profile learned (with the flag filter),
     and a clone that asks for a namespace is still notified, and seen. */
  k->rules[1].names = moat_strv_append (NULL, "clone");
  k->rules[1].action = SCMP_ACT_ALLOW;
  k->rules[1].args = xmalloc0 (sizeof *k->rules[1].args);
  k->rules[1].n_args = 1;
  k->rules[1].args[0] = (struct moat_seccomp_arg) { .index = 0, .value = NS_FLAGS,
                                                    .value_two = 0,
                                                    .op = SCMP_CMP_MASKED_EQ };
}

/* ---- the learner ---- */

static void
answer (int listener, struct seen *s, struct seccomp_notif *req,
        struct seccomp_notif_resp *resp, const struct seccomp_notif_sizes *sz)
{
  memset (req, 0, sz->seccomp_notif);
  if (ioctl (listener, SECCOMP_IOCTL_NOTIF_RECV, req) < 0)
    return;
  record (s, &req->data);
  memset (resp, 0, sz->seccomp_notif_resp);
  resp->id = req->id;
  resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  ioctl (listener, SECCOMP_IOCTL_NOTIF_SEND, resp);
}

/* a new file of the learner's own, renamed over out: never written
   through a link someone put in its place */
static int
write_profile (const char *out, const struct seen *s)
{
  autofree char *text = profile (s);
  autofree char *tmp = xasprintf ("%s.learning.%d", out, (int) getpid ());
  int fd = open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0)
    return -1;
  if (moat_write_all (fd, text, strlen (text)) < 0 || close (fd) < 0)
    {
      unlink (tmp);
      return -1;
    }
  return rename (tmp, out);
}

/* --seccomp-learn-merge: what an earlier learned profile in out allows
   is kept (its names, socket families, personality values; a clone
   allowed whole means a namespace flag was seen).  A file that is not
   such a profile is left out, said on stderr.  */
static void
merge_earlier (const char *out, struct seen *s)
{
  autofree char *text = NULL;
  size_t len;
  moat_error *err = NULL;
  /* a regular file only: never a FIFO that would hold the learner */
  autoclose int fd = open (out, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
    return;
  autofree char *self = xasprintf ("/proc/self/fd/%d", fd);
  if (moat_read_file_at (AT_FDCWD, self, 1 << 20, &text, &len, &err) < 0)
    {
      moat_error_free (&err);
      return;
    }
  yajl_val top = moat_json_parse (text, len, &err);
  yajl_val calls = top ? yajl_tree_get (top, (const char *[]) { "syscalls", NULL },
                                        yajl_t_array) : NULL;
  yajl_val arches = top ? yajl_tree_get (top, (const char *[]) { "architectures", NULL },
                                         yajl_t_array) : NULL;
  if (calls == NULL)
    {
      fprintf (stderr, "moat: --seccomp-learn-merge: `%s` is not a learned profile: "
               "not merged\n", out);
      moat_error_free (&err);
      if (top)
        yajl_tree_free (top);
      return;
    }
  for (size_t i = 0; arches && i < arches->u.array.len; i++)
    if (YAJL_IS_STRING (arches->u.array.values[i]))
      s->merged_arches = moat_strv_append (s->merged_arches,
                                           arches->u.array.values[i]->u.string);
  for (size_t i = 0; i < calls->u.array.len; i++)
    {
      yajl_val rule = calls->u.array.values[i];
      yajl_val names = yajl_tree_get (rule, (const char *[]) { "names", NULL }, yajl_t_array);
      yajl_val action = yajl_tree_get (rule, (const char *[]) { "action", NULL },
                                       yajl_t_string);
      yajl_val value = yajl_tree_get (rule, (const char *[]) { "args", NULL }, yajl_t_array);
      if (names == NULL || action == NULL
          || strcmp (action->u.string, "SCMP_ACT_ALLOW") != 0)
        continue;
      for (size_t k = 0; k < names->u.array.len; k++)
        {
          yajl_val nv = names->u.array.values[k];
          if (!YAJL_IS_STRING (nv))
            continue;
          const char *name = nv->u.string;
          yajl_val v = value && value->u.array.len
            ? yajl_tree_get (value->u.array.values[0], (const char *[]) { "value", NULL },
                             yajl_t_number) : NULL;
          if (v && strcmp (name, "socket") == 0)
            add_value (s->families, &s->n_families, ARRAY_SIZE (s->families),
                       (uint64_t) YAJL_GET_INTEGER (v));
          else if (v && strcmp (name, "personality") == 0)
            add_value (s->personas, &s->n_personas, ARRAY_SIZE (s->personas),
                       (uint64_t) YAJL_GET_INTEGER (v));
          else if (v == NULL && strcmp (name, "clone") == 0)
            s->clone_ns = true;
          else if (v == NULL)
            s->merged = moat_strv_append (s->merged, name);
        }
    }
  yajl_tree_free (top);
}

static void __attribute__ ((noreturn))
learner (int listener, const char *out, struct seen *earlier)
{
  struct seccomp_notif_sizes sz;
  if (syscall (SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) < 0)
    _exit (1);
  struct seccomp_notif *req = xmalloc0 (sz.seccomp_notif);
  struct seccomp_notif_resp *resp = xmalloc0 (sz.seccomp_notif_resp);
  struct seen s = *earlier;
  for (;;)
    {
      struct pollfd p = { listener, POLLIN, 0 };
      if (poll (&p, 1, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      if (p.revents & POLLIN)
        answer (listener, &s, req, resp, &sz);
      else if (p.revents & (POLLHUP | POLLERR | POLLNVAL))
        break;  /* every process under the filter is gone */
    }
  _exit (write_profile (out, &s) < 0 ? 1 : 0);
}

pid_t
moat_seccomp_learn_start (int listener, const char *out, bool merge, moat_error **err)
{
  /* the earlier profile read here, where its warnings reach the caller */
  struct seen earlier = { 0 };
  if (merge)
    merge_earlier (out, &earlier);
  pid_t pid = fork ();
  if (pid < 0)
    {
      moat_error_set (err, errno, "--seccomp-learn: fork the learner");
      moat_strv_free (earlier.merged);
      moat_strv_free (earlier.merged_arches);
      return -1;
    }
  if (pid > 0)
    {
      moat_strv_free (earlier.merged);
      moat_strv_free (earlier.merged_arches);
      return pid;
    }
  /* nothing of moat's but the listener: not the state directory's lock,
     the channel, a terminal or the caller's stdio (an engine reading
     them to their end would wait for the container); out of the
     caller's session, so that its ^C or hangup does not end the
     learner and leave the container's calls unanswered */
  setsid ();
  signal (SIGPIPE, SIG_IGN);
  signal (SIGINT, SIG_IGN);
  signal (SIGHUP, SIG_IGN);
  signal (SIGTERM, SIG_IGN);
  signal (SIGQUIT, SIG_IGN);
  int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0 || dup2 (null, 0) < 0 || dup2 (null, 1) < 0 || dup2 (null, 2) < 0
      || dup2 (listener, 3) < 0)
    _exit (1);
  syscall (SYS_close_range, 4, ~0U, 0);
  learner (3, out, &earlier);
}

/* The learner writes when the last process under the filter is gone: at
   once with a pid namespace of the container's own; a process that left
   it running (no pid namespace) is waited for a while, then left to it.  */
void
moat_seccomp_learn_wait (pid_t learner, const char *out)
{
  int st = 0;
  for (int i = 0; i < 100; i++)
    {
      pid_t r = waitpid (learner, &st, WNOHANG);
      if (r == learner)
        {
          if (!WIFEXITED (st) || WEXITSTATUS (st) != 0)
            moat_warn ("--seccomp-learn: the profile could not be written to `%s`", out);
          return;
        }
      if (r < 0 && errno != EINTR)
        return;
      usleep (100 * 1000);
    }
  moat_warn ("--seccomp-learn: processes under the learning filter are still running: "
             "`%s` is written when the last one ends", out);
}
