/* What a service's sd_notify(3) does, built static for the test rootfs:
   send each argument as one datagram to the socket $NOTIFY_SOCKET names
   (a path, or @name for the abstract namespace).

     sd-notify MESSAGE...          e.g. sd-notify STATUS=starting READY=1

   Exit status 0 when every message was sent, 1 otherwise (with why).  */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
  const char *path = getenv ("NOTIFY_SOCKET");
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  if (path == NULL || strlen (path) < 2 || strlen (path) >= sizeof a.sun_path)
    {
      fprintf (stderr, "sd-notify: NOTIFY_SOCKET is `%s`\n", path ? path : "(unset)");
      return 1;
    }
  size_t n = strlen (path);
  memcpy (a.sun_path, path, n);
  if (path[0] == '@')
    a.sun_path[0] = '\0';
  socklen_t len = offsetof (struct sockaddr_un, sun_path) + n + (path[0] != '@');
  int s = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    {
      perror ("sd-notify: socket");
      return 1;
    }
  for (int i = 1; i < argc; i++)
    if (sendto (s, argv[i], strlen (argv[i]), 0, (struct sockaddr *) &a, len) < 0)
      {
        fprintf (stderr, "sd-notify: send `%s` to %s: ", argv[i], path);
        perror (NULL);
        return 1;
      }
  return 0;
}
