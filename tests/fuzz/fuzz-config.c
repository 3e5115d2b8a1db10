/* libFuzzer target: config.json.  moat_spec_parse on the text, and when
   it parses, the pieces of the plan that need no root (mount options and
   mount plans, sysctl keys, capability sets, the process plan, the
   seccomp profile compiled to BPF, the device cgroup program), each
   checked against what its header promises.  */
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
  fuzz_bundle_make ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  /* an exact-size copy: ASan catches a read one byte past the end */
  char *text = malloc (size ? size : 1);
  if (text == NULL)
    abort ();
  if (size)
    memcpy (text, data, size);
  moat_error *err = NULL;
  struct moat_spec *s = moat_spec_parse (text, size, &err);
  free (text);
  fuzz_check_result (s == NULL, err, "moat_spec_parse");
  moat_error_free (&err);
  if (s)
    {
      fuzz_plan_pieces (s);
      moat_spec_free (s);
    }
  return 0;
}
