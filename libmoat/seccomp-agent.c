/* Giving a seccomp listener to the agent (SCMP_ACT_NOTIFY).

   The process that loaded the filter passes the listener to moat on the
   channel; moat connects to linux.seccomp.listenerPath (AF_UNIX,
   SOCK_STREAM: a host path, reached in moat's namespaces), sends the
   container process state of the runtime spec as JSON with the listener
   as its one SCM_RIGHTS fd ("fds": ["seccompFd"]), and closes the
   connection: one state per connection.  A failure is an error of the
   create or exec: a container whose notified calls no agent answers
   would wait for ever.  */
#include <config.h>
#include "seccomp-agent.h"
#include "channel.h"
#include "spec/jsontree.h"
#include "utils.h"
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

/* s as a JSON string, quotes included */
static char *
json_string (const char *s)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  yajl_gen_string (g, (const unsigned char *) s, strlen (s));
  return moat_json_gen_take (g, "");
}

char *
moat_seccomp_process_state (const struct moat_seccomp *k, pid_t pid, const char *state)
{
  autofree char *meta = k->listener_metadata ? json_string (k->listener_metadata) : NULL;
  return xasprintf ("{\"ociVersion\":\"%s\",\"fds\":[\"seccompFd\"],\"pid\":%d%s%s,"
                    "\"state\":%s}", OCI_SPEC_VERSION, (int) pid,
                    meta ? ",\"metadata\":" : "", meta ? meta : "", state);
}

/* The fd goes with the first bytes (the spec's rule); the rest, if the
   socket takes less at once, follows.  Never SIGPIPE: an agent that went
   away is an error.  */
static int
send_state (int sock, int fd, const char *json, size_t len)
{
  ssize_t n = moat_sendmsg_with_fd (sock, fd, json, len);
  if (n < 0)
    return -1;
  for (size_t done = n; done < len; done += n)
    {
      do
        n = send (sock, json + done, len - done, MSG_NOSIGNAL);
      while (n < 0 && errno == EINTR);
      if (n < 0)
        return -1;
    }
  return 0;
}

int
moat_seccomp_give_listener (const struct moat_seccomp *k, int listener, pid_t pid,
                            const char *state, moat_error **err)
{
  const char *path = k->listener_path;
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  if (path == NULL || strlen (path) >= sizeof addr.sun_path)
    return moat_error_set (err, 0, "linux.seccomp.listenerPath: not a socket path");
  strcpy (addr.sun_path, path);
  autoclose int sock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0)
    return moat_error_set (err, errno, "linux.seccomp.listenerPath: socket");
  int r;
  do
    r = connect (sock, (struct sockaddr *) &addr, sizeof addr);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return moat_error_set (err, errno, "linux.seccomp.listenerPath `%s`: connect to the "
                           "seccomp agent", path);
  /* the listener decides what the container's calls return: only to an
     agent of root's or of moat's own user, not to whoever could bind a
     socket at that path (a directory a container can write) */
  struct ucred peer;
  socklen_t len = sizeof peer;
  if (getsockopt (sock, SOL_SOCKET, SO_PEERCRED, &peer, &len) < 0)
    return moat_error_set (err, errno, "linux.seccomp.listenerPath `%s`: the agent's "
                           "credentials", path);
  if (peer.uid != 0 && peer.uid != geteuid ())
    return moat_error_setk (err, MOAT_ERR_PERMISSION, 0, "linux.seccomp.listenerPath `%s`: "
                            "the agent runs as uid %u, neither root nor moat's user: "
                            "refusing to give it the listener", path, (unsigned) peer.uid);
  autofree char *json = moat_seccomp_process_state (k, pid, state);
  if (send_state (sock, listener, json, strlen (json)) < 0)
    return moat_error_set (err, errno, "linux.seccomp.listenerPath `%s`: send the "
                           "listener to the seccomp agent", path);
  return 0;
}
