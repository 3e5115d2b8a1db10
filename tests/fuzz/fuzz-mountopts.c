/* libFuzzer target: a mount's option list (NUL-separated in the input)
   parsed by moat_mount_opts_parse, then planned as the options of a new
   filesystem, of a bind (type "bind") and of an rbind by option (type
   "none"), as moat_mount_plans_build does at create.  */
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
  /* "a\0b\0" and "a\0b" are both [a, b]; every option is its own
     allocation, so that ASan sees a read past one */
  size_t n = 0;
  for (size_t i = 0; i < size; i++)
    n += data[i] == '\0';
  n += size > 0 && data[size - 1] != '\0';
  char **opts = calloc (n + 1, sizeof *opts);
  if (opts == NULL)
    abort ();
  size_t k = 0, start = 0;
  for (size_t i = 0; i <= size && k < n; i++)
    if (i == size || data[i] == '\0')
      {
        opts[k] = malloc (i - start + 1);
        if (opts[k] == NULL)
          abort ();
        memcpy (opts[k], data + start, i - start);
        opts[k++][i - start] = '\0';
        start = i + 1;
      }

  fuzz_mount_opts (opts);

  static const struct { const char *type, *source; } kinds[] = {
    { "tmpfs", "tmpfs" }, { "bind", "src" }, { "none", "/" },
  };
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    {
      struct moat_mount m = {
        .destination = (char *) "/mnt", .type = (char *) kinds[i].type,
        .source = (char *) kinds[i].source, .options = opts,
      };
      struct moat_spec s = { .mounts = &m, .n_mounts = 1 };
      fuzz_mount_plans (&s);
    }

  for (size_t i = 0; i < n; i++)
    free (opts[i]);
  free (opts);
  return 0;
}
