/* libFuzzer target: a seccomp profile (the linux.seccomp object) in an
   otherwise minimal config, parsed and, when it parses, compiled to BPF
   with libseccomp as create does.  */
#include <config.h>
#include "fuzz-plan.h"
#include "fuzz-wrap.h"
#include "libmoat/spec/spec.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  (void) argc;
  (void) argv;
  fuzz_quiet ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  size_t len;
  char *text = fuzz_wrap ("seccomp", data, size, &len);
  moat_error *err = NULL;
  struct moat_spec *s = moat_spec_parse (text, len, &err);
  free (text);
  fuzz_check_result (s == NULL, err, "moat_spec_parse");
  moat_error_free (&err);
  if (s)
    {
      if (s->has_seccomp)
        {
          const struct moat_seccomp *k = &s->seccomp;
          for (size_t i = 0; i < k->n_rules; i++)
            {
              fuzz_check (k->rules[i].names && k->rules[i].names[0],
                          "syscalls[%zu] accepted without names", i);
              fuzz_check (k->rules[i].n_args <= 6, "syscalls[%zu]: %zu args", i,
                          k->rules[i].n_args);
              for (size_t a = 0; a < k->rules[i].n_args; a++)
                fuzz_check (k->rules[i].args[a].index <= 5 && k->rules[i].args[a].op > 0,
                            "syscalls[%zu].args[%zu] index %u op %d", i, a,
                            k->rules[i].args[a].index, k->rules[i].args[a].op);
            }
          fuzz_seccomp (k);
        }
      moat_spec_free (s);
    }
  return 0;
}
