/* Fault injection, for the test suite: with MOAT_FAULT=STEP in its
   environment a moat process fails at STEP with an error naming it; with
   MOAT_FAULT=kill:STEP it SIGKILLs itself there.  The steps are the named
   points of create, run and exec where something changes on the host
   (listed in docs/architecture.md).  Without the variable a fault point
   costs one comparison.  */
#ifndef MOAT_FAULT_H
#define MOAT_FAULT_H

#include "error.h"

int moat_fault (const char *step, moat_error **err);

#endif
