/* A program of its own that runs a container through libmoat's public
   API, built against the installed library (pkg-config libmoat) by the
   test suite: what another runtime front-end or a test harness would do.

     run-container STATE_ROOT BUNDLE ID [--no-reexec | --no-sealed-copy | --kinds]

   prints the container's exit status, or the library's error and its
   kind.  --kinds instead creates the container, starts it twice and
   deletes it, then asks for its state, printing the kind of each error
   (the second start and the state of a deleted container are errors a
   caller tells apart by kind).  It gives libmoat the way to run from a sealed copy of itself
   (the container's init is this program until its execve), unless
   --no-reexec (then libmoat refuses) or --no-sealed-copy (the program
   says its binary needs no protection).  */
#include <moat.h>
#include <stdio.h>
#include <string.h>

static char **program_argv;

/* "OP: ok" or "OP: MESSAGE [KIND]" */
static int
report (const char *op, int r, moat_error **err)
{
  if (r == 0)
    printf ("%s: ok\n", op);
  else
    {
      printf ("%s: %s [%s]\n", op, (*err)->msg, moat_error_kind_name (moat_error_kind (*err)));
      moat_error_free (err);
    }
  return r;
}

static int
kinds (const struct moat_context *ctx, const struct moat_create_options *o)
{
  moat_error *err = NULL;
  struct moat_state st = { 0 };
  if (report ("create", moat_create (ctx, o, &err), &err) < 0)
    return 1;
  report ("start", moat_start (ctx, o->id, &err), &err);
  report ("start again", moat_start (ctx, o->id, &err), &err);
  report ("delete", moat_delete (ctx, o->id, true, &err), &err);
  if (report ("state", moat_state (ctx, o->id, &st, &err), &err) == 0)
    moat_state_clear (&st);
  return 0;
}

static int
reexec_sealed (moat_error **err)
{
  fflush (NULL);
  return moat_reexec_from_sealed_copy (program_argv, err);
}

int
main (int argc, char **argv)
{
  const char *flag = argc == 5 ? argv[4] : "";
  if (argc != 4 && !(argc == 5 && (strcmp (flag, "--no-reexec") == 0
                                   || strcmp (flag, "--no-sealed-copy") == 0
                                   || strcmp (flag, "--kinds") == 0)))
    {
      fprintf (stderr, "usage: %s STATE_ROOT BUNDLE ID "
               "[--no-reexec | --no-sealed-copy | --kinds]\n", argv[0]);
      return 2;
    }
  program_argv = argv;
  struct moat_context ctx = { .state_root = argv[1], .cgroup_manager = MOAT_CGROUP_CGROUPFS,
                              .reexec_sealed = strcmp (flag, "--no-reexec") ? reexec_sealed : NULL,
                              .no_sealed_copy = strcmp (flag, "--no-sealed-copy") == 0 };
  struct moat_create_options o = { .id = argv[3], .bundle = argv[2] };
  if (strcmp (flag, "--kinds") == 0)
    return kinds (&ctx, &o);
  moat_error *err = NULL;
  int status = 0;
  if (moat_run (&ctx, &o, false, false, &status, &err) < 0)
    {
      fprintf (stderr, "run-container: %s [%s]\n", err->msg,
               moat_error_kind_name (moat_error_kind (err)));
      moat_error_free (&err);
      return 1;
    }
  printf ("exit status %d\n", status);
  return 0;
}
