/* libFuzzer target: state.json.  moat_state_from_json on the text; when
   it parses, moat_state_to_json must write a document that parses back
   to the same state, and writing that again gives the same text (the
   strings to_json writes for absent bundle, rootfs, created and owner
   are "", so those compare equal to NULL).  */
#include <config.h>
#include "fuzz-common.h"
#include "libmoat/state.h"
#include "libmoat/spec/jsontree.h"
#include <limits.h>
#include <yajl/yajl_tree.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  (void) argc;
  (void) argv;
  fuzz_quiet ();
  return 0;
}

static bool
same_str (const char *a, const char *b, bool null_is_empty)
{
  if (null_is_empty)
    {
      a = a ? a : "";
      b = b ? b : "";
    }
  if (a == NULL || b == NULL)
    return a == b;
  return strcmp (a, b) == 0;
}

static void
same_state (const struct moat_state *a, const struct moat_state *b)
{
  fuzz_check (same_str (a->id, b->id, false), "id");
  fuzz_check (a->pid == b->pid, "pid %d vs %d", a->pid, b->pid);
  fuzz_check (a->start_time == b->start_time, "startTime %llu vs %llu", a->start_time,
              b->start_time);
  fuzz_check (same_str (a->bundle, b->bundle, true), "bundle");
  fuzz_check (same_str (a->rootfs, b->rootfs, true), "rootfs");
  fuzz_check (same_str (a->created, b->created, true), "created");
  fuzz_check (same_str (a->owner, b->owner, true), "owner");
  fuzz_check (same_str (a->cgroup_driver, b->cgroup_driver, false), "cgroupDriver");
  fuzz_check (same_str (a->cgroup_path, b->cgroup_path, false), "cgroupPath");
  fuzz_check (same_str (a->cgroup_created_from, b->cgroup_created_from, false),
              "cgroupCreatedFrom");
  fuzz_check (same_str (a->cgroup_created_from_v1, b->cgroup_created_from_v1, false),
              "cgroupCreatedFromV1");
  fuzz_check (a->status == b->status, "status %d vs %d", a->status, b->status);
  fuzz_check (a->no_new_keyring == b->no_new_keyring, "noNewKeyring");
  fuzz_check (a->no_late_hooks == b->no_late_hooks, "noLateHooks");
  fuzz_check (a->no_process == b->no_process, "noProcess");
  fuzz_check (a->n_annotations == b->n_annotations, "%zu annotations vs %zu",
              a->n_annotations, b->n_annotations);
  for (size_t i = 0; i < a->n_annotations; i++)
    fuzz_check (same_str (a->annotations[i].key, b->annotations[i].key, false)
                && same_str (a->annotations[i].value, b->annotations[i].value, false),
                "annotation %zu", i);
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
  struct moat_state st;
  int r = moat_state_from_json (text, size, &st, &err);
  free (text);
  fuzz_check_result (r < 0, err, "moat_state_from_json");
  moat_error_free (&err);
  if (r < 0)
    return 0;
  fuzz_check (st.id != NULL, "a state without an id");
  fuzz_check (st.pid >= 0, "pid %d", st.pid);
  fuzz_check (st.status <= MOAT_STATUS_STOPPED, "status %d", st.status);
  fuzz_check (st.n_annotations == 0 || st.annotations != NULL, "annotations");

  /* the public form (hooks' stdin, `moat state`) is JSON moat reads */
  char *pub = moat_state_to_json (&st, false);
  fuzz_check (pub != NULL, "to_json (public) gave NULL");
  yajl_val t = moat_json_parse (pub, strlen (pub), &err);
  fuzz_check (t != NULL, "the public state does not parse: %s\n%s", err->msg, pub);
  yajl_tree_free (t);
  free (pub);

  char *j1 = moat_state_to_json (&st, true);
  fuzz_check (j1 != NULL, "to_json gave NULL");
  struct moat_state st2;
  r = moat_state_from_json (j1, strlen (j1), &st2, &err);
  fuzz_check (r == 0, "moat's own state.json does not parse back: %s\n%s",
              err ? err->msg : "", j1);
  same_state (&st, &st2);
  char *j2 = moat_state_to_json (&st2, true);
  fuzz_check (strcmp (j1, j2) == 0, "writing the state read back changes it:\n%s\n%s",
              j1, j2);
  free (j1);
  free (j2);
  moat_state_clear (&st2);
  moat_state_clear (&st);
  return 0;
}
