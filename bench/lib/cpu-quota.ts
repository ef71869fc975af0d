/**
 * A CPU quota for a group of processes (Linux CFS bandwidth control through cgroups): the
 * scale-out benchmark gives every broker node the same fraction of a core, so that N nodes on a
 * 2-core machine can be compared with one as if each had its own core.
 *
 * The period is short (10 ms) so that a throttled process waits at most a few ms, not the default
 * 100 ms period, which alone would break a 50 ms p99 budget.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const V1_ROOT = '/sys/fs/cgroup/cpu';
const V2_ROOT = '/sys/fs/cgroup';

/** Why CPU quotas cannot be set here, or undefined when they can. */
export function cpuQuotaUnavailable(): string | undefined {
  if (existsSync(join(V1_ROOT, 'cpu.cfs_quota_us'))) return undefined;
  if (existsSync(join(V2_ROOT, 'cgroup.controllers')) && readFileSync(join(V2_ROOT, 'cgroup.controllers'), 'utf8').split(/\s+/).includes('cpu')) return undefined;
  return 'no cgroup CPU controller (cgroup v1 /sys/fs/cgroup/cpu or v2 with the cpu controller) is mounted';
}

/** A cgroup whose processes share `fraction` of one core. */
export class CpuQuota {
  private readonly dir: string;
  private readonly v1: boolean;

  /** Creates the group; throws when cgroups are not writable (root is needed). */
  constructor(name: string, readonly fraction: number, periodUs = 10_000) {
    this.v1 = existsSync(join(V1_ROOT, 'cpu.cfs_quota_us'));
    this.dir = join(this.v1 ? V1_ROOT : V2_ROOT, name);
    mkdirSync(this.dir, { recursive: true });
    const quotaUs = Math.max(1_000, Math.round(periodUs * fraction));
    if (this.v1) {
      writeFileSync(join(this.dir, 'cpu.cfs_period_us'), String(periodUs));
      writeFileSync(join(this.dir, 'cpu.cfs_quota_us'), String(quotaUs));
    } else {
      writeFileSync(join(this.dir, 'cpu.max'), `${quotaUs} ${periodUs}`);
    }
  }

  /** Moves a process, every thread of it, into the group. */
  add(pid: number): void {
    writeFileSync(join(this.dir, 'cgroup.procs'), String(pid));
  }

  /** Times the group was throttled so far (CFS `nr_throttled`). */
  throttledPeriods(): number {
    const stat = readFileSync(join(this.dir, 'cpu.stat'), 'utf8');
    return Number(/nr_throttled (\d+)/.exec(stat)?.[1] ?? Number.NaN);
  }

  /** Moves any process left back to the root group and removes the group. */
  remove(): void {
    try {
      const procs = readFileSync(join(this.dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);
      for (const pid of procs) writeFileSync(join(this.dir, '..', 'cgroup.procs'), pid);
      rmdirSync(this.dir);
    } catch {
      // already gone, or a process exited as it was moved: nothing is left to clean up
    }
  }
}
