/* An update's undo journal.  While one is open, every limit written
   through moat_cgroup_write_at is recorded with the file's value before
   it; an update that fails half-way rolls them back, newest first, so
   that a refused value leaves the container's limits as they were.  */
#ifndef MOAT_CGROUP_JOURNAL_H
#define MOAT_CGROUP_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>

struct moat_cgroup_journal_entry
{
  int dirfd;        /* the cgroup directory (a dup) */
  char *path;       /* for messages */
  char *file;
  char *before;     /* the file's content before the write */
  char *written;    /* what was written */
};

struct moat_cgroup_journal
{
  struct moat_cgroup_journal_entry *v;
  size_t n;
};

/* From now on, record (one journal open at a time).  */
void moat_cgroup_journal_open (struct moat_cgroup_journal *j);
/* Stop recording; with rollback, put every recorded file back (a file
   that cannot be put back is a warning naming it).  */
void moat_cgroup_journal_close (struct moat_cgroup_journal *j, bool rollback);
/* moat_cgroup_write_at: called before each write.  */
void moat_cgroup_journal_record (int dirfd, const char *path, const char *file,
                                 const char *value);
/* What to write to file to put back its content `before` after
   `written` (free it): the line for written's key (a device, an
   interface) in a keyed file, the kernel's "no rule" for that key when
   it had none, the first line otherwise (memory.oom_control: its
   switch).  Exposed for the unit tests.  */
char *moat_cgroup_journal_restore_value (const char *file, const char *written,
                                         const char *before);

#endif
