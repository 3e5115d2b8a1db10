#include <config.h>
#include "cli.h"
#include "../libmoat/spec/spec.h"
#include "../libmoat/utils.h"
#include <fcntl.h>
#include <string.h>

static const char help[] =
  "Usage: moat update [OPTIONS] ID\n"
  "\n"
  "Change the resource limits of a created, running or paused container.\n"
  "Each limit is applied as create applies it, or nothing is.\n"
  "\n"
  "  -r, --resources FILE      a linux.resources object (\"-\": standard input);\n"
  "                            the options below override its members\n"
  "      --memory N            memory limit in bytes (k, m, g suffixes; -1: none)\n"
  "      --memory-reservation N  soft memory limit\n"
  "      --memory-swap N       memory plus swap limit\n"
  "      --cpu-share N         cpu shares (relative weight)\n"
  "      --cpu-period N        CFS period in microseconds\n"
  "      --cpu-quota N         CFS quota in microseconds per period (-1: none)\n"
  "      --cpu-burst N         CFS burst in microseconds\n"
  "      --cpu-rt-period N     real-time period in microseconds (cgroup v1)\n"
  "      --cpu-rt-runtime N    real-time runtime in microseconds (cgroup v1)\n"
  "      --cpuset-cpus LIST    CPUs allowed (0-3,6)\n"
  "      --cpuset-mems LIST    memory nodes allowed\n"
  "      --pids-limit N        maximum number of processes (-1: none)\n"
  "      --blkio-weight N      block I/O weight (10-1000)\n"
  "      --kernel-memory N, --kernel-memory-tcp N  ignored, with a warning\n"
  "  -h, --help                print this help\n";

enum
{
  O_MEMORY = 256, O_MEMORY_RESERVATION, O_MEMORY_SWAP, O_CPU_SHARE, O_CPU_PERIOD,
  O_CPU_QUOTA, O_CPU_BURST, O_CPU_RT_PERIOD, O_CPU_RT_RUNTIME, O_CPUSET_CPUS,
  O_CPUSET_MEMS, O_PIDS_LIMIT, O_BLKIO_WEIGHT, O_KERNEL_MEMORY, O_KERNEL_MEMORY_TCP,
  O_L3_CACHE, O_MEM_BW,
};

int
cmd_update (struct cli *c, int argc, char **argv)
{
  static const struct option longopts[] = {
    { "resources", required_argument, NULL, 'r' },
    { "memory", required_argument, NULL, O_MEMORY },
    { "memory-reservation", required_argument, NULL, O_MEMORY_RESERVATION },
    { "memory-swap", required_argument, NULL, O_MEMORY_SWAP },
    { "cpu-share", required_argument, NULL, O_CPU_SHARE },
    { "cpu-period", required_argument, NULL, O_CPU_PERIOD },
    { "cpu-quota", required_argument, NULL, O_CPU_QUOTA },
    { "cpu-burst", required_argument, NULL, O_CPU_BURST },
    { "cpu-rt-period", required_argument, NULL, O_CPU_RT_PERIOD },
    { "cpu-rt-runtime", required_argument, NULL, O_CPU_RT_RUNTIME },
    { "cpuset-cpus", required_argument, NULL, O_CPUSET_CPUS },
    { "cpuset-mems", required_argument, NULL, O_CPUSET_MEMS },
    { "pids-limit", required_argument, NULL, O_PIDS_LIMIT },
    { "blkio-weight", required_argument, NULL, O_BLKIO_WEIGHT },
    { "kernel-memory", required_argument, NULL, O_KERNEL_MEMORY },
    { "kernel-memory-tcp", required_argument, NULL, O_KERNEL_MEMORY_TCP },
    { "l3-cache-schema", required_argument, NULL, O_L3_CACHE },
    { "mem-bw-schema", required_argument, NULL, O_MEM_BW },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct moat_update_options o = { 0 };
  const char *resources = NULL;
  int opt;
  while ((opt = cli_getopt (c, argc, argv, "r:h", longopts, help)) != -1)
    switch (opt)
      {
      case 'r': resources = optarg; break;
      case O_MEMORY: o.memory = optarg; break;
      case O_MEMORY_RESERVATION: o.memory_reservation = optarg; break;
      case O_MEMORY_SWAP: o.memory_swap = optarg; break;
      case O_CPU_SHARE: o.cpu_shares = optarg; break;
      case O_CPU_PERIOD: o.cpu_period = optarg; break;
      case O_CPU_QUOTA: o.cpu_quota = optarg; break;
      case O_CPU_BURST: o.cpu_burst = optarg; break;
      case O_CPU_RT_PERIOD: o.cpu_rt_period = optarg; break;
      case O_CPU_RT_RUNTIME: o.cpu_rt_runtime = optarg; break;
      case O_CPUSET_CPUS: o.cpuset_cpus = optarg; break;
      case O_CPUSET_MEMS: o.cpuset_mems = optarg; break;
      case O_PIDS_LIMIT: o.pids_limit = optarg; break;
      case O_BLKIO_WEIGHT: o.blkio_weight = optarg; break;
      case O_KERNEL_MEMORY:
      case O_KERNEL_MEMORY_TCP:
        /* as runc: it counts in the memory limit on every kernel moat runs on */
        moat_warn ("update: --%s: the kernel no longer limits kernel memory apart (it "
                   "counts in --memory): ignored", opt == O_KERNEL_MEMORY ? "kernel-memory"
                   : "kernel-memory-tcp");
        break;
      case O_L3_CACHE:
      case O_MEM_BW:
        cli_failf ("update: --l3-cache-schema and --mem-bw-schema: Intel RDT is not "
                   "supported by this version of moat");
      }
  cli_positionals (c, argc, argv, 1, 1, "container id");
  o.id = argv[optind];
  moat_error *err = NULL;
  autofree char *text = NULL;
  if (resources)
    {
      const char *path = strcmp (resources, "-") == 0 ? "/dev/stdin" : resources;
      if (moat_read_file_at (AT_FDCWD, path, MOAT_MAX_CONFIG_SIZE, &text, &o.resources_len,
                             &err) < 0)
        {
          moat_error_prefix (&err, "update: --resources");
          cli_fail (err);
        }
      o.resources_json = text;
    }
  if (moat_update (&c->ctx, &o, &err) < 0)
    cli_fail (err);
  return 0;
}
