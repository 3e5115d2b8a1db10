/* The seccomp and resources targets fuzz one member of linux: the input
   is put in a minimal valid config as the value of that member.  */
#ifndef MOAT_FUZZ_WRAP_H
#define MOAT_FUZZ_WRAP_H

#include "fuzz-common.h"

#define FUZZ_WRAP_HEAD "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, " \
  "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}], \""
#define FUZZ_WRAP_TAIL "\n}}"

/* The config text with data as linux.<member>; *len set to its length.  */
static inline char *
fuzz_wrap (const char *member, const uint8_t *data, size_t size, size_t *len)
{
  size_t head = strlen (FUZZ_WRAP_HEAD), m = strlen (member), tail = strlen (FUZZ_WRAP_TAIL);
  *len = head + m + 3 + size + tail;
  char *t = malloc (*len);
  if (t == NULL)
    abort ();
  char *p = t;
  memcpy (p, FUZZ_WRAP_HEAD, head);
  p += head;
  memcpy (p, member, m);
  p += m;
  memcpy (p, "\": ", 3);
  p += 3;
  if (size)
    memcpy (p, data, size);
  p += size;
  memcpy (p, FUZZ_WRAP_TAIL, tail);
  return t;
}

#endif
