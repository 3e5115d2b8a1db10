/* Print the SELinux label of the caller's session keyring
   (KEYCTL_GET_SECURITY): the keycreate context of the runtime that made
   it.  Exit status 1, with the reason, when it cannot.  */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#define KEYCTL_GET_SECURITY 17
#define KEY_SPEC_SESSION_KEYRING -3

int
main (void)
{
  char label[256];
  long n = syscall (SYS_keyctl, KEYCTL_GET_SECURITY, KEY_SPEC_SESSION_KEYRING, label,
                    sizeof label - 1, 0);
  if (n < 0)
    {
      perror ("keyctl(KEYCTL_GET_SECURITY)");
      return 1;
    }
  label[(size_t) n < sizeof label ? (size_t) n : sizeof label - 1] = 0;
  puts (label);
  return 0;
}
