#ifndef MOAT_SIGNALS_H
#define MOAT_SIGNALS_H
#include "error.h"
/* Parse "KILL", "SIGKILL", "kill", "9", "RTMIN+3", "SIGRTMAX-1".  */
int moat_parse_signal (const char *s, int *out, moat_error **err);
#endif
