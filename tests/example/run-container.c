/* A program of its own that runs a container through libmoat's public
   API, built against the installed library (pkg-config libmoat) by the
   test suite: what another runtime front-end or a test harness would do.

     run-container STATE_ROOT BUNDLE ID [--no-reexec | --no-sealed-copy]

   prints the container's exit status, or the library's error and its
   kind.  It gives libmoat the way to run from a sealed copy of itself
   (the container's init is this program until its execve), unless
   --no-reexec (then libmoat refuses) or --no-sealed-copy (the program
   says its binary needs no protection).  */
#include <moat.h>
#include <stdio.h>
#include <string.h>

static char **program_argv;

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
                                   || strcmp (flag, "--no-sealed-copy") == 0)))
    {
      fprintf (stderr, "usage: %s STATE_ROOT BUNDLE ID [--no-reexec | --no-sealed-copy]\n",
               argv[0]);
      return 2;
    }
  program_argv = argv;
  struct moat_context ctx = { .state_root = argv[1], .cgroup_manager = MOAT_CGROUP_CGROUPFS,
                              .reexec_sealed = argc == 4 ? reexec_sealed : NULL,
                              .no_sealed_copy = strcmp (flag, "--no-sealed-copy") == 0 };
  struct moat_create_options o = { .id = argv[3], .bundle = argv[2] };
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
