/**
 * Failover scenario 3's node killer: kills one node every few seconds, and at least `minKills`
 * times however fast the turns run.
 *
 * A killer on a timer alone raced the turns: on a loaded machine a RabbitMQ node took so long to
 * start again that the 200 turns ended after 2 kills, and the test failed for being slow. Here the
 * kills are tied to the turns: the k-th required kill is due once `(k + 1) * total / (minKills + 1)`
 * turns have started, and while a killed node is still starting, no turn past the next such mark
 * may start. The turns then always span the required kills, and each kill lands while turns stream.
 */
import type { TestClusterNode } from '../../helpers/test-cluster.js';
import { sleep } from './brokers.js';

export interface KillScheduleOptions {
  nodes: readonly TestClusterNode[];
  /** Turns the run starts in all. */
  totalTurns: number;
  /** Kills the turns must span. */
  minKills: number;
  /** Pause after a node is back before the next kill on the timer. */
  killEveryMs: number;
  /** How long a node stays dead. */
  downMs?: number;
  /** Between the turns reaching a mark and the kill: lets the turns just started stream. */
  midTurnMs?: number;
}

/** Runs the kills; `beforeTurn` goes to `runLoad`, `stop` ends the schedule after the last turn. */
export class KillSchedule {
  /** Names of the nodes killed, in order. */
  readonly kills: string[] = [];
  private turnsStarted = 0;
  private restarting = false;
  private running = true;
  private wake: (() => void) | undefined;
  private readonly changed = new Set<() => void>();
  private readonly loop: Promise<void>;

  constructor(private readonly options: KillScheduleOptions) {
    this.loop = this.run();
  }

  /** Holds turn `turnIndex` back while a killed node is starting and the next kill is due. */
  readonly beforeTurn = async (turnIndex: number): Promise<void> => {
    while (this.restarting && this.killDueAt(turnIndex)) await new Promise<void>((resolve) => this.changed.add(resolve));
    this.turnsStarted++;
    if (this.killDueAt(this.turnsStarted)) this.wake?.();
  };

  /** Ends the schedule; resolves once a node being killed or started is back. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** Whether the next required kill is due once `turns` turns have started. */
  private killDueAt(turns: number): boolean {
    const { minKills, totalTurns } = this.options;
    const k = this.kills.length;
    return k < minKills && turns >= ((k + 1) * totalTurns) / (minKills + 1);
  }

  private async run(): Promise<void> {
    const { nodes, killEveryMs, downMs = 500, midTurnMs = 400 } = this.options;
    while (this.running) {
      let timer: NodeJS.Timeout | undefined;
      const byMark = await new Promise<boolean>((resolve) => {
        this.wake = () => resolve(true);
        if (this.killDueAt(this.turnsStarted)) resolve(true);
        timer = setTimeout(() => resolve(false), killEveryMs);
      });
      clearTimeout(timer);
      this.wake = undefined;
      if (!this.running) break;
      if (byMark) await sleep(midTurnMs);
      const victim = nodes[this.kills.length % nodes.length];
      this.restarting = true;
      this.kills.push(victim.name);
      await victim.kill();
      await sleep(downMs);
      await victim.start();
      this.restarting = false;
      for (const resolve of this.changed) resolve();
      this.changed.clear();
    }
  }
}
