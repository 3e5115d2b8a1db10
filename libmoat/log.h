/* Logging for --log / --log-format / --log-level.  Text or JSON lines
   ({"level","msg","time"}), appended to a file, or stderr when no file.  */
#ifndef MOAT_LOG_H
#define MOAT_LOG_H

#include <stdbool.h>
#include "error.h"
#include "moat.h"

int moat_log_level_from_string (const char *s, enum moat_log_level *out);
void moat_log (enum moat_log_level level, const char *fmt, ...)
  __attribute__ ((format (printf, 2, 3)));
/* In a child of the runtime (the container's init, an exec'd process):
   send messages to the parent over the channel fd (-1: stop), where
   moat_log_forwarded logs them.  */
void moat_log_forward (int fd);
void moat_log_forwarded (unsigned level, const char *msg);
/* Write a message at error level to the log file only (not stderr).  */
void moat_log_error_to_file (const char *msg);
bool moat_log_has_file (void);
/* The log file's descriptor, -1 when there is none.  */
int moat_log_fd (void);
/* Close the log file descriptor (in a child about to exec).  */
void moat_log_close (void);

#define moat_warn(...) moat_log (MOAT_LOG_WARNING, __VA_ARGS__)
#define moat_debug(...) moat_log (MOAT_LOG_DEBUG, __VA_ARGS__)

#endif
