/* libFuzzer target: linux.resources, as `update --resources` reads it
   and in an otherwise minimal config.
   When it parses, the device cgroup program is built from its device
   rules and run, by a small interpreter, on requests made from the rules'
   own numbers: its answer must be the rules' (the last match decides).  */
#include <config.h>
#include "fuzz-plan.h"
#include "fuzz-wrap.h"
#include "libmoat/spec/spec.h"
#include "libmoat/cgroup/v1-resources.h"
#include <string.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);

/* The limits as cgroup v2 and v1 writes: every file a name in the
   container's cgroup directory (no path), every value one line.  */
static void
check_writes (const struct moat_resources *r)
{
  for (int v1 = 0; v1 < 2; v1++)
    for (int bfq = 0; bfq < 2; bfq++)
      {
        struct moat_cgroup_writes w;
        moat_error *err = NULL;
        int rc = v1 ? moat_v1_resource_writes (r, bfq, &w, &err)
          : moat_v2_resource_writes (r, bfq, &w, &err);
        fuzz_check_result (rc < 0, err, v1 ? "moat_v1_resource_writes"
                           : "moat_v2_resource_writes");
        moat_error_free (&err);
        if (rc < 0)
          continue;
        for (size_t i = 0; i < w.n; i++)
          {
            fuzz_check (strchr (w.w[i].file, '/') == NULL && strchr (w.w[i].file, '.'),
                        "write %zu: file `%s`", i, w.w[i].file);
            fuzz_check (strchr (w.w[i].value, '\n') == NULL || w.w[i].field == NULL
                        || strcmp (w.w[i].field, "linux.resources.unified") == 0,
                        "write %zu: value of %s has a newline", i, w.w[i].file);
          }
        moat_cgroup_writes_clear (&w);
      }
}

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
  /* the input as `update --resources` reads it: a resources object */
  {
    struct moat_resources r;
    struct moat_device_rule *rules;
    size_t n_rules;
    moat_error *uerr = NULL;
    int rc = moat_resources_from_json ((const char *) data, size, &r, &rules, &n_rules, &uerr);
    fuzz_check_result (rc < 0, uerr, "moat_resources_from_json");
    moat_error_free (&uerr);
    if (rc == 0)
      {
        check_writes (&r);
        moat_resources_clear (&r);
        free (rules);
      }
  }
  size_t len;
  char *text = fuzz_wrap ("resources", data, size, &len);
  moat_error *err = NULL;
  struct moat_spec *s = moat_spec_parse (text, len, &err);
  free (text);
  fuzz_check_result (s == NULL, err, "moat_spec_parse");
  moat_error_free (&err);
  if (s)
    {
      for (size_t i = 0; i < s->n_device_rules; i++)
        {
          const struct moat_device_rule *r = &s->device_rules[i];
          fuzz_check (r->type == 'a' || r->type == 'b' || r->type == 'c',
                      "devices[%zu]: type %d", i, r->type);
          fuzz_check ((r->access & ~7u) == 0, "devices[%zu]: access %u", i, r->access);
          fuzz_check (r->major >= -1 && r->minor >= -1, "devices[%zu]: %lld:%lld", i,
                      (long long) r->major, (long long) r->minor);
        }
      fuzz_devices (s->device_rules, s->n_device_rules);
      check_writes (&s->resources);
      moat_spec_free (s);
    }
  return 0;
}
