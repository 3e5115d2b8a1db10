/* The device cgroup of cgroup v2: a BPF_PROG_TYPE_CGROUP_DEVICE program
   built from linux.resources.devices, attached to the container's cgroup
   before its init is born in it.

   OCI semantics: the last rule that matches a request decides; nothing
   matching is denied.  The program tests the rules from the last to the
   first and returns on the first match.  The devices every container
   needs (null, zero, full, random, urandom, tty, ptmx, pts), and mknod of
   any node, are always allowed, after the configured rules, as engines
   expect.  Not c 5:1, the host's console: a container's /dev/console is
   its terminal (a pts), and a node it makes with CAP_MKNOD must not open
   the host's.  */
#include <config.h>
#include "cgroup.h"
#include "../log.h"
#include "../utils.h"
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <linux/bpf.h>

static const struct moat_device_rule implicit_rules[] = {
  { true, 'c', 1, 3, 7 }, { true, 'c', 1, 5, 7 }, { true, 'c', 1, 7, 7 },
  { true, 'c', 1, 8, 7 }, { true, 'c', 1, 9, 7 }, { true, 'c', 5, 0, 7 },
  { true, 'c', 5, 2, 7 }, { true, 'c', 136, -1, 7 },
  /* making a node is harmless without the right to open it; the runtime
     itself makes linux.devices from inside the cgroup */
  { true, 'c', -1, -1, MOAT_DEV_MKNOD }, { true, 'b', -1, -1, MOAT_DEV_MKNOD },
};

struct prog
{
  struct bpf_insn *insns;
  size_t n, cap;
};

static void
emit (struct prog *p, struct bpf_insn i)
{
  if (p->n == p->cap)
    {
      p->cap = p->cap ? p->cap * 2 : 64;
      p->insns = xrealloc (p->insns, p->cap * sizeof *p->insns);
    }
  p->insns[p->n++] = i;
}

#define INSN(c, d, s, o, i) ((struct bpf_insn) { .code = (c), .dst_reg = (d), \
                                                 .src_reg = (s), .off = (o), .imm = (i) })

/* One rule: a block that falls through to the next rule when it does
   not match.  r2 = type, r3 = access, r4 = major, r5 = minor.  */
/* One rule: a block of L instructions that, on a mismatch, jumps past its
   own end to the next rule.  A jump at index i of the block skips the
   L - i - 1 instructions after it.  r2 = type, r3 = access, r4 = major,
   r5 = minor.  */
static bool
unconditional (const struct moat_device_rule *r)
{
  return r->type == 'a' && (r->access & 7) == 7 && r->major < 0 && r->minor < 0;
}

static void
emit_rule (struct prog *p, const struct moat_device_rule *r)
{
  bool check_type = r->type != 'a', check_access = (r->access & 7) != 7;
  int len = check_type + 3 * check_access + (r->major >= 0) + (r->minor >= 0) + 2;
  size_t start = p->n;
#define SKIP ((int) (len - (p->n - start) - 1))
  if (check_type)
    emit (p, INSN (BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, SKIP,
                   r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
  if (check_access)
    {
      unsigned acc = (r->access & MOAT_DEV_MKNOD ? BPF_DEVCG_ACC_MKNOD : 0)
        | (r->access & MOAT_DEV_READ ? BPF_DEVCG_ACC_READ : 0)
        | (r->access & MOAT_DEV_WRITE ? BPF_DEVCG_ACC_WRITE : 0);
      /* a match when the requested access is a subset of the rule's */
      emit (p, INSN (BPF_ALU | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0));
      emit (p, INSN (BPF_ALU | BPF_AND | BPF_K, BPF_REG_1, 0, 0, (int) ~acc));
      emit (p, INSN (BPF_JMP | BPF_JNE | BPF_K, BPF_REG_1, 0, SKIP, 0));
    }
  /* 32-bit compares: a major or minor of 2^31 or more would be a negative
     immediate, sign-extended in a 64-bit one */
  if (r->major >= 0)
    emit (p, INSN (BPF_JMP32 | BPF_JNE | BPF_K, BPF_REG_4, 0, SKIP, (int) r->major));
  if (r->minor >= 0)
    emit (p, INSN (BPF_JMP32 | BPF_JNE | BPF_K, BPF_REG_5, 0, SKIP, (int) r->minor));
#undef SKIP
  emit (p, INSN (BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, r->allow ? 1 : 0));
  emit (p, INSN (BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
}

static void
build (struct prog *p, const struct moat_device_rule *rules, size_t n)
{
  /* r6 = ctx; r2 = type (low 16 bits), r3 = access (high 16), r4/r5 = dev */
  emit (p, INSN (BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_1, 0, 0));
  emit (p, INSN (BPF_LDX | BPF_W | BPF_MEM, BPF_REG_2, BPF_REG_6, 0, 0));
  emit (p, INSN (BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff));
  emit (p, INSN (BPF_LDX | BPF_W | BPF_MEM, BPF_REG_3, BPF_REG_6, 0, 0));
  emit (p, INSN (BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16));
  emit (p, INSN (BPF_LDX | BPF_W | BPF_MEM, BPF_REG_4, BPF_REG_6, 4, 0));
  emit (p, INSN (BPF_LDX | BPF_W | BPF_MEM, BPF_REG_5, BPF_REG_6, 8, 0));
  for (size_t i = ARRAY_SIZE (implicit_rules); i > 0; i--)
    emit_rule (p, &implicit_rules[i - 1]);
  /* the verifier refuses unreachable code: stop after a rule that matches
     everything */
  for (size_t i = n; i > 0; i--)
    {
      emit_rule (p, &rules[i - 1]);
      if (unconditional (&rules[i - 1]))
        return;
    }
  emit (p, INSN (BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0));
  emit (p, INSN (BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
}

void *
moat_cgroup_devices_program (const struct moat_device_rule *rules, size_t n, size_t *len)
{
  struct prog p = { 0 };
  build (&p, rules, n);
  *len = p.n;
  return p.insns;
}

int
moat_cgroup_devices_attach (int cgroup_fd, const struct moat_device_rule *rules, size_t n,
                            moat_error **err)
{
  struct prog p = { 0 };
  build (&p, rules, n);
  char log[65536] = "";
  union bpf_attr load;
  memset (&load, 0, sizeof load);
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = (uintptr_t) p.insns;
  load.insn_cnt = p.n;
  load.license = (uintptr_t) "Apache-2.0";
  /* no verifier log on the hot path; ask for one only to explain a failure */
  int prog = syscall (SYS_bpf, BPF_PROG_LOAD, &load, sizeof load);
  int e = errno;
  if (prog < 0 && e != EPERM)
    {
      load.log_buf = (uintptr_t) log;
      load.log_size = sizeof log;
      load.log_level = 1;
      int again = syscall (SYS_bpf, BPF_PROG_LOAD, &load, sizeof load);
      if (again >= 0)
        prog = again;  /* it loaded after all: use it */
    }
  free (p.insns);
  /* the verifier's reason is its last line */
  size_t len = strlen (log);
  while (len > 0 && log[len - 1] == '\n')
    log[--len] = '\0';
  char *reason = strrchr (log, '\n');
  reason = reason ? reason + 1 : log;
  if (prog < 0)
    return moat_error_set (err, e, "linux.resources.devices: load the device filter%s%s",
                           reason[0] ? ": " : "", reason);
  union bpf_attr attach;
  memset (&attach, 0, sizeof attach);
  attach.target_fd = cgroup_fd;
  attach.attach_bpf_fd = prog;
  attach.attach_type = BPF_CGROUP_DEVICE;
  attach.attach_flags = BPF_F_ALLOW_MULTI;
  int r = syscall (SYS_bpf, BPF_PROG_ATTACH, &attach, sizeof attach);
  e = errno;
  close (prog);  /* the attachment keeps the program alive */
  if (r < 0)
    return moat_error_set (err, e, "linux.resources.devices: attach the device filter");
  return 0;
}
