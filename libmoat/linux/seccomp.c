/* linux.seccomp.  The profile is compiled with libseccomp into classic
   BPF while the plan is built, before anything changes on the host, so a
   profile libseccomp refuses fails create cleanly; the finish sequence
   then loads the program with seccomp(2) directly, as late as the kernel
   allows (see finish.c).  */
#include <config.h>
#include "linux.h"
#include "../plan/plan.h"
#include "../utils.h"
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static int
set_attr (scmp_filter_ctx ctx, enum scmp_filter_attr a, uint32_t v, const char *what,
          moat_error **err)
{
  int r = seccomp_attr_set (ctx, a, v);
  if (r < 0)
    return moat_error_set (err, -r, "linux.seccomp: %s", what);
  return 0;
}

/* Two conditions on the same argument cannot be one libseccomp rule.
   runc adds them as separate rules (either matches).  For a rule that
   refuses calls that matches more than written, which is safe, and moat
   does the same; for one that allows calls it would allow more than
   written, and moat refuses the profile instead.  */
static bool
repeats_an_argument (const struct moat_seccomp_rule *rule)
{
  for (size_t a = 0; a < rule->n_args; a++)
    for (size_t b = a + 1; b < rule->n_args; b++)
      if (rule->args[a].index == rule->args[b].index)
        return true;
  return false;
}

static int
add_rules (scmp_filter_ctx ctx, const struct moat_seccomp *k, moat_error **err)
{
  for (size_t i = 0; i < k->n_rules; i++)
    {
      const struct moat_seccomp_rule *rule = &k->rules[i];
      if (rule->action == k->default_action)
        continue;  /* libseccomp refuses rules that repeat the default */
      struct scmp_arg_cmp cmp[6];
      for (size_t a = 0; a < rule->n_args; a++)
        cmp[a] = (struct scmp_arg_cmp) { rule->args[a].index, rule->args[a].op,
                                         rule->args[a].value, rule->args[a].value_two };
      bool separately = repeats_an_argument (rule);
      if (separately && (rule->action == SCMP_ACT_ALLOW || rule->action == SCMP_ACT_LOG))
        return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                                "linux.seccomp.syscalls[%zu]: two conditions on the same "
                                "argument cannot both be required, and allowing the call "
                                "when either holds would allow more than written", i);
      for (size_t n = 0; rule->names[n]; n++)
        {
          int nr = seccomp_syscall_resolve_name (rule->names[n]);
          if (nr == __NR_SCMP_ERROR && k->fail_unknown_syscall)
            return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                                    "linux.seccomp.syscalls[%zu]: `%s` is no system call "
                                    "this libseccomp knows (annotation "
                                    "run.oci.seccomp_fail_unknown_syscall)", i,
                                    rule->names[n]);
          if (nr == __NR_SCMP_ERROR)
            continue;  /* unknown to this kernel or libseccomp: nothing to filter
                          (engines send names newer than either) */
          int r = 0;
          if (separately)
            for (size_t a = 0; a < rule->n_args && r >= 0; a++)
              r = seccomp_rule_add_array (ctx, rule->action, nr, 1, &cmp[a]);
          else
            r = seccomp_rule_add_array (ctx, rule->action, nr, rule->n_args, cmp);
          if (r < 0)
            return moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, -r,
                                    "linux.seccomp.syscalls[%zu]: add `%s`", i,
                                    rule->names[n]);
        }
    }
  return 0;
}

/* libseccomp writes the program to an fd: a memfd, read back whole.  */
static struct moat_bpf *
export_bpf (scmp_filter_ctx ctx, moat_error **err)
{
  autoclose int fd = memfd_create ("moat-seccomp", MFD_CLOEXEC);
  if (fd < 0)
    {
      moat_error_set (err, errno, "linux.seccomp: memfd_create");
      return NULL;
    }
  int r = seccomp_export_bpf (ctx, fd);
  if (r < 0)
    {
      moat_error_set (err, -r, "linux.seccomp: compile the filter");
      return NULL;
    }
  off_t size = lseek (fd, 0, SEEK_END);
  if (size <= 0 || size % sizeof (struct sock_filter) != 0
      || size / sizeof (struct sock_filter) > BPF_MAXINSNS)
    {
      moat_error_set (err, 0, "linux.seccomp: the compiled filter has %lld bytes, not a "
                      "program of at most %d instructions", (long long) size,
                      BPF_MAXINSNS);
      return NULL;
    }
  struct moat_bpf *b = xmalloc0 (sizeof *b);
  b->insns = xmalloc0 (size);
  b->len = size / sizeof (struct sock_filter);
  if (pread (fd, b->insns, size, 0) != size)
    {
      moat_error_set (err, errno, "linux.seccomp: read the compiled filter");
      moat_bpf_free (b);
      return NULL;
    }
  return b;
}

struct moat_bpf *
moat_seccomp_compile (const struct moat_seccomp *k, moat_error **err)
{
  scmp_filter_ctx ctx = seccomp_init (k->default_action);
  if (ctx == NULL)
    {
      moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, 0,
                       "linux.seccomp.defaultAction: libseccomp refused it");
      return NULL;
    }
  struct moat_bpf *b = NULL;
  /* no_new_privs is the config's decision, and the flags are passed to
     seccomp(2) by the finish sequence */
  if (set_attr (ctx, SCMP_FLTATR_CTL_NNP, 0, "keep no_new_privs as configured", err) < 0)
    goto out;
  for (size_t i = 0; k->architectures && k->architectures[i]; i++)
    {
      uint32_t arch = seccomp_arch_resolve_name (k->architectures[i]);
      int r = seccomp_arch_add (ctx, arch);
      if (r < 0 && r != -EEXIST)
        {
          moat_error_setk (err, MOAT_ERR_INVALID_CONFIG, -r,
                           "linux.seccomp.architectures: add `%s`", k->architectures[i]);
          goto out;
        }
    }
  if (add_rules (ctx, k, err) < 0)
    goto out;
  b = export_bpf (ctx, err);
  if (b)
    b->flags = (k->flag_tsync ? SECCOMP_FILTER_FLAG_TSYNC : 0)
      | (k->flag_log ? SECCOMP_FILTER_FLAG_LOG : 0)
      | (k->flag_spec_allow ? SECCOMP_FILTER_FLAG_SPEC_ALLOW : 0)
      | (k->uses_notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0)
      | (k->wait_killable ? SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV : 0);
out:
  seccomp_release (ctx);
  return b;
}

void
moat_bpf_free (struct moat_bpf *b)
{
  if (b == NULL)
    return;
  free (b->insns);
  free (b);
}

int
moat_seccomp_load (const struct moat_bpf *b, int *listener, moat_error **err)
{
  struct sock_fprog prog = { .len = b->len, .filter = b->insns };
  long r = syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, b->flags, &prog);
  /* a kernel before 5.19: the learning filter waits as it can */
  if (r < 0 && errno == EINVAL && (b->flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV))
    r = syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                 b->flags & ~SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, &prog);
  if (r < 0)
    return moat_error_set (err, errno, "linux.seccomp: load the filter");
  /* with SECCOMP_FILTER_FLAG_NEW_LISTENER the call returns the listener */
  *listener = (b->flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) ? (int) r : -1;
  return 0;
}
