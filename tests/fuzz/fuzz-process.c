/* libFuzzer target: a process object (exec --process), parsed by
   moat_spec_parse_process; when it parses, its capability sets and its
   process plan are built.  */
#include <config.h>
#include "fuzz-plan.h"
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
  char *text = malloc (size ? size : 1);
  if (text == NULL)
    abort ();
  if (size)
    memcpy (text, data, size);
  moat_error *err = NULL;
  struct moat_spec *s = moat_spec_parse_process (text, size, &err);
  free (text);
  fuzz_check_result (s == NULL, err, "moat_spec_parse_process");
  moat_error_free (&err);
  if (s)
    {
      fuzz_check (s->has_process, "parsed without has_process");
      fuzz_check (s->args && s->args[0] && s->args[0][0], "accepted without args");
      fuzz_check (s->cwd && s->cwd[0] == '/', "accepted without an absolute cwd");
      for (size_t i = 0; s->env && s->env[i]; i++)
        fuzz_check (strchr (s->env[i], '='), "env[%zu] without =", i);
      fuzz_check (s->root_path == NULL && s->n_mounts == 0 && !s->has_seccomp,
                  "fields outside process set");
      fuzz_capsets (&s->caps, &fuzz_host_root);
      fuzz_capsets (&s->caps, &fuzz_host_rootless);
      fuzz_process_plan (s, false);
      moat_spec_free (s);
    }
  return 0;
}
