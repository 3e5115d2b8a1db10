/* recvtty SOCKET: the engine side of --console-socket, for the tests.
   Listens on SOCKET, accepts one connection and checks the message the
   way conmon and containerd do: a non-empty payload and exactly one
   SCM_RIGHTS fd.  Prints "payload: <text>" and then everything read from
   the pty master until the last slave closes.  Exit status 2 when the
   message is malformed.  */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
  if (argc != 2)
    {
      fprintf (stderr, "usage: recvtty SOCKET\n");
      return 1;
    }
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  snprintf (sa.sun_path, sizeof sa.sun_path, "%s", argv[1]);
  int l = socket (AF_UNIX, SOCK_STREAM, 0);
  unlink (argv[1]);
  if (l < 0 || bind (l, (struct sockaddr *) &sa, sizeof sa) < 0 || listen (l, 1) < 0)
    {
      perror ("recvtty: listen");
      return 1;
    }
  int c = accept (l, NULL, NULL);
  if (c < 0)
    {
      perror ("recvtty: accept");
      return 1;
    }
  char buf[4096], cbuf[CMSG_SPACE (sizeof (int)) * 4];
  struct iovec iov = { buf, sizeof buf - 1 };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                        .msg_controllen = sizeof cbuf };
  ssize_t n = recvmsg (c, &msg, 0);
  if (n <= 0)
    {
      fprintf (stderr, "recvtty: empty message\n");
      return 2;
    }
  buf[n] = '\0';
  struct cmsghdr *cm = CMSG_FIRSTHDR (&msg);
  if (cm == NULL || cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN (sizeof (int))
      || CMSG_NXTHDR (&msg, cm) != NULL || msg.msg_controllen != CMSG_SPACE (sizeof (int)))
    {
      fprintf (stderr, "recvtty: expected exactly one fd\n");
      return 2;
    }
  int master;
  memcpy (&master, CMSG_DATA (cm), sizeof master);
  printf ("payload: %s\n", buf);
  fflush (stdout);
  for (;;)
    {
      n = read (master, buf, sizeof buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      fwrite (buf, 1, n, stdout);
      fflush (stdout);
    }
  return 0;
}
