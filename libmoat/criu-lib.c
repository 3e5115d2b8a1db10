/* libcriu, loaded on demand (criu.h).  */
#include <config.h>
#ifdef HAVE_CRIU
#define MOAT_CRIU_LIB_LOADER
#include "criu.h"
#include <dlfcn.h>
#include <stdio.h>

struct moat_criu_lib moat_criu_lib;

int
moat_criu_lib_load (moat_error **err)
{
  static int loaded;  /* 0: not tried, 1: loaded, -1: failed */
  static char why[256];
  if (loaded == 0)
    {
      loaded = -1;
      void *h = dlopen ("libcriu.so.2", RTLD_NOW | RTLD_LOCAL);
      if (h == NULL)
        snprintf (why, sizeof why, "%s", dlerror ());
#define MOAT_CRIU_LOAD(f)                                                     \
      if (h && (*(void **) &moat_criu_lib.f = dlsym (h, #f)) == NULL)         \
        {                                                                     \
          snprintf (why, sizeof why, "libcriu.so.2 has no %s", #f);           \
          dlclose (h);                                                        \
          h = NULL;                                                           \
        }
      MOAT_CRIU_FUNCTIONS (MOAT_CRIU_LOAD)
#undef MOAT_CRIU_LOAD
      if (h)
        loaded = 1;
    }
  if (loaded > 0)
    return 0;
  return moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, 0,
                          "checkpoint and restore need libcriu (the criu package): %s",
                          why);
}
#endif
