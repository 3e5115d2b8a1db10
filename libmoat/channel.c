/* The runtime/child channel: framing, fd passing and errors that cross
   from child to parent.  See channel.h.  */
#include <config.h>
#include "channel.h"
#include "utils.h"
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* On the wire: this header, then len bytes of payload.  */
struct wire_header
{
  uint32_t kind;
  int32_t errnum;
  uint32_t aux;
  uint32_t len;
};

static const char *const kind_names[MOAT_MSG_KIND_MAX] = {
  [MOAT_MSG_GO] = "go", [MOAT_MSG_HOOKS] = "hooks", [MOAT_MSG_HOOKS_DONE] = "hooks done",
  [MOAT_MSG_PID] = "pid", [MOAT_MSG_TERMINAL] = "terminal", [MOAT_MSG_LOG] = "log",
  [MOAT_MSG_READY] = "ready", [MOAT_MSG_COMMITTED] = "committed",
  [MOAT_MSG_START] = "start", [MOAT_MSG_ERROR] = "error",
  [MOAT_MSG_PROCFS] = "procfs",
  [MOAT_MSG_SECCOMP] = "seccomp",
};

const char *
moat_msg_kind_name (enum moat_msg_kind kind)
{
  if ((unsigned) kind < MOAT_MSG_KIND_MAX && kind_names[kind])
    return kind_names[kind];
  return "unknown";
}

static ssize_t
sendmsg_retrying (int sock, struct msghdr *msg)
{
  ssize_t r;
  do
    r = sendmsg (sock, msg, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  return r;
}

static int
send_frame (int sock, enum moat_msg_kind kind, int32_t errnum, uint32_t aux,
            const void *data, size_t len, int fd, moat_error **err)
{
  if (len > MOAT_CHANNEL_MAX_PAYLOAD)
    return moat_error_set (err, EMSGSIZE, "send a %s message of %zu bytes",
                           moat_msg_kind_name (kind), len);
  struct wire_header h = { kind, errnum, aux, (uint32_t) len };
  char buf[sizeof h + MOAT_CHANNEL_MAX_PAYLOAD];
  memcpy (buf, &h, sizeof h);
  if (len)
    memcpy (buf + sizeof h, data, len);
  ssize_t r;
  if (fd < 0)
    {
      /* write, not sendmsg: a child under a seccomp filter may be allowed
         no more than the calls every program makes */
      do
        r = write (sock, buf, sizeof h + len);
      while (r < 0 && errno == EINTR);
    }
  else
    {
      char cbuf[CMSG_SPACE (sizeof (int))];
      memset (cbuf, 0, sizeof cbuf);
      struct iovec iov = { buf, sizeof h + len };
      struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1,
        .msg_control = cbuf, .msg_controllen = sizeof cbuf,
      };
      struct cmsghdr *c = CMSG_FIRSTHDR (&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN (sizeof (int));
      memcpy (CMSG_DATA (c), &fd, sizeof (int));
      r = sendmsg_retrying (sock, &msg);
    }
  if (r < 0)
    return moat_error_set (err, errno, "send a %s message", moat_msg_kind_name (kind));
  if ((size_t) r != sizeof h + len)
    return moat_error_set (err, EMSGSIZE, "send a %s message: short write",
                           moat_msg_kind_name (kind));
  return 0;
}

int
moat_channel_send (int sock, enum moat_msg_kind kind, uint32_t aux, const void *data,
                   size_t len, int fd, moat_error **err)
{
  return send_frame (sock, kind, 0, aux, data, len, fd, err);
}

int
moat_channel_signal (int sock, enum moat_msg_kind kind, uint32_t aux, moat_error **err)
{
  return moat_channel_send (sock, kind, aux, NULL, 0, -1, err);
}

void
moat_channel_send_error (int sock, const moat_error *err)
{
  const char *msg = err && err->msg ? err->msg : "failed (no message)";
  send_frame (sock, MOAT_MSG_ERROR, err ? err->errnum : 0, err ? (uint32_t) err->kind : 0,
              msg, strnlen (msg, MOAT_CHANNEL_MAX_PAYLOAD), -1, NULL);
}

static void
close_received (int *fds, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (fds[i] >= 0)
      close (fds[i]);
}

/* Check a received datagram of n bytes in buf and fill m.  */
static int
decode (const char *buf, ssize_t n, bool truncated, struct moat_msg *m, moat_error **err)
{
  struct wire_header h;
  if (truncated)
    return moat_error_set (err, EMSGSIZE, "channel: a message larger than %zu bytes",
                           sizeof h + MOAT_CHANNEL_MAX_PAYLOAD);
  if ((size_t) n < sizeof h)
    return moat_error_set (err, EPROTO, "channel: a message of %zd bytes, shorter than "
                           "its header", n);
  memcpy (&h, buf, sizeof h);
  if (h.kind == 0 || h.kind >= MOAT_MSG_KIND_MAX)
    return moat_error_set (err, EPROTO, "channel: unknown message kind %u", h.kind);
  if (h.len != (size_t) n - sizeof h)
    return moat_error_set (err, EPROTO, "channel: a %s message says %u bytes and "
                           "carries %zu", moat_msg_kind_name (h.kind), h.len,
                           (size_t) n - sizeof h);
  m->kind = h.kind;
  m->errnum = h.errnum;
  m->aux = h.aux;
  m->len = h.len;
  memcpy (m->data, buf + sizeof h, h.len);
  m->data[h.len] = '\0';
  return 0;
}

int
moat_channel_recv (int sock, struct moat_msg *m, moat_error **err)
{
  char buf[sizeof (struct wire_header) + MOAT_CHANNEL_MAX_PAYLOAD];
  /* room for more than one fd, so that an extra one is seen and closed */
  char cbuf[CMSG_SPACE (4 * sizeof (int))];
  struct iovec iov = { buf, sizeof buf };
  struct msghdr msg = {
    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf,
  };
  m->fd = -1;
  ssize_t n;
  do
    n = recvmsg (sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return moat_error_set (err, errno, "channel: receive");
  int fds[4] = { -1, -1, -1, -1 };
  size_t nfds = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR (&msg); c; c = CMSG_NXTHDR (&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
      {
        size_t k = (c->cmsg_len - CMSG_LEN (0)) / sizeof (int);
        for (size_t i = 0; i < k && nfds < 4; i++)
          memcpy (&fds[nfds++], CMSG_DATA (c) + i * sizeof (int), sizeof (int));
      }
  if (n == 0 && nfds == 0)
    return 0;
  bool truncated = (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0;
  if (nfds > 1 || (msg.msg_flags & MSG_CTRUNC))
    {
      close_received (fds, nfds);
      return moat_error_set (err, EPROTO, "channel: a message with more than one fd");
    }
  if (decode (buf, n, truncated, m, err) < 0)
    {
      close_received (fds, nfds);
      return -1;
    }
  m->fd = fds[0];
  return 1;
}

int
moat_channel_expect (int sock, enum moat_msg_kind kind, struct moat_msg *m,
                     moat_error **err)
{
  char buf[sizeof (struct wire_header) + MOAT_CHANNEL_MAX_PAYLOAD + 1];
  ssize_t n;
  do
    n = read (sock, buf, sizeof buf);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return moat_error_set (err, errno, "channel: wait for %s", moat_msg_kind_name (kind));
  if (n == 0)
    return moat_error_set (err, 0, "channel: the runtime went away before %s",
                           moat_msg_kind_name (kind));
  m->fd = -1;
  if (decode (buf, n, (size_t) n == sizeof buf, m, err) < 0)
    return -1;
  if (m->kind != kind)
    return moat_error_set (err, EPROTO, "channel: expected %s, got %s",
                           moat_msg_kind_name (kind), moat_msg_kind_name (m->kind));
  return 0;
}

int
moat_channel_error_from (const struct moat_msg *m, moat_error **err)
{
  enum moat_error_kind kind = m->aux <= MOAT_ERR_PERMISSION ? m->aux : MOAT_ERR_FAILED;
  if (err == NULL || *err != NULL)
    return -1;  /* an earlier error stays, as moat_error_set keeps it */
  /* the text already holds the strerror part */
  moat_error_setk (err, kind, 0, "%s", m->data);
  if (*err)
    (*err)->errnum = m->errnum;
  return -1;
}

ssize_t
moat_sendmsg_with_fd (int sock, int fd, const void *payload, size_t len)
{
  char cbuf[CMSG_SPACE (sizeof (int))];
  memset (cbuf, 0, sizeof cbuf);
  struct iovec iov = { (void *) payload, len };
  struct msghdr msg = {
    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf,
  };
  struct cmsghdr *c = CMSG_FIRSTHDR (&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &fd, sizeof (int));
  return sendmsg_retrying (sock, &msg);
}

int
moat_send_fd (int sock, int fd, const void *payload, size_t len, moat_error **err)
{
  if (moat_sendmsg_with_fd (sock, fd, payload, len) < 0)
    return moat_error_set (err, errno, "send an fd");
  return 0;
}
