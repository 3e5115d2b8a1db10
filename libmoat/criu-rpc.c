/* CRIU's RPC, spoken by moat itself (criu.h): the criu binary runs as
   `criu swrk FD`, moat's child, and answers one request on the socket
   FD, with notifications on the way (moat answers each) and a last
   response.  libcriu's own client cannot be told every option of the
   protocol (--empty-ns, --lazy-pages and --status-fd have no call in
   libcriu 3.17), so moat builds the messages with libcriu's message code
   (rpc.pb-c.h) and sends them itself.  */
#include <config.h>
#ifdef HAVE_CRIU
#include "criu.h"
#include "utils.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- the options of a request ---- */

CriuOpts *
moat_criu_opts_alloc (void)
{
  CriuOpts *o = xmalloc0 (sizeof *o);
  criu_opts__init (o);
  return o;
}

static void
free_strv (char **v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free (v[i]);
  free (v);
}

/* What moat sets, freed: the options are moat's, not unpacked.  */
void
moat_criu_opts_free (CriuOpts *o)
{
  if (o == NULL)
    return;
  free (o->log_file);
  free (o->root);
  free (o->parent_img);
  free (o->freeze_cgroup);
  free (o->lsm_profile);
  free (o->lsm_mount_context);
  if (o->ps)
    free (o->ps->address);
  free (o->ps);
  free_strv (o->external, o->n_external);
  for (size_t i = 0; i < o->n_ext_mnt; i++)
    {
      free (o->ext_mnt[i]->key);
      free (o->ext_mnt[i]->val);
      free (o->ext_mnt[i]);
    }
  free (o->ext_mnt);
  for (size_t i = 0; i < o->n_inherit_fd; i++)
    {
      free (o->inherit_fd[i]->key);
      free (o->inherit_fd[i]);
    }
  free (o->inherit_fd);
  for (size_t i = 0; i < o->n_cg_root; i++)
    {
      free (o->cg_root[i]->ctrl);
      free (o->cg_root[i]->path);
      free (o->cg_root[i]);
    }
  free (o->cg_root);
  free (o);
}

void
moat_criu_set_str (char **field, const char *value)
{
  free (*field);
  *field = value ? xstrdup (value) : NULL;
}

#define APPEND(arr, n, v)                                                     \
  do                                                                          \
    {                                                                         \
      (arr) = xrealloc ((arr), ((n) + 1) * sizeof *(arr));                    \
      (arr)[(n)++] = (v);                                                     \
    }                                                                         \
  while (0)

void
moat_criu_add_external (CriuOpts *o, const char *key)
{
  APPEND (o->external, o->n_external, xstrdup (key));
}

void
moat_criu_add_ext_mount (CriuOpts *o, const char *key, const char *val)
{
  ExtMountMap *m = xmalloc0 (sizeof *m);
  ext_mount_map__init (m);
  m->key = xstrdup (key);
  m->val = xstrdup (val);
  APPEND (o->ext_mnt, o->n_ext_mnt, m);
}

void
moat_criu_add_inherit_fd (CriuOpts *o, int fd, const char *key)
{
  InheritFd *f = xmalloc0 (sizeof *f);
  inherit_fd__init (f);
  f->fd = fd;
  f->key = xstrdup (key);
  APPEND (o->inherit_fd, o->n_inherit_fd, f);
}

void
moat_criu_add_cg_root (CriuOpts *o, const char *ctrl, const char *path)
{
  CgroupRoot *r = xmalloc0 (sizeof *r);
  cgroup_root__init (r);
  r->ctrl = ctrl ? xstrdup (ctrl) : NULL;
  r->path = xstrdup (path);
  APPEND (o->cg_root, o->n_cg_root, r);
}

void
moat_criu_set_page_server (CriuOpts *o, const char *address, int port)
{
  if (o->ps == NULL)
    {
      o->ps = xmalloc0 (sizeof *o->ps);
      criu_page_server_info__init (o->ps);
    }
  moat_criu_set_str (&o->ps->address, address);
  o->ps->has_port = true;
  o->ps->port = port;
}

/* ---- the conversation ---- */

/* criu swrk started, its end of the socket pair its fd sk.  An exec that
   fails is said through a close-on-exec pipe.  */
static int
spawn_swrk (const char *binary, int *sk, pid_t *pid, moat_error **err)
{
  int sv[2], ex[2];
  if (socketpair (AF_LOCAL, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return moat_error_set (err, errno, "criu: a socket pair");
  if (pipe2 (ex, O_CLOEXEC) < 0)
    {
      close (sv[0]);
      close (sv[1]);
      return moat_error_set (err, errno, "criu: a pipe");
    }
  fflush (NULL);
  pid_t p = fork ();
  if (p == 0)
    {
      char arg[16];
      snprintf (arg, sizeof arg, "%d", sv[1]);
      close (ex[0]);
      if (fcntl (sv[1], F_SETFD, 0) == 0)
        execlp (binary, binary, "swrk", arg, (char *) NULL);
      int e = errno;
      (void) !write (ex[1], &e, sizeof e);
      _exit (127);
    }
  int e = errno;
  close (sv[1]);
  close (ex[1]);
  if (p < 0)
    {
      close (sv[0]);
      close (ex[0]);
      return moat_error_set (err, e, "criu: fork");
    }
  int exec_errno = 0;
  ssize_t n;
  while ((n = read (ex[0], &exec_errno, sizeof exec_errno)) < 0 && errno == EINTR)
    ;
  close (ex[0]);
  if (n > 0)
    {
      close (sv[0]);
      while (waitpid (p, NULL, 0) < 0 && errno == EINTR)
        ;
      return moat_error_setk (err, MOAT_ERR_NOT_SUPPORTED, exec_errno,
                              "criu: cannot run `%s`", binary);
    }
  *sk = sv[0];
  *pid = p;
  return 0;
}

static int
send_req (int sk, CriuReq *req, moat_error **err)
{
  size_t len = criu_req__get_packed_size (req);
  autofree uint8_t *buf = xmalloc0 (len ? len : 1);
  criu_req__pack (req, buf);
  ssize_t n;
  while ((n = send (sk, buf, len, MSG_NOSIGNAL)) < 0 && errno == EINTR)
    ;
  if (n != (ssize_t) len)
    return moat_error_set (err, n < 0 ? errno : EIO, "criu: send a request");
  return 0;
}

/* One message of criu's, and the fd it came with (or -1).  */
static int
recv_resp (int sk, CriuResp **out, int *fd, moat_error **err)
{
  *fd = -1;
  ssize_t len;
  while ((len = recv (sk, NULL, 0, MSG_PEEK | MSG_TRUNC)) < 0 && errno == EINTR)
    ;
  if (len < 0)
    return moat_error_set (err, errno, "criu: receive its answer");
  if (len == 0)
    return moat_error_set (err, EPIPE, "criu: it ended without an answer");
  autofree uint8_t *buf = xmalloc0 (len);
  union { char buf[CMSG_SPACE (sizeof (int))]; struct cmsghdr align; } ctl;
  struct iovec iov = { .iov_base = buf, .iov_len = len };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                        .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf };
  ssize_t n;
  while ((n = recvmsg (sk, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
    ;
  if (n != len)
    return moat_error_set (err, n < 0 ? errno : EPROTO, "criu: receive its answer");
  for (struct cmsghdr *c = CMSG_FIRSTHDR (&msg); c; c = CMSG_NXTHDR (&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS
        && c->cmsg_len == CMSG_LEN (sizeof (int)))
      memcpy (fd, CMSG_DATA (c), sizeof (int));
  *out = criu_resp__unpack (NULL, len, buf);
  if (*out == NULL)
    {
      if (*fd >= 0)
        close (*fd);
      return moat_error_set (err, EPROTO, "criu: an answer moat cannot read");
    }
  return 0;
}

/* A notification answered: the callback's word (its error kept in
   *cb_err, the first only).  */
static int
answer_notify (int sk, const CriuNotify *n, int fd, const struct moat_criu_notify *cb,
               moat_error **cb_err, moat_error **err)
{
  int ok = 0;
  if (cb && cb->fn && *cb_err == NULL)
    ok = cb->fn (cb->data, n && n->script ? n->script : "", n && n->has_pid ? n->pid : 0,
                 fd, cb_err);
  if (fd >= 0)
    close (fd);
  CriuReq req;
  criu_req__init (&req);
  req.type = CRIU_REQ_TYPE__NOTIFY;
  req.has_notify_success = true;
  req.notify_success = ok == 0;
  return send_req (sk, &req, err);
}

static int
converse (int sk, CriuReq *req, const struct moat_criu_notify *cb, CriuResp **out,
          moat_error **cb_err, moat_error **err)
{
  if (send_req (sk, req, err) < 0)
    return -1;
  for (;;)
    {
      CriuResp *resp = NULL;
      int fd;
      if (recv_resp (sk, &resp, &fd, err) < 0)
        return -1;
      if (resp->type != CRIU_REQ_TYPE__NOTIFY)
        {
          if (fd >= 0)
            close (fd);
          if (resp->type != req->type)
            {
              criu_resp__free_unpacked (resp, NULL);
              return moat_error_set (err, EPROTO, "criu: an answer of another kind");
            }
          *out = resp;
          return 0;
        }
      int r = answer_notify (sk, resp->notify, fd, cb, cb_err, err);
      criu_resp__free_unpacked (resp, NULL);
      if (r < 0)
        return -1;
    }
}

int
moat_criu_call (const char *binary, CriuReqType type, CriuOpts *opts,
                CriuFeatures *features, const struct moat_criu_notify *cb,
                CriuResp **out, moat_error **err)
{
  int sk = -1;
  pid_t pid = 0;
  *out = NULL;
  if (spawn_swrk (binary, &sk, &pid, err) < 0)
    return -1;
  CriuReq req;
  criu_req__init (&req);
  req.type = type;
  req.opts = opts;
  req.features = features;
  moat_error *cb_err = NULL;
  int r = converse (sk, &req, cb, out, &cb_err, err);
  close (sk);
  int status = 0;
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (cb_err)
    {
      /* the callback's failure is why CRIU stopped: it is the error */
      if (r == 0)
        criu_resp__free_unpacked (*out, NULL);
      *out = NULL;
      if (r < 0)
        moat_error_free (err);
      *err = cb_err;
      return -1;
    }
  if (r < 0 && WIFSIGNALED (status))
    return moat_error_prefix (err, "criu was killed by signal %d", WTERMSIG (status));
  return r;
}

int
moat_criu_version (const char *binary, int *version, moat_error **err)
{
  CriuResp *resp;
  if (moat_criu_call (binary, CRIU_REQ_TYPE__VERSION, NULL, NULL, NULL, &resp, err) < 0)
    return -1;
  int ok = resp->success && resp->version;
  if (ok)
    *version = resp->version->major_number * 10000 + resp->version->minor_number * 100
               + (resp->version->has_sublevel ? resp->version->sublevel : 0);
  criu_resp__free_unpacked (resp, NULL);
  if (!ok)
    return moat_error_set (err, EPROTO, "criu: no version in its answer");
  return 0;
}

int
moat_criu_has_lazy_pages (const char *binary, bool *has, moat_error **err)
{
  CriuFeatures want;
  criu_features__init (&want);
  want.has_lazy_pages = true;
  want.lazy_pages = true;
  CriuResp *resp;
  if (moat_criu_call (binary, CRIU_REQ_TYPE__FEATURE_CHECK, NULL, &want, NULL, &resp,
                      err) < 0)
    return -1;
  *has = resp->success && resp->features && resp->features->has_lazy_pages
         && resp->features->lazy_pages;
  criu_resp__free_unpacked (resp, NULL);
  return 0;
}

#endif /* HAVE_CRIU */
