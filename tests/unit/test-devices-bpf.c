/* The device filter of cgroup v2 (libmoat/cgroup/devices.c): the eBPF
   program moat_cgroup_devices_program builds is run by a small
   interpreter of exactly the instructions the builder emits, over many
   requests, and its answers compared with the OCI semantics: the last
   matching rule decides, nothing matching is denied, and the devices every
   container needs (and mknod) are always allowed.  The program's shape is
   checked the way the verifier would: no unreachable instruction, every
   path ends in exit with r0 set, no register read before it is written.  */
#include <config.h>
#include "tap.h"
#include "libmoat/cgroup/cgroup.h"
#include "libmoat/spec/spec.h"
#include "libmoat/utils.h"
#include <linux/bpf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { CHR = BPF_DEVCG_DEV_CHAR, BLK = BPF_DEVCG_DEV_BLOCK };
enum { M = BPF_DEVCG_ACC_MKNOD, R = BPF_DEVCG_ACC_READ, W = BPF_DEVCG_ACC_WRITE };

/* ---- the interpreter ---- */

#define CTX_ADDR 0x10000000u  /* what r1 holds: the context */

/* Run the program on one request.  Returns 0 (deny) or 1 (allow), or -1
   with *why set when the program does something the builder should never
   emit or the verifier would refuse.  */
static int
run (const struct bpf_insn *p, size_t n, const struct bpf_cgroup_dev_ctx *ctx,
     const char **why)
{
  uint64_t r[11] = { 0 };
  unsigned init = 1u << 1 | 1u << 10;  /* r1 (ctx) and r10 (frame pointer) */
  r[1] = CTX_ADDR;
  bool ctx_reg[11] = { [1] = true };
  size_t pc = 0;
  for (size_t steps = 0; steps <= n; steps++)
    {
      if (pc >= n)
        return *why = "ran past the end", -1;
      const struct bpf_insn *i = &p[pc];
      unsigned d = i->dst_reg, s = i->src_reg;
      if (d > 10 || s > 10)
        return *why = "bad register", -1;
      uint8_t code = i->code;
#define NEED(reg) do { if (!(init & (1u << (reg)))) return *why = "read before write", -1; } while (0)
#define SET(reg, v) do { if ((reg) == 10) return *why = "writes r10", -1;              \
                         r[reg] = (v); init |= 1u << (reg); ctx_reg[reg] = false; } while (0)
      switch (code)
        {
        case BPF_ALU64 | BPF_MOV | BPF_X:
          NEED (s);
          SET (d, r[s]);
          ctx_reg[d] = ctx_reg[s];
          break;
        case BPF_ALU64 | BPF_MOV | BPF_K:
          SET (d, (uint64_t) (int64_t) i->imm);
          break;
        case BPF_ALU | BPF_MOV | BPF_X:
          NEED (s);
          if (ctx_reg[s])
            return *why = "32-bit copy of a pointer", -1;
          SET (d, (uint32_t) r[s]);
          break;
        case BPF_ALU | BPF_AND | BPF_K:
          NEED (d);
          if (ctx_reg[d])
            return *why = "arithmetic on a pointer", -1;
          SET (d, (uint32_t) r[d] & (uint32_t) i->imm);
          break;
        case BPF_ALU | BPF_RSH | BPF_K:
          NEED (d);
          if (ctx_reg[d] || i->imm < 0 || i->imm >= 32)
            return *why = "bad shift", -1;
          SET (d, (uint32_t) r[d] >> i->imm);
          break;
        case BPF_LDX | BPF_W | BPF_MEM:
          {
            NEED (s);
            if (!ctx_reg[s] || r[s] != CTX_ADDR)
              return *why = "load from something else than the context", -1;
            uint32_t v;
            if (i->off == 0)
              v = ctx->access_type;
            else if (i->off == 4)
              v = ctx->major;
            else if (i->off == 8)
              v = ctx->minor;
            else
              return *why = "load outside the context", -1;
            SET (d, v);
            break;
          }
        case BPF_JMP | BPF_JNE | BPF_K:
          NEED (d);
          if (ctx_reg[d])
            return *why = "compares a pointer", -1;
          if (i->off < 0)
            return *why = "backward jump", -1;
          /* 64-bit compare with the sign-extended immediate */
          if (r[d] != (uint64_t) (int64_t) i->imm)
            pc += i->off;
          break;
        case BPF_JMP32 | BPF_JNE | BPF_K:
          NEED (d);
          if (ctx_reg[d])
            return *why = "compares a pointer", -1;
          if (i->off < 0)
            return *why = "backward jump", -1;
          /* the low 32 bits against the immediate's */
          if ((uint32_t) r[d] != (uint32_t) i->imm)
            pc += i->off;
          break;
        case BPF_JMP | BPF_EXIT:
          NEED (0);
          if (r[0] > 1)
            return *why = "returns neither 0 nor 1", -1;
          return (int) r[0];
        default:
          return *why = "an instruction the interpreter does not know", -1;
        }
#undef NEED
#undef SET
      pc++;
    }
  return *why = "did not stop", -1;
}

/* ---- the reference: OCI semantics ---- */

static const struct moat_device_rule implicit[] = {
  { true, 'c', 1, 3, 7 }, { true, 'c', 1, 5, 7 }, { true, 'c', 1, 7, 7 },
  { true, 'c', 1, 8, 7 }, { true, 'c', 1, 9, 7 }, { true, 'c', 5, 0, 7 },
  { true, 'c', 5, 2, 7 }, { true, 'c', 136, -1, 7 },
  { true, 'c', -1, -1, MOAT_DEV_MKNOD }, { true, 'b', -1, -1, MOAT_DEV_MKNOD },
};

static unsigned
bpf_access (unsigned a)
{
  return (a & MOAT_DEV_MKNOD ? M : 0) | (a & MOAT_DEV_READ ? R : 0)
    | (a & MOAT_DEV_WRITE ? W : 0);
}

static bool
matches (const struct moat_device_rule *r, unsigned type, uint32_t major, uint32_t minor,
         unsigned access)
{
  if (r->type != 'a' && (r->type == 'b' ? BLK : CHR) != type)
    return false;
  if (r->major >= 0 && (uint32_t) r->major != major)
    return false;
  if (r->minor >= 0 && (uint32_t) r->minor != minor)
    return false;
  return (access & ~bpf_access (r->access)) == 0;
}

/* The configured rules, then the implicit ones; the last match decides.  */
static int
reference (const struct moat_device_rule *rules, size_t n, unsigned type, uint32_t major,
           uint32_t minor, unsigned access)
{
  for (size_t i = ARRAY_SIZE (implicit); i > 0; i--)
    if (matches (&implicit[i - 1], type, major, minor, access))
      return implicit[i - 1].allow;
  for (size_t i = n; i > 0; i--)
    if (matches (&rules[i - 1], type, major, minor, access))
      return rules[i - 1].allow;
  return 0;
}

/* ---- helpers ---- */

struct built
{
  struct bpf_insn *insns;
  size_t len;
};

static struct built
build (const struct moat_device_rule *rules, size_t n)
{
  struct built b;
  b.insns = moat_cgroup_devices_program (rules, n, &b.len);
  return b;
}

static int
ask (struct built b, unsigned type, uint32_t major, uint32_t minor, unsigned access)
{
  struct bpf_cgroup_dev_ctx ctx = { type | access << 16, major, minor };
  const char *why = NULL;
  int r = run (b.insns, b.len, &ctx, &why);
  if (r < 0)
    printf ("# the program failed on %c %u:%u %#x: %s\n", type == BLK ? 'b' : 'c', major,
            minor, access, why);
  return r;
}

/* The verifier's view: every instruction reachable, jumps inside the
   program and forward, the last instruction an exit, and every exit
   preceded by r0 = 0 or 1.  Returns NULL when the shape is fine.  */
static const char *
shape (struct built b)
{
  if (b.len == 0 || b.len > 4096)
    return "empty or too long";
  bool *reach = calloc (b.len, 1);
  reach[0] = true;
  const char *bad = NULL;
  for (size_t pc = 0; pc < b.len && !bad; pc++)
    {
      if (!reach[pc])
        {
          bad = "an unreachable instruction";
          break;
        }
      const struct bpf_insn *i = &b.insns[pc];
      if (i->code == (BPF_JMP | BPF_EXIT))
        {
          const struct bpf_insn *prev = pc ? &b.insns[pc - 1] : NULL;
          if (!prev || prev->code != (BPF_ALU64 | BPF_MOV | BPF_K) || prev->dst_reg != 0
              || (prev->imm != 0 && prev->imm != 1))
            bad = "an exit without r0 = 0 or 1 before it";
          continue;
        }
      if (pc + 1 >= b.len)
        {
          bad = "the last instruction falls through";
          break;
        }
      reach[pc + 1] = true;
      if (BPF_CLASS (i->code) == BPF_JMP || BPF_CLASS (i->code) == BPF_JMP32)
        {
          long t = (long) pc + 1 + i->off;
          if (i->off < 0 || t >= (long) b.len)
            bad = "a jump out of the program or backwards";
          else
            reach[t] = true;
        }
    }
  free (reach);
  return bad;
}

static const uint32_t majors[] = { 0, 1, 4, 5, 7, 8, 10, 136, 180, 254, 4095 };
static const uint32_t minors[] = { 0, 1, 2, 3, 5, 7, 8, 9, 200, 1048575 };

/* The program and the reference agree on every request of the grid.  */
static void
agree (const struct moat_device_rule *rules, size_t n, const char *what)
{
  struct built b = build (rules, n);
  const char *bad = shape (b);
  ok (bad == NULL, "%s: the program has the verifier's shape (%zu instructions%s%s)", what,
      b.len, bad ? ": " : "", bad ? bad : "");
  size_t asked = 0, wrong = 0;
  for (unsigned t = 0; t < 2; t++)
    for (size_t a = 0; a < ARRAY_SIZE (majors); a++)
      for (size_t i = 0; i < ARRAY_SIZE (minors); i++)
        for (unsigned acc = 1; acc <= 7; acc++)
          {
            unsigned type = t ? BLK : CHR;
            int want = reference (rules, n, type, majors[a], minors[i], acc);
            int got = ask (b, type, majors[a], minors[i], acc);
            asked++;
            if (got != want && wrong++ < 5)
              printf ("# %s: %c %u:%u access %#x: program %d, OCI %d\n", what,
                      t ? 'b' : 'c', majors[a], minors[i], acc, got, want);
          }
  ok (wrong == 0, "%s: the program agrees with the OCI semantics on %zu requests (%zu differ)",
      what, asked, wrong);
  free (b.insns);
}

#define RULES(...) ((const struct moat_device_rule[]) { __VA_ARGS__ })
#define N(...) (sizeof ((const struct moat_device_rule[]) { __VA_ARGS__ }) \
                / sizeof (struct moat_device_rule))
#define AGREE(what, ...) agree (RULES (__VA_ARGS__), N (__VA_ARGS__), what)

enum { RWM = MOAT_DEV_READ | MOAT_DEV_WRITE | MOAT_DEV_MKNOD };
enum { RW = MOAT_DEV_READ | MOAT_DEV_WRITE };

/* ---- tests ---- */

static void
test_implicit (void)
{
  struct built b = build (NULL, 0);
  const char *bad = shape (b);
  ok (bad == NULL, "no rules: the program has the verifier's shape (%s)", bad ? bad : "ok");
  static const struct { uint32_t ma, mi; const char *name; } std[] = {
    { 1, 3, "null" }, { 1, 5, "zero" }, { 1, 7, "full" }, { 1, 8, "random" },
    { 1, 9, "urandom" }, { 5, 0, "tty" }, { 5, 2, "ptmx" },
    { 136, 0, "pts/0" }, { 136, 77, "pts/77" },
  };
  for (size_t i = 0; i < ARRAY_SIZE (std); i++)
    ok (ask (b, CHR, std[i].ma, std[i].mi, R) == 1 && ask (b, CHR, std[i].ma, std[i].mi, W) == 1
        && ask (b, CHR, std[i].ma, std[i].mi, R | W) == 1
        && ask (b, CHR, std[i].ma, std[i].mi, R | W | M) == 1,
        "no rules: /dev/%s (c %u:%u) is allowed", std[i].name, std[i].ma, std[i].mi);
  ok (ask (b, BLK, 1, 3, R) == 0, "no rules: b 1:3 is not /dev/null");
  ok (ask (b, CHR, 1, 1, R) == 0 && ask (b, CHR, 10, 200, R | W) == 0
      && ask (b, CHR, 4, 0, W) == 0 && ask (b, BLK, 8, 0, R) == 0
      && ask (b, CHR, 5, 1, R | W) == 0,
      "no rules: /dev/mem, tun, tty0, sda and the host's console are denied");
  ok (ask (b, CHR, 10, 200, M) == 1 && ask (b, BLK, 8, 0, M) == 1 && ask (b, CHR, 1, 1, M) == 1,
      "no rules: mknod of any node is allowed");
  ok (ask (b, CHR, 10, 200, M | R) == 0, "no rules: mknod together with read is not");
  free (b.insns);
  agree (NULL, 0, "no rules");
}

static void
test_semantics (void)
{
  /* last match wins */
  const struct moat_device_rule allow_then_deny[] = {
    { true, 'c', 10, 200, RWM }, { false, 'c', 10, 200, RWM },
  };
  struct built b = build (allow_then_deny, 2);
  ok (ask (b, CHR, 10, 200, R) == 0, "allow then deny: the last rule (deny) wins");
  free (b.insns);
  const struct moat_device_rule deny_then_allow[] = {
    { false, 'c', 10, 200, RWM }, { true, 'c', 10, 200, RWM },
  };
  b = build (deny_then_allow, 2);
  ok (ask (b, CHR, 10, 200, R | W) == 1, "deny then allow: the last rule (allow) wins");
  ok (ask (b, CHR, 10, 201, R) == 0, "a neighbour minor matches nothing: denied");
  free (b.insns);

  /* a rule without type, major or minor matches everything */
  const struct moat_device_rule all[] = { { true, 'a', -1, -1, RWM } };
  b = build (all, 1);
  ok (ask (b, CHR, 10, 200, R | W) == 1 && ask (b, BLK, 8, 0, R | W | M) == 1
      && ask (b, CHR, 0, 0, W) == 1, "allow a *:* rwm allows everything");
  ok (shape (b) == NULL, "allow-all: no unreachable code");
  free (b.insns);

  /* access subsets */
  const struct moat_device_rule rw[] = { { true, 'c', 10, 200, RW } };
  b = build (rw, 1);
  ok (ask (b, CHR, 10, 200, R) == 1 && ask (b, CHR, 10, 200, W) == 1
      && ask (b, CHR, 10, 200, R | W) == 1, "a rw rule allows r, w and rw");
  ok (ask (b, CHR, 10, 200, R | W | M) == 0, "a rw rule does not allow rwm together");
  free (b.insns);
  const struct moat_device_rule r_only[] = { { true, 'b', 8, -1, MOAT_DEV_READ } };
  b = build (r_only, 1);
  ok (ask (b, BLK, 8, 0, R) == 1 && ask (b, BLK, 8, 16, R) == 1, "b 8:* r allows reading sd*");
  ok (ask (b, BLK, 8, 0, W) == 0 && ask (b, BLK, 8, 0, R | W) == 0,
      "b 8:* r does not allow writing");
  ok (ask (b, CHR, 8, 0, R) == 0, "b 8:* r does not match c 8:0");
  free (b.insns);
  /* a deny of a subset leaves the rest allowed */
  const struct moat_device_rule deny_w[] = {
    { true, 'c', 10, 200, RWM }, { false, 'c', 10, 200, MOAT_DEV_WRITE },
  };
  b = build (deny_w, 2);
  ok (ask (b, CHR, 10, 200, W) == 0, "allow rwm then deny w: w is denied");
  ok (ask (b, CHR, 10, 200, R) == 1, "allow rwm then deny w: r is still allowed");
  ok (ask (b, CHR, 10, 200, R | W) == 1,
      "allow rwm then deny w: rw is allowed (the deny w rule does not match a rw request)");
  free (b.insns);

  /* the implicit devices cannot be taken away */
  const struct moat_device_rule deny_null[] = { { false, 'c', 1, 3, RWM } };
  b = build (deny_null, 1);
  ok (ask (b, CHR, 1, 3, R | W) == 1, "a deny of /dev/null is overridden by the implicit rule");
  free (b.insns);
  const struct moat_device_rule deny_mknod[] = { { false, 'a', -1, -1, MOAT_DEV_MKNOD } };
  b = build (deny_mknod, 1);
  ok (ask (b, CHR, 10, 200, M) == 1 && ask (b, BLK, 8, 0, M) == 1,
      "a deny of mknod is overridden: mknod is always allowed");
  free (b.insns);

  /* type 'a' with a major */
  const struct moat_device_rule a_major[] = { { true, 'a', 7, -1, RW } };
  b = build (a_major, 1);
  ok (ask (b, CHR, 7, 3, R) == 1 && ask (b, BLK, 7, 3, R) == 1 && ask (b, BLK, 8, 3, R) == 0,
      "type a with major 7 matches c 7:* and b 7:*");
  free (b.insns);

  /* a rule with empty access matches no request */
  const struct moat_device_rule none[] = { { true, 'a', -1, -1, 0 } };
  b = build (none, 1);
  ok (ask (b, CHR, 10, 200, R) == 0, "a rule with empty access matches nothing");
  ok (shape (b) == NULL, "a rule with empty access is not unconditional");
  free (b.insns);

  /* rules from the spec, with OCI values beyond 2^31 */
  const struct moat_device_rule big[] = { { true, 'c', 2147483648LL, -1, RW },
                                          { true, 'c', 3, 4294967295LL, RW } };
  b = build (big, 2);
  ok (ask (b, CHR, 2147483648u, 0, R) == 1 && ask (b, CHR, 3, 4294967295u, R) == 1,
      "a rule with major 2^31 or minor 2^32-1 matches that number");
  free (b.insns);

  AGREE ("last wins", { true, 'c', 10, 200, RWM }, { false, 'c', 10, -1, RWM },
         { true, 'c', 10, 200, MOAT_DEV_READ });
  AGREE ("mixed", { true, 'b', 8, -1, MOAT_DEV_READ }, { false, 'a', 1, -1, RW },
         { true, 'c', -1, 9, RWM }, { false, 'c', 136, 5, MOAT_DEV_WRITE },
         { true, 'a', -1, -1, MOAT_DEV_WRITE | MOAT_DEV_MKNOD }, { false, 'b', 254, 0, RWM });
  AGREE ("type only", { true, 'c', -1, -1, MOAT_DEV_READ }, { false, 'b', -1, -1, RWM });
  AGREE ("minor only", { true, 'a', -1, 0, RWM }, { false, 'a', -1, 0, MOAT_DEV_MKNOD });
}

static void
test_unconditional (void)
{
  /* rules before an unconditional one are unreachable: not emitted */
  const struct moat_device_rule r[] = {
    { true, 'c', 10, 200, RWM }, { true, 'b', 8, 0, MOAT_DEV_READ },
    { false, 'a', -1, -1, RWM }, { true, 'c', 4, 0, RW },
  };
  struct built with = build (r, 4);
  struct built tail = build (r + 2, 2);
  const char *bad = shape (with);
  ok (bad == NULL, "rules before a deny-all leave no unreachable code (%s)", bad ? bad : "ok");
  ok (with.len == tail.len && memcmp (with.insns, tail.insns, with.len * sizeof *with.insns) == 0,
      "rules before a deny-all are not emitted (%zu instructions, %zu without them)", with.len,
      tail.len);
  ok (ask (with, CHR, 10, 200, R) == 0 && ask (with, CHR, 4, 0, R | W) == 1
      && ask (with, CHR, 4, 0, M | R) == 0, "only the deny-all and what follows it count");
  free (with.insns);
  free (tail.insns);

  const struct moat_device_rule allow_last[] = {
    { false, 'c', 10, 200, RWM }, { true, 'a', -1, -1, RWM },
  };
  struct built b = build (allow_last, 2);
  bad = shape (b);
  ok (bad == NULL, "an allow-all last: no unreachable code (%s)", bad ? bad : "ok");
  ok (ask (b, CHR, 10, 200, R) == 1, "an allow-all last allows what an earlier rule denied");
  free (b.insns);

  /* an unconditional rule needs all three accesses and no major or minor */
  static const struct moat_device_rule almost[][1] = {
    { { false, 'a', -1, -1, RW } }, { { false, 'c', -1, -1, RWM } },
    { { false, 'a', 1, -1, RWM } }, { { false, 'a', -1, 1, RWM } },
  };
  for (size_t i = 0; i < ARRAY_SIZE (almost); i++)
    {
      const struct moat_device_rule two[] = { { true, 'c', 10, 200, RWM }, almost[i][0] };
      b = build (two, 2);
      bad = shape (b);
      struct built one = build (two + 1, 1);
      ok (bad == NULL && b.len > one.len,
          "a deny that is not unconditional keeps the rules before it (case %zu)", i);
      free (b.insns);
      free (one.insns);
    }
  AGREE ("deny-all in the middle", { true, 'c', 10, 200, RWM }, { false, 'a', -1, -1, RWM },
         { true, 'c', 10, 229, RWM });
}

/* Rules as the engines write them, parsed from config.json.  */
static struct moat_spec *
spec_devices (const char *devices)
{
  char *json = xasprintf ("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"},"
                          " \"linux\": {\"namespaces\": [{\"type\": \"mount\"}],"
                          " \"resources\": {\"devices\": [%s]}}}", devices);
  moat_error *err = NULL;
  struct moat_spec *s = moat_spec_parse (json, strlen (json), &err);
  ok (s != NULL, "the device rules parse (%s)", err ? err->msg : "ok");
  moat_error_free (&err);
  free (json);
  return s;
}

static void
test_engines (void)
{
  /* podman: deny everything; the implicit devices and what it adds */
  struct moat_spec *s = spec_devices ("{\"allow\": false, \"access\": \"rwm\"},"
                                      " {\"allow\": true, \"type\": \"c\", \"major\": 10,"
                                      " \"minor\": 229, \"access\": \"rwm\"}");
  if (s)
    {
      struct built b = build (s->device_rules, s->n_device_rules);
      const char *bad = shape (b);
      ok (bad == NULL, "podman: the program has the verifier's shape (%s)", bad ? bad : "ok");
      ok (ask (b, CHR, 1, 3, R | W) == 1 && ask (b, CHR, 1, 9, R) == 1
          && ask (b, CHR, 5, 2, R | W) == 1 && ask (b, CHR, 136, 3, R | W) == 1,
          "podman: null, urandom, ptmx and pts are allowed");
      ok (ask (b, CHR, 10, 229, R | W) == 1, "podman: fuse (10:229) is allowed");
      ok (ask (b, CHR, 1, 1, R) == 0 && ask (b, BLK, 8, 0, R) == 0
          && ask (b, CHR, 10, 200, R | W) == 0, "podman: mem, sda and tun are denied");
      ok (ask (b, BLK, 8, 0, M) == 1, "podman: mknod is allowed");
      free (b.insns);
      agree (s->device_rules, s->n_device_rules, "podman");
      moat_spec_free (s);
    }

  /* containerd: deny all, then an explicit allow list */
  s = spec_devices ("{\"allow\": false, \"access\": \"rwm\"},"
                    " {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 3, \"access\": \"rwm\"},"
                    " {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 8, \"access\": \"rwm\"},"
                    " {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 7, \"access\": \"rwm\"},"
                    " {\"allow\": true, \"type\": \"c\", \"major\": 5, \"minor\": 0, \"access\": \"rwm\"},"
                    " {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 5, \"access\": \"rwm\"},"
                    " {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 9, \"access\": \"rwm\"},"
                    " {\"allow\": true, \"type\": \"c\", \"major\": 5, \"minor\": 1, \"access\": \"rwm\"},"
                    " {\"allow\": true, \"type\": \"c\", \"major\": 136, \"access\": \"rwm\"},"
                    " {\"allow\": true, \"type\": \"c\", \"major\": 5, \"minor\": 2, \"access\": \"rwm\"},"
                    " {\"allow\": true, \"type\": \"c\", \"major\": 10, \"minor\": 200, \"access\": \"rwm\"},"
                    " {\"allow\": true, \"type\": \"c\", \"access\": \"m\"},"
                    " {\"allow\": true, \"type\": \"b\", \"access\": \"m\"}");
  if (s)
    {
      struct built b = build (s->device_rules, s->n_device_rules);
      const char *bad = shape (b);
      ok (bad == NULL, "containerd: the program has the verifier's shape (%s)",
          bad ? bad : "ok");
      ok (ask (b, CHR, 10, 200, R | W) == 1, "containerd: tun (10:200) is allowed");
      ok (ask (b, CHR, 10, 229, R) == 0 && ask (b, BLK, 8, 0, R | W) == 0,
          "containerd: fuse and sda are denied");
      ok (ask (b, BLK, 7, 0, M) == 1 && ask (b, BLK, 7, 0, M | R) == 0,
          "containerd: mknod of a block device, but not reading it");
      free (b.insns);
      agree (s->device_rules, s->n_device_rules, "containerd");
      moat_spec_free (s);
    }

  /* defaults of the spec parser: no type is 'a', no access is rwm */
  s = spec_devices ("{\"allow\": true, \"major\": 10}");
  if (s)
    {
      ok (s->n_device_rules == 1 && s->device_rules[0].type == 'a'
          && s->device_rules[0].access == (unsigned) RWM && s->device_rules[0].minor == -1,
          "a rule without type, minor and access is a, *, rwm");
      struct built b = build (s->device_rules, s->n_device_rules);
      ok (ask (b, BLK, 10, 3, R | W | M) == 1 && ask (b, CHR, 11, 3, R) == 0,
          "allow major 10: any type, any minor, any access");
      free (b.insns);
      moat_spec_free (s);
    }
  s = spec_devices ("{\"allow\": true, \"access\": \"\"}");
  if (s)
    {
      struct built b = build (s->device_rules, s->n_device_rules);
      ok (ask (b, CHR, 10, 200, R) == 0,
          "a rule with \"access\": \"\" allows nothing (as runc)");
      free (b.insns);
      moat_spec_free (s);
    }
}

/* Many rules: offsets stay in range, the program stays consistent.  */
static void
test_many (void)
{
  size_t n = 500;
  struct moat_device_rule *r = xmalloc0 (n * sizeof *r);
  for (size_t i = 0; i < n; i++)
    r[i] = (struct moat_device_rule) { i % 3 != 0, i % 2 ? 'c' : 'b', (int64_t) (i % 11),
                                       i % 5 ? (int64_t) (i % 7) : -1,
                                       (unsigned) (i % 7) + 1 };
  agree (r, n, "500 rules");
  free (r);
}

int
main (void)
{
  test_implicit ();
  test_semantics ();
  test_unconditional ();
  test_engines ();
  test_many ();
  return tap_done ();
}
