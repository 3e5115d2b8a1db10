/* linux.seccomp compiled to classic BPF (libmoat/linux/seccomp.c): the
   program moat_seccomp_compile returns is run by a small cBPF interpreter
   over struct seccomp_data, and the action it returns checked: default
   actions, rules, argument conditions, architectures and flags.  The
   profiles are config.json texts parsed by moat_spec_parse.  */
#include <config.h>
#include "tap.h"
#include "libmoat/plan/plan.h"
#include "libmoat/spec/spec.h"
#include "libmoat/utils.h"
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <seccomp.h>
#include <sys/syscall.h>

/* x86_64 numbers, whatever the build machine is */
enum
{
  NR_read = 0, NR_write = 1, NR_open = 2, NR_close = 3, NR_mmap = 9, NR_ioctl = 16,
  NR_getpid = 39, NR_clone = 56, NR_kill = 62, NR_mkdir = 83, NR_rmdir = 84,
  NR_unlink = 87, NR_personality = 135, NR_exit_group = 231, NR_openat = 257,
};
/* i386 numbers */
enum { NR32_read = 3, NR32_getpid = 20, NR32_socketcall = 102, NR32_exit_group = 252,
       NR32_socket = 359 };
#define X32_BIT 0x40000000

#define ALLOW SECCOMP_RET_ALLOW
#define ERRNO(e) (SECCOMP_RET_ERRNO | (e))

/* ---- the interpreter ---- */

/* Run the program on one system call.  Returns the action, or sets *why
   when the program does something a seccomp filter cannot.  */
static uint32_t
run (const struct sock_filter *p, size_t n, const struct seccomp_data *d, const char **why)
{
  uint32_t A = 0, X = 0, M[BPF_MEMWORDS] = { 0 };
  *why = NULL;
  for (size_t pc = 0, steps = 0; steps <= n; steps++, pc++)
    {
      if (pc >= n)
        return *why = "ran past the end", 0;
      const struct sock_filter *i = &p[pc];
      uint32_t k = i->k;
      switch (i->code)
        {
        case BPF_LD | BPF_W | BPF_ABS:
          if (k % 4 || k + 4 > sizeof *d)
            return *why = "load outside seccomp_data", 0;
          memcpy (&A, (const char *) d + k, 4);
          break;
        case BPF_LD | BPF_W | BPF_LEN:
          A = sizeof *d;
          break;
        case BPF_LD | BPF_IMM:
          A = k;
          break;
        case BPF_LDX | BPF_IMM:
          X = k;
          break;
        case BPF_LD | BPF_MEM:
          if (k >= BPF_MEMWORDS)
            return *why = "bad scratch slot", 0;
          A = M[k];
          break;
        case BPF_LDX | BPF_MEM:
          if (k >= BPF_MEMWORDS)
            return *why = "bad scratch slot", 0;
          X = M[k];
          break;
        case BPF_ST:
          if (k >= BPF_MEMWORDS)
            return *why = "bad scratch slot", 0;
          M[k] = A;
          break;
        case BPF_STX:
          if (k >= BPF_MEMWORDS)
            return *why = "bad scratch slot", 0;
          M[k] = X;
          break;
        case BPF_ALU | BPF_AND | BPF_K: A &= k; break;
        case BPF_ALU | BPF_OR | BPF_K: A |= k; break;
        case BPF_ALU | BPF_ADD | BPF_K: A += k; break;
        case BPF_ALU | BPF_SUB | BPF_K: A -= k; break;
        case BPF_ALU | BPF_RSH | BPF_K: A = k < 32 ? A >> k : 0; break;
        case BPF_ALU | BPF_LSH | BPF_K: A = k < 32 ? A << k : 0; break;
        case BPF_ALU | BPF_AND | BPF_X: A &= X; break;
        case BPF_ALU | BPF_NEG: A = -A; break;
        case BPF_MISC | BPF_TAX: X = A; break;
        case BPF_MISC | BPF_TXA: A = X; break;
        case BPF_JMP | BPF_JA:
          pc += k;
          break;
#define COND(op, val) pc += (A op (val)) ? i->jt : i->jf; break
        case BPF_JMP | BPF_JEQ | BPF_K: COND (==, k);
        case BPF_JMP | BPF_JGT | BPF_K: COND (>, k);
        case BPF_JMP | BPF_JGE | BPF_K: COND (>=, k);
        case BPF_JMP | BPF_JSET | BPF_K: pc += (A & k) ? i->jt : i->jf; break;
        case BPF_JMP | BPF_JEQ | BPF_X: COND (==, X);
        case BPF_JMP | BPF_JGT | BPF_X: COND (>, X);
        case BPF_JMP | BPF_JGE | BPF_X: COND (>=, X);
#undef COND
        case BPF_RET | BPF_K:
          return k;
        case BPF_RET | BPF_A:
          return A;
        default:
          return *why = "an instruction the interpreter does not know", 0;
        }
    }
  return *why = "did not stop", 0;
}

/* ---- profiles ---- */

struct filter
{
  struct moat_spec *spec;
  struct moat_bpf *bpf;
  char *error;
};

/* Parse a config whose linux.seccomp is `seccomp` and compile it.  */
static struct filter
compile (const char *seccomp)
{
  struct filter f = { NULL, NULL, NULL };
  char *json = xasprintf ("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"},"
                          " \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"},"
                          " \"linux\": {\"namespaces\": [{\"type\": \"mount\"}],"
                          " \"seccomp\": %s}}", seccomp);
  moat_error *err = NULL;
  f.spec = moat_spec_parse (json, strlen (json), &err);
  if (f.spec == NULL)
    f.error = xasprintf ("(parse) %s", err ? err->msg : "?");
  else if (!f.spec->has_seccomp)
    f.error = xstrdup ("(no seccomp)");
  else
    {
      f.bpf = moat_seccomp_compile (&f.spec->seccomp, &err);
      if (f.bpf == NULL)
        f.error = xstrdup (err ? err->msg : "(no message)");
    }
  moat_error_free (&err);
  free (json);
  return f;
}

static void
release (struct filter *f)
{
  moat_bpf_free (f->bpf);
  moat_spec_free (f->spec);
  free (f->error);
}

static uint32_t
call_arch (const struct filter *f, uint32_t arch, int nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
  if (f->bpf == NULL)
    return 0xdeadbeef;
  struct seccomp_data d = { .nr = nr, .arch = arch, .instruction_pointer = 0x401000,
                            .args = { a0, a1, a2, 0, 0, 0 } };
  const char *why;
  uint32_t r = run (f->bpf->insns, f->bpf->len, &d, &why);
  if (why)
    {
      printf ("# the filter failed on nr %d: %s\n", nr, why);
      return 0xdeadbeef;
    }
  return r;
}

static uint32_t
call (const struct filter *f, int nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
  return call_arch (f, AUDIT_ARCH_X86_64, nr, a0, a1, a2);
}

/* Every instruction reachable, jumps inside the program, and the program
   ends in a return: what the kernel's checker (sk_chk_filter) demands.  */
static const char *
shape (const struct filter *f)
{
  if (f->bpf == NULL)
    return "no program";
  const struct sock_filter *p = f->bpf->insns;
  size_t n = f->bpf->len;
  if (n == 0 || n > BPF_MAXINSNS)
    return "empty or too long";
  if (BPF_CLASS (p[n - 1].code) != BPF_RET)
    return "does not end in a return";
  for (size_t pc = 0; pc < n; pc++)
    if (BPF_CLASS (p[pc].code) == BPF_JMP)
      {
        size_t far = BPF_OP (p[pc].code) == BPF_JA ? p[pc].k
          : (p[pc].jt > p[pc].jf ? p[pc].jt : p[pc].jf);
        if (pc + 1 + far >= n)
          return "a jump out of the program";
      }
  return NULL;
}

#define ARCH "\"architectures\": [\"SCMP_ARCH_X86_64\"]"

/* libseccomp asks the running kernel what it supports (seccomp(2)):
   KILL_PROCESS and LOG need API level 3.  Valgrind does not know
   seccomp(2), so under it the level is 1.  */
static unsigned api;

static void
test_defaults (void)
{
  static const struct { const char *json; uint32_t action; const char *what; } d[] = {
    { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", " ARCH "}", ALLOW, "ALLOW" },
    { "{\"defaultAction\": \"SCMP_ACT_ERRNO\", " ARCH "}", ERRNO (EPERM), "ERRNO (EPERM by default)" },
    { "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38, " ARCH "}", ERRNO (ENOSYS),
      "ERRNO with defaultErrnoRet 38" },
    { "{\"defaultAction\": \"SCMP_ACT_KILL_PROCESS\", " ARCH "}", SECCOMP_RET_KILL_PROCESS,
      "KILL_PROCESS" },
    { "{\"defaultAction\": \"SCMP_ACT_KILL\", " ARCH "}", SECCOMP_RET_KILL_THREAD, "KILL" },
    { "{\"defaultAction\": \"SCMP_ACT_KILL_THREAD\", " ARCH "}", SECCOMP_RET_KILL_THREAD,
      "KILL_THREAD" },
    { "{\"defaultAction\": \"SCMP_ACT_LOG\", " ARCH "}", SECCOMP_RET_LOG, "LOG" },
    { "{\"defaultAction\": \"SCMP_ACT_TRAP\", " ARCH "}", SECCOMP_RET_TRAP, "TRAP" },
    { "{\"defaultAction\": \"SCMP_ACT_TRACE\", \"defaultErrnoRet\": 7, " ARCH "}",
      SECCOMP_RET_TRACE | 7, "TRACE" },
    { "{\"defaultAction\": \"SCMP_ACT_ALLOW\"}", ALLOW, "ALLOW without architectures" },
  };
  for (size_t i = 0; i < ARRAY_SIZE (d); i++)
    {
      if (api < 3 && (d[i].action == SECCOMP_RET_KILL_PROCESS || d[i].action == SECCOMP_RET_LOG))
        {
          for (int k = 0; k < 2; k++)
            printf ("ok %d # SKIP default %s: libseccomp API level %u here (needs 3)\n",
                    ++tap_n, d[i].what, api);
          continue;
        }
      struct filter f = compile (d[i].json);
      const char *bad = shape (&f);
      ok (f.bpf && bad == NULL && f.bpf->flags == 0,
          "default %s compiles to a well-formed program (%s)", d[i].what,
          f.error ? f.error : bad ? bad : "ok");
      ok (call (&f, NR_getpid, 0, 0, 0) == d[i].action && call (&f, NR_read, 0, 0, 0) == d[i].action
          && call (&f, NR_openat, 1, 2, 3) == d[i].action,
          "default %s applies to every call (getpid -> %#x)", d[i].what,
          call (&f, NR_getpid, 0, 0, 0));
      release (&f);
    }
}

static void
test_rules (void)
{
  /* below API level 3, KILL and TRACE stand in for KILL_PROCESS and LOG */
  bool new_api = api >= 3;
  if (!new_api)
    printf ("# libseccomp API level %u: KILL and TRACE instead of KILL_PROCESS and LOG\n", api);
  char *json = xasprintf ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", " ARCH ", \"syscalls\": ["
                          "{\"names\": [\"mkdir\", \"rmdir\", \"unlink\"], \"action\": \"SCMP_ACT_ERRNO\","
                          " \"errnoRet\": 13},"
                          "{\"names\": [\"kill\"], \"action\": \"%s\"},"
                          "{\"names\": [\"ioctl\"], \"action\": \"SCMP_ACT_TRAP\"},"
                          "{\"names\": [\"close\"], \"action\": \"%s\"},"
                          "{\"names\": [\"open\"], \"action\": \"SCMP_ACT_ERRNO\"}]}",
                          new_api ? "SCMP_ACT_KILL_PROCESS" : "SCMP_ACT_KILL",
                          new_api ? "SCMP_ACT_LOG" : "SCMP_ACT_TRACE");
  struct filter f = compile (json);
  free (json);
  uint32_t kill_action = new_api ? SECCOMP_RET_KILL_PROCESS : SECCOMP_RET_KILL_THREAD;
  uint32_t log_action = new_api ? SECCOMP_RET_LOG : SECCOMP_RET_TRACE | EPERM;
  ok (f.bpf && shape (&f) == NULL, "a profile with rules compiles (%s)", f.error ? f.error : "ok");
  ok (call (&f, NR_mkdir, 0, 0, 0) == ERRNO (EACCES) && call (&f, NR_rmdir, 0, 0, 0) == ERRNO (EACCES)
      && call (&f, NR_unlink, 0, 0, 0) == ERRNO (EACCES),
      "several names in one rule: mkdir, rmdir and unlink fail with EACCES");
  ok (call (&f, NR_kill, 1, 9, 0) == kill_action, "kill kills the process");
  ok (call (&f, NR_ioctl, 0, 0, 0) == SECCOMP_RET_TRAP, "ioctl traps");
  ok (call (&f, NR_close, 3, 0, 0) == log_action, "close is logged");
  ok (call (&f, NR_open, 0, 0, 0) == ERRNO (EPERM), "a rule's ERRNO without errnoRet is EPERM");
  ok (call (&f, NR_getpid, 0, 0, 0) == ALLOW && call (&f, NR_read, 0, 0, 0) == ALLOW
      && call (&f, NR_openat, 0, 0, 0) == ALLOW, "the other calls get the default");
  release (&f);

  /* an allowlist */
  f = compile ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", " ARCH ", \"syscalls\": ["
               "{\"names\": [\"read\", \"write\", \"exit_group\"], \"action\": \"SCMP_ACT_ALLOW\"}]}");
  ok (f.bpf && shape (&f) == NULL, "an allowlist compiles (%s)", f.error ? f.error : "ok");
  ok (call (&f, NR_read, 0, 0, 0) == ALLOW && call (&f, NR_write, 1, 0, 5) == ALLOW
      && call (&f, NR_exit_group, 0, 0, 0) == ALLOW, "allowlist: read, write and exit_group");
  int denied[] = { NR_open, NR_openat, NR_getpid, NR_mmap, NR_close, NR_clone, 400, 1023 };
  bool all = true;
  for (size_t i = 0; i < ARRAY_SIZE (denied); i++)
    all &= call (&f, denied[i], 0, 0, 0) == ERRNO (EPERM);
  ok (all, "allowlist: everything else (even unknown numbers) fails with EPERM");
  ok (call (&f, -1, 0, 0, 0) == ERRNO (EPERM), "allowlist: nr -1 fails too");
  release (&f);

  /* unknown names are skipped; a rule equal to the default too */
  f = compile ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", " ARCH ", \"syscalls\": ["
               "{\"names\": [\"no_such_syscall\", \"getpid\", \"another_bogus\"],"
               " \"action\": \"SCMP_ACT_ALLOW\"},"
               "{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\"},"
               "{\"names\": [\"write\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1,"
               " \"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]}");
  ok (f.bpf != NULL, "unknown syscall names and rules equal to the default compile (%s)",
      f.error ? f.error : "ok");
  ok (call (&f, NR_getpid, 0, 0, 0) == ALLOW, "the known name of a rule with unknown ones is used");
  ok (call (&f, NR_read, 0, 0, 0) == ERRNO (EPERM) && call (&f, NR_write, 1, 0, 0) == ERRNO (EPERM),
      "rules equal to the default change nothing");
  release (&f);
  f = compile ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", " ARCH ", \"syscalls\": ["
               "{\"names\": [\"no_such_syscall\"], \"action\": \"SCMP_ACT_KILL\"}]}");
  ok (f.bpf && call (&f, NR_getpid, 0, 0, 0) == ALLOW,
      "a rule with only unknown names is dropped (%s)", f.error ? f.error : "ok");
  release (&f);
  /* ERRNO with a different errno is not the default */
  f = compile ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", " ARCH ", \"syscalls\": ["
               "{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 5}]}");
  ok (f.bpf && call (&f, NR_read, 0, 0, 0) == ERRNO (EIO) && call (&f, NR_write, 0, 0, 0) == ERRNO (EPERM),
      "ERRNO(EIO) under a default ERRNO(EPERM) is kept (%s)", f.error ? f.error : "ok");
  release (&f);
}

static void
test_args (void)
{
  struct filter f = compile ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", " ARCH ", \"syscalls\": ["
                             "{\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\","
                             " \"args\": [{\"index\": 0, \"value\": 0, \"op\": \"SCMP_CMP_EQ\"}]},"
                             "{\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\","
                             " \"args\": [{\"index\": 0, \"value\": 8, \"op\": \"SCMP_CMP_EQ\"}]},"
                             "{\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\","
                             " \"args\": [{\"index\": 0, \"value\": 4294967295, \"op\": \"SCMP_CMP_EQ\"}]},"
                             "{\"names\": [\"clone\"], \"action\": \"SCMP_ACT_ALLOW\","
                             " \"args\": [{\"index\": 0, \"value\": 2114060288, \"valueTwo\": 0,"
                             " \"op\": \"SCMP_CMP_MASKED_EQ\"}]},"
                             "{\"names\": [\"kill\"], \"action\": \"SCMP_ACT_ALLOW\","
                             " \"args\": [{\"index\": 1, \"value\": 9, \"op\": \"SCMP_CMP_NE\"}]},"
                             "{\"names\": [\"mmap\"], \"action\": \"SCMP_ACT_ALLOW\","
                             " \"args\": [{\"index\": 1, \"value\": 4294967296, \"op\": \"SCMP_CMP_GE\"}]},"
                             "{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\","
                             " \"args\": [{\"index\": 2, \"value\": 100, \"op\": \"SCMP_CMP_LT\"}]},"
                             "{\"names\": [\"write\"], \"action\": \"SCMP_ACT_ALLOW\","
                             " \"args\": [{\"index\": 0, \"value\": 2, \"op\": \"SCMP_CMP_LE\"},"
                             " {\"index\": 2, \"value\": 10, \"op\": \"SCMP_CMP_GT\"}]}]}");
  ok (f.bpf && shape (&f) == NULL, "a profile with argument conditions compiles (%s)",
      f.error ? f.error : "ok");
  ok (call (&f, NR_personality, 0, 0, 0) == ALLOW && call (&f, NR_personality, 8, 0, 0) == ALLOW,
      "EQ: personality(0) and personality(8) are allowed (two rules, one name)");
  ok (call (&f, NR_personality, 0xffffffff, 0, 0) == ALLOW,
      "EQ: personality(0xffffffff) is allowed");
  ok (call (&f, NR_personality, 1, 0, 0) == ERRNO (EPERM)
      && call (&f, NR_personality, 0x100000000ULL, 0, 0) == ERRNO (EPERM)
      && call (&f, NR_personality, 0x1ffffffffULL, 0, 0) == ERRNO (EPERM),
      "EQ compares all 64 bits: 1, 2^32 and 2^33-1 are refused");
  ok (call (&f, NR_clone, 0x11 /* SIGCHLD|... */, 0, 0) == ALLOW
      && call (&f, NR_clone, 0x1200011, 0, 0) == ALLOW,
      "MASKED_EQ: clone without namespace flags is allowed");
  ok (call (&f, NR_clone, 0x10000000 /* CLONE_NEWUSER */, 0, 0) == ERRNO (EPERM)
      && call (&f, NR_clone, 0x20000000 | 0x11, 0, 0) == ERRNO (EPERM),
      "MASKED_EQ: clone with CLONE_NEWUSER or CLONE_NEWCGROUP is refused");
  ok (call (&f, NR_kill, 1, 15, 0) == ALLOW && call (&f, NR_kill, 1, 9, 0) == ERRNO (EPERM),
      "NE on the second argument: kill(pid, 15) allowed, kill(pid, 9) refused");
  ok (call (&f, NR_kill, 1, 9 | 0x100000000ULL, 0) == ALLOW, "NE compares the high word too");
  ok (call (&f, NR_mmap, 0, 0x100000000ULL, 0) == ALLOW && call (&f, NR_mmap, 0, 0x200000000ULL, 0) == ALLOW
      && call (&f, NR_mmap, 0, 0xffffffffULL, 0) == ERRNO (EPERM)
      && call (&f, NR_mmap, 0, 0, 0) == ERRNO (EPERM), "GE with a 64-bit value");
  ok (call (&f, NR_read, 0, 0, 99) == ALLOW && call (&f, NR_read, 0, 0, 100) == ERRNO (EPERM)
      && call (&f, NR_read, 0, 0, 0x100000000ULL) == ERRNO (EPERM), "LT");
  ok (call (&f, NR_write, 2, 0, 11) == ALLOW && call (&f, NR_write, 0, 0, 11) == ALLOW,
      "LE and GT together: write(<=2, _, >10) is allowed");
  ok (call (&f, NR_write, 3, 0, 11) == ERRNO (EPERM) && call (&f, NR_write, 2, 0, 10) == ERRNO (EPERM),
      "... and both conditions must hold");
  release (&f);

  /* two conditions on the same argument: libseccomp cannot require both */
  f = compile ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", " ARCH ", \"syscalls\": ["
               "{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\","
               " \"args\": [{\"index\": 0, \"value\": 5, \"op\": \"SCMP_CMP_GE\"},"
               " {\"index\": 0, \"value\": 10, \"op\": \"SCMP_CMP_LE\"}]}]}");
  ok (f.bpf == NULL && f.error && contains (f.error, "linux.seccomp.syscalls[0]")
      && contains (f.error, "would allow more than written"),
      "an allowing rule with two conditions on one argument is refused (%s)",
      f.error ? f.error : "compiled");
  release (&f);
  /* for a refusing rule either condition refuses, as runc does */
  f = compile ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", " ARCH ", \"syscalls\": ["
               "{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\","
               " \"args\": [{\"index\": 0, \"value\": 5, \"op\": \"SCMP_CMP_EQ\"},"
               " {\"index\": 0, \"value\": 10, \"op\": \"SCMP_CMP_EQ\"}]}]}");
  ok (f.bpf && call (&f, NR_read, 5, 0, 0) == ERRNO (EPERM)
      && call (&f, NR_read, 10, 0, 0) == ERRNO (EPERM) && call (&f, NR_read, 7, 0, 0) == ALLOW,
      "a refusing rule with two conditions on one argument refuses when either holds (%s)",
      f.error ? f.error : "ok");
  release (&f);
}

static void
test_arches (void)
{
  struct filter f = compile ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", " ARCH ", \"syscalls\": ["
                             "{\"names\": [\"read\", \"getpid\"], \"action\": \"SCMP_ACT_ALLOW\"}]}");
  ok (call (&f, NR_getpid, 0, 0, 0) == ALLOW, "x86_64 only: x86_64 getpid is allowed");
  uint32_t r = call_arch (&f, AUDIT_ARCH_I386, NR32_getpid, 0, 0, 0);
  ok (r == SECCOMP_RET_KILL_THREAD || r == SECCOMP_RET_KILL_PROCESS,
      "x86_64 only: an i386 call is killed (action %#x)", r);
  r = call_arch (&f, AUDIT_ARCH_I386, NR32_read, 0, 0, 0);
  ok (r == SECCOMP_RET_KILL_THREAD || r == SECCOMP_RET_KILL_PROCESS,
      "x86_64 only: even i386 read (%#x)", r);
  r = call_arch (&f, AUDIT_ARCH_AARCH64, 63, 0, 0, 0);
  ok (r == SECCOMP_RET_KILL_THREAD || r == SECCOMP_RET_KILL_PROCESS,
      "x86_64 only: an aarch64 call is killed (%#x)", r);
  r = call (&f, X32_BIT | NR_getpid, 0, 0, 0);
  ok (r != ALLOW, "x86_64 only: an x32 call (nr | 0x40000000) is not allowed (%#x)", r);
  release (&f);

  f = compile ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": [\"SCMP_ARCH_X86_64\","
               " \"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"], \"syscalls\": ["
               "{\"names\": [\"read\", \"getpid\"], \"action\": \"SCMP_ACT_ALLOW\"}]}");
  ok (f.bpf && shape (&f) == NULL, "x86_64, x86 and x32 compile (%s)", f.error ? f.error : "ok");
  ok (call_arch (&f, AUDIT_ARCH_I386, NR32_getpid, 0, 0, 0) == ALLOW
      && call_arch (&f, AUDIT_ARCH_I386, NR32_read, 0, 0, 0) == ALLOW,
      "with x86 listed: i386 getpid (20) and read (3) are allowed by name");
  ok (call_arch (&f, AUDIT_ARCH_I386, NR32_exit_group, 0, 0, 0) == ERRNO (EPERM)
      && call_arch (&f, AUDIT_ARCH_I386, NR_getpid, 0, 0, 0) == ERRNO (EPERM),
      "with x86 listed: other i386 calls (and 39, getpid's x86_64 number) get the default");
  ok (call (&f, X32_BIT | NR_getpid, 0, 0, 0) == ALLOW, "with x32 listed: x32 getpid is allowed");
  r = call_arch (&f, AUDIT_ARCH_AARCH64, 172, 0, 0, 0);
  ok (r == SECCOMP_RET_KILL_THREAD || r == SECCOMP_RET_KILL_PROCESS,
      "an architecture not listed is still killed (%#x)", r);
  release (&f);

  /* a profile that lists only a foreign architecture keeps the native one */
  f = compile ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": [\"SCMP_ARCH_AARCH64\"],"
               " \"syscalls\": [{\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_ALLOW\"}]}");
  ok (f.bpf != NULL, "a profile for aarch64 only compiles (%s)", f.error ? f.error : "ok");
  ok (call (&f, NR_getpid, 0, 0, 0) == ALLOW,
      "... and still filters the native x86_64 calls by name (getpid %#x)",
      call (&f, NR_getpid, 0, 0, 0));
  ok (call_arch (&f, AUDIT_ARCH_AARCH64, 172, 0, 0, 0) == ALLOW
      && call_arch (&f, AUDIT_ARCH_AARCH64, 63, 0, 0, 0) == ERRNO (EPERM),
      "... and aarch64's getpid (172) by its own number");
  release (&f);
}

static void
test_flags (void)
{
  static const struct { const char *flags; unsigned want; } t[] = {
    { "[]", 0 },
    { "[\"SECCOMP_FILTER_FLAG_TSYNC\"]", SECCOMP_FILTER_FLAG_TSYNC },
    { "[\"SECCOMP_FILTER_FLAG_LOG\"]", SECCOMP_FILTER_FLAG_LOG },
    { "[\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"]", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
    { "[\"SECCOMP_FILTER_FLAG_TSYNC\", \"SECCOMP_FILTER_FLAG_LOG\", \"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"]",
      SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW },
  };
  for (size_t i = 0; i < ARRAY_SIZE (t); i++)
    {
      char *json = xasprintf ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": %s}", t[i].flags);
      struct filter f = compile (json);
      ok (f.bpf && f.bpf->flags == t[i].want, "flags %s -> %#x (got %#x)", t[i].flags, t[i].want,
          f.bpf ? f.bpf->flags : 0);
      release (&f);
      free (json);
    }
  struct filter f = compile ("{\"defaultAction\": \"SCMP_ACT_ALLOW\","
                             " \"flags\": [\"SECCOMP_FILTER_FLAG_NEW_LISTENER\"]}");
  ok (f.bpf == NULL && contains (f.error, "linux.seccomp.flags[0]: unknown flag"),
      "an unknown flag is refused (%s)", f.error ? f.error : "accepted");
  release (&f);
  f = compile ("{\"defaultAction\": \"SCMP_ACT_NOTIFY\", \"listenerPath\": \"/a\"}");
  ok (f.bpf == NULL && contains (f.error, "cannot be the default action"),
      "SCMP_ACT_NOTIFY as the default action is refused (%s)", f.error ? f.error : "accepted");
  release (&f);
  f = compile ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"],"
               " \"action\": \"SCMP_ACT_NOTIFY\"}]}");
  ok (f.bpf == NULL && contains (f.error, "needs linux.seccomp.listenerPath"),
      "a rule with SCMP_ACT_NOTIFY needs a listenerPath (%s)", f.error ? f.error : "accepted");
  release (&f);
  f = compile ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", " ARCH ", \"listenerPath\": \"/a\","
               " \"syscalls\": [{\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}");
  ok (f.bpf && (f.bpf->flags & SECCOMP_FILTER_FLAG_NEW_LISTENER)
      && call (&f, NR_mkdir, 0, 0, 0) == SECCOMP_RET_USER_NOTIF,
      "a rule with SCMP_ACT_NOTIFY asks for a listener and notifies (%s)",
      f.error ? f.error : "compiled");
  release (&f);
}

/* The same syscall in two rules with different actions.  */
static void
test_conflicts (void)
{
  struct filter f = compile ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", " ARCH ", \"syscalls\": ["
                             "{\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 13},"
                             "{\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 30}]}");
  if (f.bpf)
    ok (call (&f, NR_mkdir, 0, 0, 0) == ERRNO (EACCES) || call (&f, NR_mkdir, 0, 0, 0) == ERRNO (EROFS),
        "the same syscall with two actions: one of them (%#x)", call (&f, NR_mkdir, 0, 0, 0));
  else
    ok (contains (f.error, "linux.seccomp.syscalls[1]: add `mkdir`"),
        "the same syscall with two actions is refused, naming the second rule (%s)", f.error);
  release (&f);
}

/* contrib/seccomp.json, built in (spec/seccomp-profile.c) */
extern const char moat_default_seccomp_json[];

/* The default profile's socket rules: AF_VSOCK refused for socket, on
   x86_64 and on i386 (its own socket call).  socketcall, i386's
   multiplexer, is allowed whole: its family is behind a pointer, and
   libseccomp makes the socket rules socketcall rules without it, which
   two actions on one call make conflict (docs/security.md, "Not yet").  */
static void
test_default_profile_sockets (void)
{
  struct filter f = compile (moat_default_seccomp_json);
  ok (f.bpf != NULL, "the default profile compiles (%s)", f.error ? f.error : "ok");
  ok (call (&f, SYS_socket, 2, 1, 0) == ALLOW, "x86_64 socket(AF_INET) allowed");
  ok (call (&f, SYS_socket, 40, 1, 0) == ERRNO (EAFNOSUPPORT),
      "x86_64 socket(AF_VSOCK): EAFNOSUPPORT");
  ok (call_arch (&f, AUDIT_ARCH_I386, NR32_socket, 40, 1, 0) == ERRNO (EAFNOSUPPORT),
      "i386 socket(AF_VSOCK): EAFNOSUPPORT");
  ok (call_arch (&f, AUDIT_ARCH_I386, NR32_socketcall, 3, 0, 0) == ALLOW,
      "i386 socketcall(SYS_CONNECT) allowed");
  release (&f);
}

int
main (void)
{
  api = seccomp_api_get ();
  test_defaults ();
  test_rules ();
  test_args ();
  test_arches ();
  test_flags ();
  test_conflicts ();
  test_default_profile_sockets ();
  return tap_done ();
}
