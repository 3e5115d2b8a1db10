/* The runtime/child channel (libmoat/channel.c): framing over a
   SOCK_SEQPACKET socketpair, fd passing, malformed datagrams refused,
   and a child's error arriving unchanged in the parent.  */
#include <config.h>
#include "tap.h"
#include "libmoat/channel.h"
#include "libmoat/utils.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

/* The header as it goes on the wire (channel.c).  */
struct wire
{
  uint32_t kind;
  int32_t errnum;
  uint32_t aux;
  uint32_t len;
};

static int sv[2];

static void
new_pair (void)
{
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    abort ();
}

static void
close_pair (void)
{
  close (sv[0]);
  close (sv[1]);
}

static int
count_fds (void)
{
  DIR *d = opendir ("/proc/self/fd");
  if (d == NULL)
    abort ();
  int n = 0;
  struct dirent *e;
  while ((e = readdir (d)))
    if (e->d_name[0] != '.')
      n++;
  closedir (d);
  return n - 1;  /* the directory's own fd */
}

/* Nothing left to read on s.  */
static bool
drained (int s)
{
  char b[16];
  return recv (s, b, sizeof b, MSG_DONTWAIT) < 0 && errno == EAGAIN;
}

/* Send a raw datagram: a header and `extra` bytes of payload, and fds.  */
static ssize_t
send_raw (int s, const void *buf, size_t len, const int *fds, size_t nfds)
{
  struct iovec iov = { (void *) buf, len };
  char cbuf[CMSG_SPACE (8 * sizeof (int))];
  memset (cbuf, 0, sizeof cbuf);
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
  if (nfds)
    {
      msg.msg_control = cbuf;
      msg.msg_controllen = CMSG_SPACE (nfds * sizeof (int));
      struct cmsghdr *c = CMSG_FIRSTHDR (&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN (nfds * sizeof (int));
      memcpy (CMSG_DATA (c), fds, nfds * sizeof (int));
    }
  return sendmsg (s, &msg, 0);
}

/* Receive on sv[1]: the error message of a refused datagram.  */
static char *
recv_error (int *ret, int *errnum)
{
  struct moat_msg m;
  moat_error *err = NULL;
  *ret = moat_channel_recv (sv[1], &m, &err);
  char *msg = err ? xstrdup (err->msg) : NULL;
  *errnum = err ? err->errnum : 0;
  moat_error_free (&err);
  if (*ret == 1 && m.fd >= 0)
    close (m.fd);
  return msg;
}

static void
test_kinds (void)
{
  new_pair ();
  for (int k = MOAT_MSG_GO; k < MOAT_MSG_KIND_MAX; k++)
    {
      char payload[64];
      snprintf (payload, sizeof payload, "payload of %s", moat_msg_kind_name (k));
      moat_error *err = NULL;
      int r = moat_channel_send (sv[0], k, 1000u * k + 7, payload, strlen (payload), -1, &err);
      struct moat_msg m;
      memset (&m, 0x55, sizeof m);
      int rr = r == 0 ? moat_channel_recv (sv[1], &m, &err) : -1;
      ok (r == 0 && rr == 1 && m.kind == (enum moat_msg_kind) k && m.aux == 1000u * k + 7
          && m.errnum == 0 && m.len == strlen (payload) && strcmp (m.data, payload) == 0
          && m.fd == -1, "%s message round-trips (%s)", moat_msg_kind_name (k),
          err ? err->msg : "ok");
      moat_error_free (&err);
    }
  ok (strcmp (moat_msg_kind_name (0), "unknown") == 0
      && strcmp (moat_msg_kind_name (MOAT_MSG_KIND_MAX), "unknown") == 0
      && strcmp (moat_msg_kind_name ((enum moat_msg_kind) 1234), "unknown") == 0,
      "kinds outside the table are named `unknown`");

  /* empty payload, by send and by signal */
  moat_error *err = NULL;
  struct moat_msg m;
  memset (&m, 0x55, sizeof m);
  int r = moat_channel_send (sv[0], MOAT_MSG_READY, 0, NULL, 0, -1, &err);
  ok (r == 0 && moat_channel_recv (sv[1], &m, &err) == 1 && m.kind == MOAT_MSG_READY
      && m.len == 0 && m.data[0] == '\0' && m.fd == -1, "an empty payload arrives empty");
  moat_error_free (&err);
  memset (&m, 0x55, sizeof m);
  r = moat_channel_signal (sv[0], MOAT_MSG_PID, 4242, &err);
  ok (r == 0 && moat_channel_recv (sv[1], &m, &err) == 1 && m.kind == MOAT_MSG_PID
      && m.aux == 4242 && m.len == 0 && m.data[0] == '\0', "a signal carries aux only");
  moat_error_free (&err);

  /* the largest payload, with binary content (including NUL bytes) */
  char *big = xmalloc0 (MOAT_CHANNEL_MAX_PAYLOAD);
  for (size_t i = 0; i < MOAT_CHANNEL_MAX_PAYLOAD; i++)
    big[i] = (char) (i * 7 + 1);
  memset (&m, 0x55, sizeof m);
  r = moat_channel_send (sv[0], MOAT_MSG_LOG, 3, big, MOAT_CHANNEL_MAX_PAYLOAD, -1, &err);
  int rr = r == 0 ? moat_channel_recv (sv[1], &m, &err) : -1;
  ok (r == 0 && rr == 1 && m.len == MOAT_CHANNEL_MAX_PAYLOAD
      && memcmp (m.data, big, MOAT_CHANNEL_MAX_PAYLOAD) == 0
      && m.data[MOAT_CHANNEL_MAX_PAYLOAD] == '\0',
      "a payload of MOAT_CHANNEL_MAX_PAYLOAD bytes round-trips, NUL-terminated (%s)",
      err ? err->msg : "ok");
  moat_error_free (&err);

  /* one byte more is refused before anything is sent */
  r = moat_channel_send (sv[0], MOAT_MSG_LOG, 3, big, MOAT_CHANNEL_MAX_PAYLOAD + 1, -1, &err);
  ok (r < 0 && err && err->errnum == EMSGSIZE && contains (err->msg, "8193 bytes"),
      "an oversize payload is refused with EMSGSIZE (%s)", err ? err->msg : "sent");
  moat_error_free (&err);
  ok (drained (sv[1]), "nothing was sent for the oversize payload");
  /* the same through the fd path */
  r = moat_channel_send (sv[0], MOAT_MSG_TERMINAL, 0, big, MOAT_CHANNEL_MAX_PAYLOAD + 1, 0,
                         &err);
  ok (r < 0 && err && err->errnum == EMSGSIZE && drained (sv[1]),
      "an oversize payload with an fd is refused too");
  moat_error_free (&err);
  free (big);
  close_pair ();
}

static void
test_fd (void)
{
  new_pair ();
  char path[] = "/tmp/moat-channel-XXXXXX";
  int f = mkstemp (path);
  if (f < 0)
    abort ();
  unlink (path);
  struct stat a, b;
  fstat (f, &a);
  moat_error *err = NULL;
  struct moat_msg m;
  int r = moat_channel_send (sv[0], MOAT_MSG_TERMINAL, 9, "/dev/pts/3", 10, f, &err);
  int rr = r == 0 ? moat_channel_recv (sv[1], &m, &err) : -1;
  ok (r == 0 && rr == 1 && m.kind == MOAT_MSG_TERMINAL && m.aux == 9
      && strcmp (m.data, "/dev/pts/3") == 0, "a message with an fd round-trips (%s)",
      err ? err->msg : "ok");
  moat_error_free (&err);
  ok (rr == 1 && m.fd >= 0 && m.fd != f, "the fd arrives as a new number (%d, sent %d)",
      rr == 1 ? m.fd : -1, f);
  ok (rr == 1 && m.fd >= 0 && fstat (m.fd, &b) == 0 && a.st_ino == b.st_ino
      && a.st_dev == b.st_dev, "it refers to the same file");
  ok (rr == 1 && m.fd >= 0 && (fcntl (m.fd, F_GETFD) & FD_CLOEXEC),
      "the received fd is close-on-exec");
  if (rr == 1 && m.fd >= 0)
    close (m.fd);

  /* an fd with an empty payload */
  r = moat_channel_send (sv[0], MOAT_MSG_TERMINAL, 0, NULL, 0, f, &err);
  rr = r == 0 ? moat_channel_recv (sv[1], &m, &err) : -1;
  ok (rr == 1 && m.len == 0 && m.fd >= 0 && fstat (m.fd, &b) == 0 && a.st_ino == b.st_ino,
      "an fd without payload arrives");
  moat_error_free (&err);
  if (rr == 1 && m.fd >= 0)
    close (m.fd);

  /* two fds in one message, sent by hand: refused, both closed */
  struct wire h = { MOAT_MSG_TERMINAL, 0, 0, 0 };
  int two[2] = { f, f };
  int before = count_fds ();
  ok (send_raw (sv[0], &h, sizeof h, two, 2) == (ssize_t) sizeof h, "sent two fds by hand");
  int ret, e;
  char *msg = recv_error (&ret, &e);
  ok (ret < 0 && e == EPROTO && contains (msg, "more than one fd"),
      "a message with two fds is refused with EPROTO (%s)", msg ? msg : "accepted");
  ok (count_fds () == before, "both received fds are closed (%d fds, %d before)",
      count_fds (), before);
  free (msg);

  /* more fds than the receiver has room for */
  int six[6] = { f, f, f, f, f, f };
  ok (send_raw (sv[0], &h, sizeof h, six, 6) == (ssize_t) sizeof h, "sent six fds by hand");
  msg = recv_error (&ret, &e);
  ok (ret < 0 && e == EPROTO && contains (msg, "more than one fd"),
      "a message with six fds is refused (%s)", msg ? msg : "accepted");
  ok (count_fds () == before, "none of the six stays open (%d fds, %d before)",
      count_fds (), before);
  free (msg);

  /* a malformed message with an fd: the fd is closed too */
  struct wire bad = { 77, 0, 0, 0 };
  ok (send_raw (sv[0], &bad, sizeof bad, &f, 1) == (ssize_t) sizeof bad,
      "sent an unknown kind with an fd");
  msg = recv_error (&ret, &e);
  ok (ret < 0 && e == EPROTO && count_fds () == before,
      "an unknown kind with an fd is refused and the fd closed (%s)", msg ? msg : "accepted");
  free (msg);
  /* an fd with no bytes at all: not mistaken for the end of the channel */
  ok (send_raw (sv[0], "", 0, &f, 1) == 0, "sent an fd in an empty datagram");
  msg = recv_error (&ret, &e);
  ok (ret < 0 && e == EPROTO && count_fds () == before,
      "an empty datagram with an fd is refused, not EOF (%s)", msg ? msg : "accepted");
  free (msg);

  /* moat_send_fd: a payload without header and exactly one fd */
  ok (moat_send_fd (sv[0], f, "pts", 3, &err) == 0, "moat_send_fd sends");
  char buf[16];
  char cbuf[CMSG_SPACE (4 * sizeof (int))];
  struct iovec iov = { buf, sizeof buf };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                       .msg_controllen = sizeof cbuf };
  ssize_t n = recvmsg (sv[1], &mh, MSG_CMSG_CLOEXEC);
  struct cmsghdr *c = n >= 0 ? CMSG_FIRSTHDR (&mh) : NULL;
  int got = -1;
  if (c && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN (sizeof (int)))
    memcpy (&got, CMSG_DATA (c), sizeof got);
  ok (n == 3 && memcmp (buf, "pts", 3) == 0 && got >= 0 && fstat (got, &b) == 0
      && b.st_ino == a.st_ino, "moat_send_fd: the payload alone and one fd");
  if (got >= 0)
    close (got);
  moat_error_free (&err);
  close (f);
  close_pair ();
}

static void
expect_refused (const void *buf, size_t len, int want_errno, const char *fragment,
                const char *what)
{
  ok (send_raw (sv[0], buf, len, NULL, 0) == (ssize_t) len, "sent %s", what);
  int ret, e;
  char *msg = recv_error (&ret, &e);
  ok (ret < 0 && e == want_errno && contains (msg, fragment), "%s is refused: `%s` (got: %s)",
      what, fragment, msg ? msg : "accepted");
  free (msg);
}

static void
test_malformed (void)
{
  new_pair ();
  expect_refused ("abc", 3, EPROTO, "a message of 3 bytes, shorter than its header",
                  "a datagram shorter than the header");
  struct wire h = { 0, 0, 0, 0 };
  expect_refused (&h, sizeof h, EPROTO, "unknown message kind 0", "kind 0");
  h.kind = MOAT_MSG_KIND_MAX;
  char want[64];
  snprintf (want, sizeof want, "unknown message kind %d", MOAT_MSG_KIND_MAX);
  expect_refused (&h, sizeof h, EPROTO, want, "kind MOAT_MSG_KIND_MAX");
  h.kind = 0xffffffffu;
  expect_refused (&h, sizeof h, EPROTO, "unknown message kind 4294967295", "kind 2^32-1");

  char buf[sizeof (struct wire) + 16];
  struct wire lie = { MOAT_MSG_LOG, 0, 0, 10 };
  memcpy (buf, &lie, sizeof lie);
  memcpy (buf + sizeof lie, "12345", 5);
  expect_refused (buf, sizeof lie + 5, EPROTO, "a log message says 10 bytes and carries 5",
                  "a length longer than the payload");
  lie.len = 0;
  memcpy (buf, &lie, sizeof lie);
  expect_refused (buf, sizeof lie + 5, EPROTO, "says 0 bytes and carries 5",
                  "a length shorter than the payload");
  lie.len = 0xffffffffu;
  memcpy (buf, &lie, sizeof lie);
  expect_refused (buf, sizeof lie, EPROTO, "says 4294967295 bytes and carries 0",
                  "a huge length");

  /* a datagram larger than any message: refused, and the channel still works */
  size_t huge = sizeof (struct wire) + MOAT_CHANNEL_MAX_PAYLOAD + 1;
  char *raw = xmalloc0 (huge);
  struct wire w = { MOAT_MSG_LOG, 0, 0, MOAT_CHANNEL_MAX_PAYLOAD + 1 };
  memcpy (raw, &w, sizeof w);
  expect_refused (raw, huge, EMSGSIZE, "larger than", "a datagram larger than any message");
  free (raw);
  moat_error *err = NULL;
  struct moat_msg m;
  ok (moat_channel_signal (sv[0], MOAT_MSG_GO, 1, &err) == 0
      && moat_channel_recv (sv[1], &m, &err) == 1 && m.kind == MOAT_MSG_GO && m.aux == 1,
      "the channel works after a refused datagram");
  moat_error_free (&err);

  /* EOF */
  close (sv[0]);
  ok (moat_channel_recv (sv[1], &m, &err) == 0 && err == NULL,
      "recv returns 0 when the peer closed its end");
  moat_error_free (&err);
  close (sv[1]);

  /* sending to a closed peer: EPIPE, not SIGPIPE */
  new_pair ();
  close (sv[1]);
  int r = moat_channel_send (sv[0], MOAT_MSG_GO, 0, "x", 1, -1, &err);
  ok (r < 0 && err && err->errnum == EPIPE, "send to a closed peer is EPIPE (%s)",
      err ? err->msg : "sent");
  moat_error_free (&err);
  r = moat_channel_send (sv[0], MOAT_MSG_GO, 0, "x", 1, 0, &err);
  ok (r < 0 && err && err->errnum == EPIPE, "send with an fd to a closed peer is EPIPE (%s)",
      err ? err->msg : "sent");
  moat_error_free (&err);
  close (sv[0]);
}

static void
test_expect (void)
{
  new_pair ();
  moat_error *err = NULL;
  struct moat_msg m;
  moat_channel_send (sv[0], MOAT_MSG_HOOKS_DONE, 31337, "hd", 2, -1, &err);
  int r = moat_channel_expect (sv[1], MOAT_MSG_HOOKS_DONE, &m, &err);
  ok (r == 0 && m.kind == MOAT_MSG_HOOKS_DONE && m.aux == 31337 && m.len == 2
      && strcmp (m.data, "hd") == 0 && m.fd == -1, "expect returns the awaited message (%s)",
      err ? err->msg : "ok");
  moat_error_free (&err);

  moat_channel_signal (sv[0], MOAT_MSG_START, 0, &err);
  r = moat_channel_expect (sv[1], MOAT_MSG_COMMITTED, &m, &err);
  ok (r < 0 && err && err->errnum == EPROTO
      && contains (err->msg, "channel: expected committed, got start"),
      "expect refuses another kind (%s)", err ? err->msg : "accepted");
  moat_error_free (&err);

  /* the largest payload fits, one more byte is refused */
  size_t full = sizeof (struct wire) + MOAT_CHANNEL_MAX_PAYLOAD;
  char *raw = xmalloc0 (full + 1);
  struct wire w = { MOAT_MSG_LOG, 0, 0, MOAT_CHANNEL_MAX_PAYLOAD };
  memcpy (raw, &w, sizeof w);
  memset (raw + sizeof w, 'x', MOAT_CHANNEL_MAX_PAYLOAD);
  send_raw (sv[0], raw, full, NULL, 0);
  r = moat_channel_expect (sv[1], MOAT_MSG_LOG, &m, &err);
  ok (r == 0 && m.len == MOAT_CHANNEL_MAX_PAYLOAD && m.data[MOAT_CHANNEL_MAX_PAYLOAD] == '\0',
      "expect takes the largest payload (%s)", err ? err->msg : "ok");
  moat_error_free (&err);
  w.len = MOAT_CHANNEL_MAX_PAYLOAD + 1;
  memcpy (raw, &w, sizeof w);
  send_raw (sv[0], raw, full + 1, NULL, 0);
  r = moat_channel_expect (sv[1], MOAT_MSG_LOG, &m, &err);
  ok (r < 0 && err && err->errnum == EMSGSIZE, "expect refuses a larger one (%s)",
      err ? err->msg : "accepted");
  moat_error_free (&err);
  free (raw);
  send_raw (sv[0], "ab", 2, NULL, 0);
  r = moat_channel_expect (sv[1], MOAT_MSG_GO, &m, &err);
  ok (r < 0 && err && err->errnum == EPROTO && contains (err->msg, "shorter than its header"),
      "expect refuses a short datagram (%s)", err ? err->msg : "accepted");
  moat_error_free (&err);

  /* an fd sent to a reader that uses read(2) is dropped by the kernel */
  int f = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  int before = count_fds ();
  moat_channel_send (sv[0], MOAT_MSG_GO, 0, NULL, 0, f, &err);
  r = moat_channel_expect (sv[1], MOAT_MSG_GO, &m, &err);
  ok (r == 0 && m.fd == -1 && count_fds () == before,
      "expect: an fd sent along is not installed (%d fds, %d before)", count_fds (), before);
  moat_error_free (&err);
  close (f);

  close (sv[0]);
  r = moat_channel_expect (sv[1], MOAT_MSG_GO, &m, &err);
  ok (r < 0 && err && contains (err->msg, "the runtime went away before go"),
      "expect at EOF is an error (%s)", err ? err->msg : "accepted");
  moat_error_free (&err);
  close (sv[1]);
}

/* In a child under a seccomp filter that allows read, write and exit
   only: the calls the channel promises to need (channel.h).  Returns the
   child's exit status: 0 when `what` succeeded.  */
enum confined_op { CONFINED_EXPECT, CONFINED_SIGNAL, CONFINED_SEND_ERROR };

static int
confined (enum confined_op op)
{
  new_pair ();
  if (op == CONFINED_EXPECT)
    moat_channel_signal (sv[0], MOAT_MSG_GO, 5, NULL);
  fflush (stdout);
  pid_t pid = fork ();
  if (pid < 0)
    abort ();
  if (pid == 0)
    {
      scmp_filter_ctx ctx = seccomp_init (SCMP_ACT_ERRNO (ENOSYS));
      if (ctx == NULL
          || seccomp_rule_add (ctx, SCMP_ACT_ALLOW, SCMP_SYS (read), 0) < 0
          || seccomp_rule_add (ctx, SCMP_ACT_ALLOW, SCMP_SYS (write), 0) < 0
          || seccomp_rule_add (ctx, SCMP_ACT_ALLOW, SCMP_SYS (exit_group), 0) < 0
          || seccomp_rule_add (ctx, SCMP_ACT_ALLOW, SCMP_SYS (exit), 0) < 0
          || seccomp_load (ctx) < 0)
        _exit (100);
      struct moat_msg m;
      moat_error e = { 0, MOAT_ERR_FAILED, (char *) "boom" };
      switch (op)
        {
        case CONFINED_EXPECT:
          _exit (moat_channel_expect (sv[1], MOAT_MSG_GO, &m, NULL) == 0 && m.aux == 5 ? 0 : 1);
        case CONFINED_SIGNAL:
          _exit (moat_channel_signal (sv[1], MOAT_MSG_READY, 0, NULL) == 0 ? 0 : 1);
        case CONFINED_SEND_ERROR:
          moat_channel_send_error (sv[1], &e);
          _exit (0);
        }
      _exit (2);
    }
  int status = -1;
  waitpid (pid, &status, 0);
  int r = WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
  if (r == 0 && op == CONFINED_SEND_ERROR)
    {
      struct moat_msg m;
      /* best effort: the child exits 0 whether it could send or not */
      fcntl (sv[0], F_SETFL, O_NONBLOCK);
      r = (moat_channel_recv (sv[0], &m, NULL) == 1 && m.kind == MOAT_MSG_ERROR
           && strcmp (m.data, "boom") == 0) ? 0 : 3;
    }
  close_pair ();
  return r;
}

/* Valgrind and the sanitizers make calls of their own that the filter
   refuses.  */
#if defined __SANITIZE_ADDRESS__
# define UNDER_ASAN 1
#elif defined __has_feature
# if __has_feature (address_sanitizer)
#  define UNDER_ASAN 1
# endif
#endif

static const char *
cannot_confine (void)
{
  const char *p = getenv ("LD_PRELOAD");
  if (p && strstr (p, "vgpreload"))
    return "valgrind cannot run a process under a seccomp filter";
#ifdef UNDER_ASAN
  return "AddressSanitizer cannot run a process under a seccomp filter";
#endif
  return NULL;
}

static void
test_confined (void)
{
  const char *why = cannot_confine ();
  if (why)
    {
      for (int i = 0; i < 3; i++)
        printf ("ok %d # SKIP %s\n", ++tap_n, why);
      return;
    }
  int r = confined (CONFINED_EXPECT);
  ok (r == 0, "expect works under a filter that allows only read/write/exit (status %d)", r);
  r = confined (CONFINED_SIGNAL);
  ok (r == 0, "signal works under a filter that allows only read/write/exit (status %d)", r);
  r = confined (CONFINED_SEND_ERROR);
  ok (r == 0, "send_error works under a filter that allows only read/write/exit (status %d)", r);
}

static void
test_errors (void)
{
  new_pair ();
  moat_error *child = NULL;
  moat_error_setk (&child, MOAT_ERR_NOT_SUPPORTED, ENOENT, "mount `%s`", "/x");
  moat_channel_send_error (sv[0], child);
  struct moat_msg m;
  moat_error *err = NULL;
  int r = moat_channel_recv (sv[1], &m, &err);
  ok (r == 1 && m.kind == MOAT_MSG_ERROR && m.aux == MOAT_ERR_NOT_SUPPORTED
      && m.errnum == ENOENT && strcmp (m.data, child->msg) == 0,
      "send_error carries kind, errno and text (%s)", r == 1 ? m.data : "nothing");
  moat_error *back = NULL;
  ok (moat_channel_error_from (&m, &back) == -1 && back != NULL, "error_from returns -1");
  ok (back && back->kind == MOAT_ERR_NOT_SUPPORTED && back->errnum == ENOENT
      && strcmp (back->msg, "mount `/x`: No such file or directory") == 0,
      "the parent's error is the child's: kind, errno and text unchanged (%s)",
      back ? back->msg : "none");
  moat_error_free (&back);
  moat_error_free (&child);

  for (int k = MOAT_ERR_FAILED; k <= MOAT_ERR_PERMISSION; k++)
    {
      moat_error_setk (&child, k, k == MOAT_ERR_PERMISSION ? EACCES : 0, "kind %d", k);
      moat_channel_send_error (sv[0], child);
      r = moat_channel_recv (sv[1], &m, &err);
      moat_channel_error_from (&m, &back);
      ok (r == 1 && back && back->kind == (enum moat_error_kind) k
          && back->errnum == child->errnum && strcmp (back->msg, child->msg) == 0,
          "kind %s crosses the channel", moat_error_kind_name (k));
      moat_error_free (&back);
      moat_error_free (&child);
    }

  /* a kind the parent does not know becomes MOAT_ERR_FAILED */
  struct moat_msg fake = { .kind = MOAT_MSG_ERROR, .errnum = EIO, .aux = 99, .len = 3 };
  strcpy (fake.data, "odd");
  moat_channel_error_from (&fake, &back);
  ok (back && back->kind == MOAT_ERR_FAILED && back->errnum == EIO
      && strcmp (back->msg, "odd") == 0, "an unknown error kind becomes failed");
  moat_error_free (&back);

  /* an error already set is kept whole (moat_error_set's rule) */
  moat_error *first = NULL;
  moat_error_set (&first, ENOENT, "earlier");
  fake.errnum = EIO;
  ok (moat_channel_error_from (&fake, &first) == -1 && first
      && strcmp (first->msg, "earlier: No such file or directory") == 0,
      "error_from keeps an error already set (%s)", first ? first->msg : "none");
  ok (first && first->errnum == ENOENT,
      "... with its own errno (%d, want %d)", first ? first->errnum : -1, ENOENT);
  moat_error_free (&first);

  /* no error at all, and a message longer than a payload */
  moat_channel_send_error (sv[0], NULL);
  r = moat_channel_recv (sv[1], &m, &err);
  ok (r == 1 && m.kind == MOAT_MSG_ERROR && m.errnum == 0 && m.aux == MOAT_ERR_FAILED
      && strcmp (m.data, "failed (no message)") == 0, "send_error(NULL) says it failed");
  moat_error *longe = NULL;
  char *text = xmalloc0 (MOAT_CHANNEL_MAX_PAYLOAD + 100);
  memset (text, 'e', MOAT_CHANNEL_MAX_PAYLOAD + 99);
  moat_error_setk (&longe, MOAT_ERR_INVALID_CONFIG, 0, "%s", text);
  moat_channel_send_error (sv[0], longe);
  r = moat_channel_recv (sv[1], &m, &err);
  ok (r == 1 && m.kind == MOAT_MSG_ERROR && m.len == MOAT_CHANNEL_MAX_PAYLOAD
      && m.aux == MOAT_ERR_INVALID_CONFIG, "a long error message is cut to one payload (%s)",
      err ? err->msg : "ok");
  moat_error_free (&err);
  moat_error_free (&longe);
  free (text);
  close_pair ();
}

int
main (void)
{
  test_kinds ();
  test_fd ();
  test_malformed ();
  test_expect ();
  test_confined ();
  test_errors ();
  return tap_done ();
}
