/* The network a new network namespace starts with.  */
#include <config.h>
#include "linux.h"
#include "../utils.h"
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

/* A new network namespace has only a loopback interface, and it is down:
   programs expect localhost to work (runc and crun bring it up too).  An
   AF_UNIX socket reaches the interface ioctls whatever protocols the
   kernel has.  */
int
moat_loopback_up (moat_error **err)
{
  autoclose int s = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    return moat_error_set (err, errno, "bring the loopback interface up: socket");
  struct ifreq ifr;
  memset (&ifr, 0, sizeof ifr);
  strcpy (ifr.ifr_name, "lo");
  if (ioctl (s, SIOCGIFFLAGS, &ifr) < 0)
    return moat_error_set (err, errno, "bring the loopback interface up: its flags");
  if (ifr.ifr_flags & IFF_UP)
    return 0;
  ifr.ifr_flags |= IFF_UP;
  if (ioctl (s, SIOCSIFFLAGS, &ifr) < 0)
    return moat_error_set (err, errno, "bring the loopback interface up");
  return 0;
}
