/* linux.seccomp through libseccomp.  The filter is compiled while the
   container is set up (so a bad profile fails create) and loaded as late
   as the kernel allows: just before execve when no_new_privs is set,
   otherwise before the capabilities are dropped (loading then needs
   CAP_SYS_ADMIN), as engines' profiles expect.  */
#include <config.h>
#include "linux.h"
#include "../utils.h"
#include <errno.h>
#include <seccomp.h>
#include <string.h>

struct moat_seccomp_filter
{
  scmp_filter_ctx ctx;
};

static int
set_attr (scmp_filter_ctx ctx, enum scmp_filter_attr a, uint32_t v, const char *what,
          moat_error **err)
{
  int r = seccomp_attr_set (ctx, a, v);
  if (r < 0)
    return moat_error_set (err, -r, "linux.seccomp: %s", what);
  return 0;
}

struct moat_seccomp_filter *
moat_seccomp_compile (const struct moat_spec *s, moat_error **err)
{
  const struct moat_seccomp *k = &s->seccomp;
  scmp_filter_ctx ctx = seccomp_init (k->default_action);
  if (ctx == NULL)
    {
      moat_error_set (err, 0, "linux.seccomp.defaultAction: libseccomp refused it");
      return NULL;
    }
  /* no_new_privs is the config's decision, not libseccomp's */
  if (set_attr (ctx, SCMP_FLTATR_CTL_NNP, 0, "keep no_new_privs as configured", err) < 0
      || (k->flag_tsync && set_attr (ctx, SCMP_FLTATR_CTL_TSYNC, 1, "TSYNC", err) < 0)
      || (k->flag_log && set_attr (ctx, SCMP_FLTATR_CTL_LOG, 1, "LOG", err) < 0)
      || (k->flag_spec_allow && set_attr (ctx, SCMP_FLTATR_CTL_SSB, 1, "SPEC_ALLOW", err) < 0))
    goto fail;
  for (size_t i = 0; k->architectures && k->architectures[i]; i++)
    {
      uint32_t arch = seccomp_arch_resolve_name (k->architectures[i]);
      int r = seccomp_arch_add (ctx, arch);
      if (r < 0 && r != -EEXIST)
        {
          moat_error_set (err, -r, "linux.seccomp.architectures: add `%s`",
                          k->architectures[i]);
          goto fail;
        }
    }
  for (size_t i = 0; i < k->n_rules; i++)
    {
      const struct moat_seccomp_rule *rule = &k->rules[i];
      if (rule->action == k->default_action)
        continue;  /* libseccomp refuses rules that repeat the default */
      struct scmp_arg_cmp cmp[6];
      for (size_t a = 0; a < rule->n_args; a++)
        cmp[a] = (struct scmp_arg_cmp) { rule->args[a].index, rule->args[a].op,
                                         rule->args[a].value, rule->args[a].value_two };
      for (size_t n = 0; rule->names[n]; n++)
        {
          int nr = seccomp_syscall_resolve_name (rule->names[n]);
          if (nr == __NR_SCMP_ERROR)
            continue;  /* unknown to this kernel or libseccomp: nothing to filter */
          int r = seccomp_rule_add_array (ctx, rule->action, nr, rule->n_args, cmp);
          if (r < 0)
            {
              moat_error_set (err, -r, "linux.seccomp.syscalls[%zu]: add `%s`", i,
                              rule->names[n]);
              goto fail;
            }
        }
    }
  struct moat_seccomp_filter *f = xmalloc0 (sizeof *f);
  f->ctx = ctx;
  return f;
fail:
  seccomp_release (ctx);
  return NULL;
}

int
moat_seccomp_load (struct moat_seccomp_filter *f, moat_error **err)
{
  int r = seccomp_load (f->ctx);
  if (r < 0)
    return moat_error_set (err, -r, "linux.seccomp: load the filter");
  return 0;
}

void
moat_seccomp_free (struct moat_seccomp_filter *f)
{
  if (f == NULL)
    return;
  seccomp_release (f->ctx);
  free (f);
}
