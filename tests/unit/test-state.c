#include <config.h>
#include "tap.h"
#include "libmoat/state.h"
#include "libmoat/utils.h"
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static void
id_ok (const char *id, bool valid, const char *fragment)
{
  moat_error *err = NULL;
  int r = moat_validate_id (id, &err);
  if (valid)
    ok (r == 0, "id `%.40s` is valid (%s)", id, err ? err->msg : "ok");
  else
    ok (r < 0 && err && contains (err->msg, fragment), "id `%.40s` is refused (%s)", id,
        err ? err->msg : "accepted");
  moat_error_free (&err);
}

static void
test_ids (void)
{
  id_ok ("abc", true, NULL);
  id_ok ("a-b_c.d:e", true, NULL);
  id_ok ("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true, NULL);
  id_ok ("", false, "empty");
  id_ok ("a/b", false, "must not contain `/`");
  id_ok (".hidden", false, "must not start with `.`");
  id_ok ("..", false, "must not start with `.`");
  id_ok ("a b", false, "whitespace");
  id_ok ("a\nb", false, "control");
  char *longid = xmalloc0 (1100);
  memset (longid, 'x', 251);
  id_ok (longid, false, "longer than 250");
  longid[250] = '\0';
  id_ok (longid, true, NULL);
  free (longid);
}

static void
test_json_roundtrip (void)
{
  struct moat_annotation ann[] = { { "k", "v\"quoted\"" } };
  struct moat_state st = {
    .id = "c1", .pid = 42, .start_time = 123456789012ULL, .bundle = "/b",
    .rootfs = "/b/rootfs", .created = "2026-01-01T00:00:00.000000000Z", .owner = "root",
    .cgroup_driver = "cgroupfs-v2", .cgroup_path = "/sys/fs/cgroup/moat/c1",
    .cgroup_created_from = "/sys/fs/cgroup/moat", .cgroup_created_from_v1 = "moat",
    .no_new_keyring = true, .no_late_hooks = true,
    .no_process = true,
    .annotations = ann, .n_annotations = 1, .status = MOAT_STATUS_RUNNING,
  };
  char *full = moat_state_to_json (&st, true);
  char *pub = moat_state_to_json (&st, false);
  ok (contains (pub, "\"status\":\"running\"") && contains (pub, "\"pid\":42"),
      "public state has status and pid: %s", pub);
  ok (!contains (pub, "cgroupPath") && !contains (pub, "startTime"),
      "public state hides moat's private fields");
  ok (contains (pub, "\"ociVersion\":\"") && contains (pub, "\"bundle\":\"/b\""),
      "public state has ociVersion and bundle");
  struct moat_state back;
  moat_error *err = NULL;
  int r = moat_state_from_json (full, strlen (full), &back, &err);
  ok (r == 0, "full state parses back (%s)", err ? err->msg : "ok");
  if (r == 0)
    {
      ok (back.pid == 42 && back.start_time == 123456789012ULL, "pid and start time survive");
      ok (strcmp (back.cgroup_path, st.cgroup_path) == 0
          && strcmp (back.cgroup_created_from, st.cgroup_created_from) == 0
          && strcmp (back.cgroup_created_from_v1, st.cgroup_created_from_v1) == 0,
          "cgroup paths survive");
      ok (back.cgroup_driver && strcmp (back.cgroup_driver, "cgroupfs-v2") == 0,
          "the cgroup driver survives");
      ok (back.status == MOAT_STATUS_RUNNING, "status survives");
      ok (back.no_new_keyring, "the keyring choice survives");
      ok (back.no_late_hooks, "the absence of late hooks survives");
      ok (back.no_process, "the absence of a process survives");
      ok (back.n_annotations == 1 && strcmp (back.annotations[0].value, "v\"quoted\"") == 0,
          "annotations survive escaping");
      moat_state_clear (&back);
    }
  st.status = MOAT_STATUS_STOPPED;
  char *stopped = moat_state_to_json (&st, false);
  ok (contains (stopped, "\"pid\":0"), "a stopped container shows pid 0");
  r = moat_state_from_json ("{\"status\": 1}", 13, &back, &err);
  ok (r < 0 && contains (err->msg, "corrupt"), "corrupt state is reported");
  moat_error_free (&err);
  r = moat_state_from_json ("not json", 8, &back, &err);
  ok (r < 0 && contains (err->msg, "corrupt"), "non-JSON state is reported");
  moat_error_free (&err);
  /* a state without an id is refused without leaking what was read */
  const char *noid = "{\"bundle\": \"/b\", \"rootfs\": \"/r\", \"annotations\": {\"a\": \"b\"}}";
  r = moat_state_from_json (noid, strlen (noid), &back, &err);
  ok (r < 0 && contains (err->msg, "no id") && back.bundle == NULL && back.annotations == NULL,
      "a state without an id is refused and cleared");
  moat_error_free (&err);
  const char *dup = "{\"id\": \"a\", \"id\": \"b\"}";
  r = moat_state_from_json (dup, strlen (dup), &back, &err);
  ok (r < 0 && contains (err->msg, "duplicate key"), "duplicate keys are refused (%s)",
      err ? err->msg : "accepted");
  moat_error_free (&err);
  free (full);
  free (pub);
  free (stopped);
}

static void
test_dirs (void)
{
  char tmpl[] = "/tmp/moat-unit-XXXXXX";
  char *root = mkdtemp (tmpl);
  ok (root != NULL, "temporary state root");
  if (!root)
    return;
  char *sub = xasprintf ("%s/nested/root", root);
  struct moat_container_dir d = { -1, NULL, NULL }, d2 = { -1, NULL, NULL };
  moat_error *err = NULL;
  struct moat_state st = { .id = "c1", .pid = 0, .bundle = "/b", .status = MOAT_STATUS_CREATING };
  ok (moat_container_dir_create (sub, "c1", &st, &d, &err) == 0, "create state dir (%s)",
      err ? err->msg : "ok");
  ok (moat_state_write (&d, &st, &err) == 0, "write state");
  ok (moat_container_dir_create (sub, "c1", &st, &d2, &err) < 0
      && contains (err->msg, "already exists"), "a duplicate id is refused (%s)",
      err ? err->msg : "accepted");
  moat_error_free (&err);
  struct stat sb;
  char *p = xasprintf ("%s/c1", sub);
  ok (stat (p, &sb) == 0 && (sb.st_mode & 0777) == 0700, "state dir is private (0700)");
  moat_container_dir_close (&d);
  ok (moat_container_dir_open (sub, "c1", false, &d, &err) == 0, "open existing (%s)",
      err ? err->msg : "ok");
  struct moat_state back;
  ok (moat_state_read (&d, &back, &err) == 0 && strcmp (back.bundle, "/b") == 0,
      "read state back");
  moat_state_refresh (&d, &back);
  ok (back.status == MOAT_STATUS_STOPPED, "a container with no process is stopped");
  moat_state_clear (&back);
  ok (moat_container_dir_remove (&d, &err) == 0, "remove state dir");
  ok (stat (p, &sb) < 0 && errno == ENOENT, "state dir is gone");
  ok (moat_container_dir_open (sub, "c1", false, &d, &err) < 0
      && contains (err->msg, "container \"c1\" does not exist"), "missing id reported (%s)",
      err ? err->msg : "opened");
  moat_error_free (&err);
  ok (moat_container_dir_open (sub, "../x", false, &d, &err) < 0
      && contains (err->msg, "invalid container id"), "a path-like id is refused");
  moat_error_free (&err);
  char *cmd = xasprintf ("rm -rf %s", root);
  ok (system (cmd) == 0, "clean up");
  free (cmd);
  free (p);
  free (sub);
}

static void
test_start_time (void)
{
  ok (moat_process_start_time (getpid (), true) > 0, "own start time is known");
  ok (moat_process_start_time (0, true) == 0, "pid 0 has no start time");
  ok (moat_process_start_time (0x3fffffff, true) == 0, "a missing pid has no start time");
}

/* moat_list of an empty or missing state root: no container and no
   error.  Found by the sanitizer lane (tests/sanitize.sh): the empty list
   reached qsort with a NULL array, which UBSan reports as undefined
   behaviour (nonnull argument); this test runs under UBSan there.  */
static void
test_list_empty (void)
{
  char tmpl[] = "/tmp/moat-unit-XXXXXX";
  char *root = mkdtemp (tmpl);
  ok (root != NULL, "temporary state root for list");
  if (!root)
    return;
  struct moat_context ctx = { .state_root = root };
  struct moat_state *list = (struct moat_state *) 1;
  size_t n = 1;
  moat_error *err = NULL;
  ok (moat_list (&ctx, &list, &n, &err) == 0 && n == 0 && list == NULL && err == NULL,
      "list of an empty state root: nothing (%s)", err ? err->msg : "ok");
  moat_error_free (&err);
  char *missing = xasprintf ("%s/missing", root);
  ctx.state_root = missing;
  n = 1;
  ok (moat_list (&ctx, &list, &n, &err) == 0 && n == 0 && list == NULL,
      "list of a missing state root: nothing (%s)", err ? err->msg : "ok");
  moat_error_free (&err);
  free (missing);
  rmdir (root);
}

int
main (void)
{
  test_ids ();
  test_json_roundtrip ();
  test_dirs ();
  test_start_time ();
  test_list_empty ();
  return tap_done ();
}
