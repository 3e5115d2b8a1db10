/* The audit trail: one JSON line per lifecycle event (create, start,
   exec, kill, delete) in the file the policy's audit.log or the global
   --audit-log names (docs/policy.md).  */
#ifndef MOAT_AUDIT_H
#define MOAT_AUDIT_H

#include <sys/types.h>
#include "error.h"
#include "moat.h"

struct moat_findings;

struct moat_audit_event
{
  const char *event;            /* "create", "start", "exec", "kill", "delete" */
  const char *id;
  const char *bundle;           /* NULL: not known */
  const char *config_sha256;    /* NULL: not known */
  pid_t pid;                    /* the container's init, 0: none */
  const char *decision;         /* create: the policy's ("off", "allowed",
                                   "audited", "exempt", "refused"), else NULL */
  const struct moat_findings *findings;  /* create: the policy's, or NULL */
  char *const *changes;         /* create: harden's fixes, or NULL */
  const char *detail;           /* kill: the signal; exec: the program */
  const moat_error *error;      /* NULL: it succeeded */
};

/* Append the event's line to path (NULL: nothing): one write(2) of the
   whole line to a file opened O_APPEND, so that lines of concurrent
   commands never mix; O_NONBLOCK, so that a FIFO nobody reads does not
   hold the command.  */
int moat_audit_write (const char *path, const struct moat_audit_event *e, moat_error **err);

/* The event of a command on an existing container: the log it names
   (ctx->audit_log, else the one create recorded in its state), its
   bundle, digest and pid from the state.  A failure to write is a
   warning: the command is done by then.  */
void moat_audit_container (const struct moat_context *ctx, const struct moat_state *st,
                           const char *event, const char *detail, const moat_error *error);

#endif
