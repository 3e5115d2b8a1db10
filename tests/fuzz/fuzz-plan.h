/* The pieces of the plan that need no root, run on a parsed config by
   the config, seccomp and resources targets, each with the invariants
   its header promises.  */
#ifndef MOAT_FUZZ_PLAN_H
#define MOAT_FUZZ_PLAN_H

#include "fuzz-common.h"
#include "fuzz-bundle.h"
#include "libmoat/plan/plan.h"
#include "libmoat/cgroup/cgroup.h"
#include <linux/bpf.h>
#include <linux/filter.h>
#include <sys/mount.h>

/* moat as root on the host, and moat without privileges in a user
   namespace with an empty bounding set.  */
static const struct moat_host fuzz_host_root = {
  .euid = 0, .initial_userns = true, .last_cap = 40, .own_bounding = (1ULL << 41) - 1,
};
static const struct moat_host fuzz_host_rootless = {
  .euid = 1000, .initial_userns = false, .last_cap = 40,
  .own_bounding = (1ULL << 0) | (1ULL << 5) | (1ULL << 21),
};

static void
fuzz_capsets (const struct moat_caps *names, const struct moat_host *h)
{
  moat_error *err = NULL;
  struct moat_capsets c;
  int r = moat_capsets_build (names, h, &c, &err);
  fuzz_check_result (r < 0, err, "moat_capsets_build");
  if (r == 0)
    {
      uint64_t all = h->own_bounding & ((h->last_cap >= 63 ? 0 : 2ULL << h->last_cap) - 1);
      fuzz_check (((c.bounding | c.effective | c.inheritable | c.permitted | c.ambient)
                   & ~all) == 0, "a capability moat cannot grant is in a set");
      fuzz_check ((c.effective & ~c.permitted) == 0, "effective not within permitted");
      fuzz_check ((c.inheritable & ~c.bounding) == 0, "inheritable not within bounding");
      fuzz_check ((c.ambient & ~(c.permitted & c.inheritable)) == 0,
                  "ambient not within permitted and inheritable");
    }
  moat_error_free (&err);
}

static void
fuzz_mount_opts (char *const *options)
{
  moat_error *err = NULL;
  struct moat_mount_opts o;
  int r = moat_mount_opts_parse (options, &o, &err);
  fuzz_check_result (r < 0, err, "moat_mount_opts_parse");
  if (r == 0)
    {
      fuzz_check ((o.flags & o.clear) == 0, "a flag both set and cleared");
      fuzz_check ((o.rflags & o.rclear) == 0, "a recursive flag both set and cleared");
      fuzz_check (!o.rbind || o.bind, "rbind without bind");
      fuzz_check (!o.ridmap || o.idmap, "ridmap without idmap");
      fuzz_check (o.unknown == NULL || (o.data && strstr (o.data, o.unknown)),
                  "the unknown option is not in the data");
      fuzz_check (o.unknown == NULL || strchr (o.unknown, '=') == NULL,
                  "a key=value option reported as unknown");
      unsigned long p = o.propagation & ~MS_REC;
      fuzz_check (o.propagation == 0 || p == MS_PRIVATE || p == MS_SHARED
                  || p == MS_SLAVE || p == MS_UNBINDABLE, "propagation %#lx",
                  o.propagation);
      moat_mount_opts_clear (&o);
    }
  moat_error_free (&err);
}

static void
fuzz_mount_plans (const struct moat_spec *s)
{
  moat_error *err = NULL;
  struct moat_mount_plan *p = NULL;
  int r = moat_mount_plans_build (s, fuzz_bundle_make (), &p, &err);
  fuzz_check_result (r < 0, err, "moat_mount_plans_build");
  if (r == 0)
    {
      for (size_t i = 0; i < s->n_mounts; i++)
        {
          fuzz_check (p[i].m == &s->mounts[i], "plan %zu is not of mount %zu", i, i);
          fuzz_check (p[i].bind == (p[i].fstype == NULL),
                      "mounts[%zu]: a bind with a type, or neither", i);
          fuzz_check (!p[i].bind || (p[i].source && p[i].source[0] == '/'),
                      "mounts[%zu]: a bind without an absolute source", i);
          fuzz_check (p[i].bind || (p[i].o.rflags == 0 && p[i].o.rclear == 0),
                      "mounts[%zu]: recursive flags on a new filesystem", i);
          fuzz_check (!p[i].o.idmap || p[i].bind, "mounts[%zu]: idmap not on a bind", i);
        }
      moat_mount_plans_free (p, s->n_mounts);
    }
  moat_error_free (&err);
}

static void
fuzz_sysctls (const struct moat_spec *s)
{
  for (size_t i = 0; i < s->n_sysctl; i++)
    {
      moat_error *err = NULL;
      char *path = NULL;
      int ns = moat_sysctl_check (s->sysctl[i].key, &path, &err);
      fuzz_check_result (ns < 0, err, "moat_sysctl_check");
      /* the parser accepted it: it must be one moat may set */
      fuzz_check (ns == MOAT_NS_IPC || ns == MOAT_NS_NET || ns == MOAT_NS_UTS,
                  "sysctl `%s` accepted by the parser, refused by the plan (%s)",
                  s->sysctl[i].key, err ? err->msg : "");
      /* under /proc/sys, never out of it: no ".." component */
      bool dotdot = false;
      for (const char *c = path ? path : ""; (c = strstr (c, "/..")) != NULL; c += 3)
        dotdot |= c[3] == '/' || c[3] == '\0';
      fuzz_check (path && strncmp (path, "/proc/sys/", 10) == 0 && !dotdot,
                  "sysctl `%s` gives the path `%s`", s->sysctl[i].key, path);
      free (path);
      moat_error_free (&err);
    }
}

static void
fuzz_seccomp (const struct moat_seccomp *k)
{
  moat_error *err = NULL;
  struct moat_bpf *b = moat_seccomp_compile (k, &err);
  fuzz_check_result (b == NULL, err, "moat_seccomp_compile");
  if (b)
    {
      fuzz_check (b->insns && b->len > 0 && b->len <= BPF_MAXINSNS, "a program of %u "
                  "instructions", b->len);
      moat_bpf_free (b);
    }
  moat_error_free (&err);
}

static void
fuzz_process_plan (const struct moat_spec *s, bool new_userns)
{
  moat_error *err = NULL;
  struct moat_process_plan pp;
  int r = moat_process_plan_build (s, NULL, new_userns ? s : NULL, &fuzz_host_root, 3,
                                   &pp, &err);
  fuzz_check_result (r < 0, err, "moat_process_plan_build");
  if (r == 0)
    moat_process_plan_clear (&pp);
  moat_error_free (&err);
}

/* ---- the device cgroup program ---- */

/* A tiny interpreter for the instructions moat_cgroup_devices_program
   emits (mov, and, rsh, ldx word, jne imm in 64 and 32 bits, exit) over
   the context
   struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }.
   -1: an instruction it does not know, or a jump out of the program.  */
static int
fuzz_run_devices_program (const struct bpf_insn *p, size_t n, uint32_t access_type,
                          uint32_t major, uint32_t minor)
{
  uint32_t ctx[3] = { access_type, major, minor };
  uint64_t r[11] = { 0 };
  size_t pc = 0;
  for (size_t steps = 0; pc < n && steps <= n; steps++)
    {
      const struct bpf_insn *i = &p[pc];
      uint64_t imm = (uint64_t) (int64_t) i->imm;  /* sign-extended, as the kernel */
      switch (i->code)
        {
        case BPF_ALU64 | BPF_MOV | BPF_X: r[i->dst_reg] = r[i->src_reg]; break;
        case BPF_ALU64 | BPF_MOV | BPF_K: r[i->dst_reg] = imm; break;
        case BPF_ALU | BPF_MOV | BPF_X: r[i->dst_reg] = (uint32_t) r[i->src_reg]; break;
        case BPF_ALU | BPF_AND | BPF_K:
          r[i->dst_reg] = (uint32_t) (r[i->dst_reg] & (uint32_t) i->imm); break;
        case BPF_ALU | BPF_RSH | BPF_K:
          r[i->dst_reg] = (uint32_t) r[i->dst_reg] >> (i->imm & 31); break;
        case BPF_LDX | BPF_W | BPF_MEM:
          /* r6 holds the context (r6 = r1 comes first) */
          if (i->src_reg != BPF_REG_6 || i->off < 0 || i->off > 8 || i->off % 4)
            return -1;
          r[i->dst_reg] = ctx[i->off / 4];
          break;
        case BPF_JMP | BPF_JNE | BPF_K:
        case BPF_JMP32 | BPF_JNE | BPF_K:
          if (BPF_CLASS (i->code) == BPF_JMP32 ? (uint32_t) r[i->dst_reg] != (uint32_t) imm
              : r[i->dst_reg] != imm)
            {
              if (i->off < 0 || pc + 1 + i->off >= n)
                return -1;
              pc += i->off;
            }
          break;
        case BPF_JMP | BPF_EXIT:
          return (int) r[0];
        default:
          return -1;
        }
      pc++;
    }
  return -1;
}

static bool
fuzz_rule_matches (const struct moat_device_rule *r, char type, unsigned access,
                   uint32_t major, uint32_t minor)
{
  return (r->type == 'a' || r->type == type) && (access & ~r->access) == 0
    && (r->major < 0 || r->major == major) && (r->minor < 0 || r->minor == minor);
}

/* OCI semantics: the last matching rule decides, nothing matching is
   denied; the implicit rules come after the configured ones.  */
static int
fuzz_devices_expected (const struct moat_device_rule *rules, size_t n, char type,
                       unsigned access, uint32_t major, uint32_t minor)
{
  static const struct moat_device_rule implicit[] = {
    { true, 'c', 1, 3, 7 }, { true, 'c', 1, 5, 7 }, { true, 'c', 1, 7, 7 },
    { true, 'c', 1, 8, 7 }, { true, 'c', 1, 9, 7 }, { true, 'c', 5, 0, 7 },
    { true, 'c', 5, 2, 7 }, { true, 'c', 136, -1, 7 },
    { true, 'c', -1, -1, MOAT_DEV_MKNOD }, { true, 'b', -1, -1, MOAT_DEV_MKNOD },
  };
  for (size_t i = sizeof implicit / sizeof implicit[0]; i > 0; i--)
    if (fuzz_rule_matches (&implicit[i - 1], type, access, major, minor))
      return implicit[i - 1].allow;
  for (size_t i = n; i > 0; i--)
    if (fuzz_rule_matches (&rules[i - 1], type, access, major, minor))
      return rules[i - 1].allow;
  return 0;
}

/* Build the program for the rules and check it against the rules on
   requests made from the rules' own numbers (any 32-bit value: the
   kernel's ctx fields are u32, whatever the numbers of real devices).  */
static void
fuzz_devices (const struct moat_device_rule *rules, size_t n)
{
  size_t len = 0;
  struct bpf_insn *p = moat_cgroup_devices_program (rules, n, &len);
  fuzz_check (p != NULL && len > 0, "no program");
  fuzz_check (p[len - 1].code == (BPF_JMP | BPF_EXIT), "the program does not end "
              "with exit");
  for (size_t i = 0; i < len; i++)
    if ((BPF_CLASS (p[i].code) == BPF_JMP || BPF_CLASS (p[i].code) == BPF_JMP32)
        && BPF_OP (p[i].code) != BPF_EXIT)
      fuzz_check (p[i].off >= 0 && i + 1 + p[i].off < len, "insn %zu jumps to %zu of "
                  "%zu", i, i + 1 + p[i].off, len);
  static const unsigned accesses[] = { MOAT_DEV_READ, MOAT_DEV_WRITE, MOAT_DEV_MKNOD,
                                       MOAT_DEV_READ | MOAT_DEV_WRITE };
  for (size_t i = 0; i <= n && i < 8; i++)
    {
      uint32_t major = 1, minor = 3;
      if (i < n)
        {
          major = rules[i].major >= 0 ? (uint32_t) rules[i].major : 7;
          minor = rules[i].minor >= 0 ? (uint32_t) rules[i].minor : 9;
        }
      for (int t = 0; t < 2; t++)
        for (size_t a = 0; a < sizeof accesses / sizeof accesses[0]; a++)
          {
            char type = t ? 'b' : 'c';
            unsigned acc = accesses[a];
            uint32_t access_type = (t ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR)
              | ((acc & MOAT_DEV_MKNOD ? BPF_DEVCG_ACC_MKNOD : 0)
                 | (acc & MOAT_DEV_READ ? BPF_DEVCG_ACC_READ : 0)
                 | (acc & MOAT_DEV_WRITE ? BPF_DEVCG_ACC_WRITE : 0)) << 16;
            int got = fuzz_run_devices_program (p, len, access_type, major, minor);
            int want = fuzz_devices_expected (rules, n, type, acc, major, minor);
            fuzz_check (got == want, "device %c %u:%u access %u: the program says %d, "
                        "the rules %d", type, major, minor, acc, got, want);
          }
    }
  free (p);
}

/* Everything above, on a config the parser accepted.  */
static void
fuzz_plan_pieces (const struct moat_spec *s)
{
  fuzz_check (s->root_path && s->root_path[0], "accepted without root.path");
  fuzz_check (s->ns[MOAT_NS_MNT].present, "accepted without a mount namespace");
  for (size_t i = 0; i < s->n_mounts; i++)
    fuzz_check (s->mounts[i].destination && s->mounts[i].destination[0] == '/',
                "mounts[%zu]: accepted without an absolute destination", i);
  if (s->has_process)
    {
      fuzz_check (s->args && s->args[0] && s->args[0][0], "accepted without args");
      fuzz_check (s->cwd && s->cwd[0] == '/', "accepted without an absolute cwd");
    }
  for (size_t i = 0; i < s->n_mounts; i++)
    fuzz_mount_opts (s->mounts[i].options);
  fuzz_mount_plans (s);
  fuzz_sysctls (s);
  fuzz_capsets (&s->caps, &fuzz_host_root);
  fuzz_capsets (&s->caps, &fuzz_host_rootless);
  bool new_userns = s->ns[MOAT_NS_USER].present && s->ns[MOAT_NS_USER].path == NULL;
  if (s->has_process)
    fuzz_process_plan (s, new_userns);
  if (s->has_seccomp)
    fuzz_seccomp (&s->seccomp);
  fuzz_devices (s->device_rules, s->n_device_rules);
}

#endif
