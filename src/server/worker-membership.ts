/**
 * Who else serves this worker group. Each worker heartbeats a presence record (retained where the
 * broker keeps it) and clears it on close, or through its last will when it dies; a key (a chat)
 * is owned by the live member with the highest rendezvous hash of it. On brokers without shared
 * subscriptions that is how exactly one worker takes each chat; with shared subscriptions it is
 * where every copy of a request is sent, so copies are dropped once. Presence is also what tells a
 * crashed worker's running turns from live ones (the sweep).
 *
 * Two rules keep two workers from both believing they own a chat:
 * - Every record names its connection (the incarnation, see `presence-record.ts`): the will of a
 *   connection that already ended, published late by a cluster after the worker moved to another
 *   node, is stale and clears nothing.
 * - A worker joins (on start and after every reconnect) by asking "who is there": it takes no
 *   request until its own question came back through the broker (from then on every member has
 *   heard of it before any request it receives) and every member it believed present has answered
 *   it or is gone. Requests that arrive before the question came back are dropped (other members
 *   may have decided them without this worker; the client re-sends what nobody acknowledges);
 *   requests that arrive while answers are awaited wait for them. Where the broker shows no
 *   retained records to a wildcard subscription (RabbitMQ), a member it never heard of can only
 *   show itself by answering or by its periodic heartbeat, so joining also listens one presence
 *   interval there.
 */
import { randomId } from '../transport/ids.js';
import { publishAsync, type MqttClientLike } from '../transport/mqtt-client.js';
import type { TopicScheme } from '../transport/topics.js';
import { MessageDispatcher, type Route } from './message-dispatcher.js';
import { decodePresence, encodePresence, type PresenceRecord } from './presence-record.js';

/** The worker group members join unless told otherwise (workers and HTTP triggers must agree on it). */
export const DEFAULT_WORKER_GROUP = 'chat-workers';
/** Ms between presence heartbeats; a member silent for three of them is taken for gone. */
export const DEFAULT_PRESENCE_INTERVAL_MS = 5_000;

/** Work held while joining, at most: a flood during the wait is dropped (and re-sent by its clients), not buffered. */
const MAX_HELD = 10_000;

/** What {@link WorkerMembership.admit} did with a piece of work. */
export type Admission = 'run' | 'held' | 'dropped';

/** Counters of a membership. */
export interface MembershipStats {
  /** Presence records of a connection known to have ended (late wills, old retained records): ignored. */
  staleRecords: number;
  /** Presence payloads that are not presence records: dropped. */
  malformedRecords: number;
  /** Work dropped because it arrived before this worker's join question came back (or past the held limit). */
  droppedWhileJoining: number;
  /** Times this worker completed joining (start and every reconnect). */
  joins: number;
}

interface Member {
  incarnation: number;
  present: boolean;
  lastSeen: number;
  /** Runs turns but takes no chats (an HTTP trigger): never an owner, never awaited when joining. */
  runner: boolean;
}

/** A member that takes chats (`worker`), or one that only runs the turns it was handed (`runner`, the HTTP trigger). */
export type MemberRole = 'worker' | 'runner';

/** The last will a worker connection must carry: its presence record says that connection ended. */
export function presenceWill(topics: TopicScheme, group: string, workerId: string, incarnation: number): { topic: string; payload: string; qos: 1; retain: true } {
  return { topic: topics.workerPresenceTopic(group, workerId), payload: encodePresence({ state: 'gone', incarnation }), qos: 1, retain: true };
}

/** A fresh incarnation, larger than `previous`: time-based so a restarted process also counts up. */
export function nextIncarnation(previous = 0): number {
  return Math.max(Date.now(), previous + 1);
}

export class WorkerMembership {
  readonly stats: MembershipStats = { staleRecords: 0, malformedRecords: 0, droppedWhileJoining: 0, joins: 0 };
  private readonly known = new Map<string, Member>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly filterPrefix: string;
  private readonly presenceTopic: string;
  private route: Route | null = null;
  private stopReconnect: (() => void) | null = null;
  private readonly tickListeners = new Set<() => void>();
  private incarnation: number;
  private stopped = false;
  /** `asking`: the join question is out, not back yet; `awaiting`: answers are awaited; `joined`. */
  private phase: 'asking' | 'awaiting' | 'joined' = 'asking';
  private join: { nonce: string; awaiting: Set<string>; listened: boolean; timer?: ReturnType<typeof setTimeout> } | null = null;
  private held: Array<() => void> = [];
  /** Whether a wildcard subscription shows retained records (decided when first joining). */
  private retainedVisible: boolean | undefined;
  private sawOwnRetained = false;
  private joined: () => void = () => undefined;
  private readonly firstJoin = new Promise<void>((resolve) => (this.joined = resolve));

  constructor(
    private readonly client: MqttClientLike,
    private readonly topics: TopicScheme,
    private readonly group: string,
    readonly workerId: string,
    private readonly intervalMs: number,
    /** The incarnation of the client's current connection (the one its will names). Default: a fresh one. */
    incarnation: number = nextIncarnation(),
    /** `runner`: present (its running turns are not swept) but never the owner of a chat. */
    private readonly role: MemberRole = 'worker',
  ) {
    this.filterPrefix = topics.workerPresenceFilter(group).slice(0, -1);
    this.presenceTopic = topics.workerPresenceTopic(group, workerId);
    this.incarnation = incarnation;
    // From the start: a connection that drops before `start()` must not leave its will naming the next one.
    client.on('close', this.onClose);
  }

  /** Joins the group; resolves once joined (see the file comment), so requests can be taken. */
  async start(): Promise<void> {
    const dispatcher = MessageDispatcher.for(this.client);
    if (!this.client.connected) await connected(this.client);
    // Our own retained record first: whether it comes back through the wildcard below tells
    // whether this broker shows retained records to wildcard subscriptions.
    await this.beat();
    this.route = dispatcher.route({ filters: [this.topics.workerPresenceFilter(this.group)], accepts: (topic) => topic.startsWith(this.filterPrefix), handler: this.onPresence });
    await this.route.ready;
    // After every reconnect, join again: members may have come, gone, or declared us gone meanwhile.
    this.stopReconnect = dispatcher.onReconnect(() => void this.ask());
    await this.ask();
    this.timer = setInterval(() => {
      void this.beat();
      this.checkJoined();
      for (const listener of [...this.tickListeners]) listener();
    }, this.intervalMs);
    (this.timer as { unref?: () => void }).unref?.();
    await this.firstJoin;
  }

  /** Called on every heartbeat, after presence had a whole interval to arrive (the sweep runs here). */
  onTick(listener: () => void): () => void {
    this.tickListeners.add(listener);
    return () => this.tickListeners.delete(listener);
  }

  /**
   * Runs `work` (taking a request or a query) now when joined; holds it until joined while answers
   * are awaited; drops it while the join question is not back yet (its client re-sends).
   */
  admit(work: () => void): Admission {
    if (this.phase === 'joined') {
      work();
      return 'run';
    }
    if (this.phase === 'awaiting' && this.held.length < MAX_HELD) {
      this.held.push(work);
      return 'held';
    }
    this.stats.droppedWhileJoining++;
    return 'dropped';
  }

  /** True once joined on the current connection. */
  get isJoined(): boolean {
    return this.phase === 'joined';
  }

  /** Where joining stands: question out (`asking`), answers awaited (`awaiting`), or `joined`. */
  get joinState(): 'asking' | 'awaiting' | 'joined' {
    return this.phase;
  }

  /** True when this worker owns `key` among the members alive now. */
  owns(key: string): boolean {
    return this.owner(key) === this.workerId;
  }

  /** The live member that owns `key` (this worker when it knows no better one). */
  owner(key: string): string {
    let best = this.workerId;
    let bestScore = score(key, this.workerId);
    for (const id of this.liveMembers()) {
      if (this.known.get(id)?.runner) continue;
      const s = score(key, id);
      if (s > bestScore || (s === bestScore && id > best)) {
        best = id;
        bestScore = s;
      }
    }
    return best;
  }

  /**
   * Whether `workerId` serves now: this worker always; another while its heartbeats arrive. A member
   * whose connection ended (its will, or its close) is absent at once; one that went silent, after
   * three intervals.
   */
  isPresent(workerId: string): boolean {
    if (workerId === this.workerId) return true;
    const member = this.known.get(workerId);
    return !!member && member.present && Date.now() - member.lastSeen <= this.intervalMs * 3;
  }

  get members(): number {
    return this.liveMembers().length + 1;
  }

  /** True for a member known as a runner (an HTTP trigger): it holds turns but cannot be asked about them. */
  isRunner(workerId: string): boolean {
    return this.known.get(workerId)?.runner === true;
  }

  /** Publishes this member's presence now (a runner does so before the first turn it stores as running). */
  announce(): Promise<void> {
    return this.beat();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.join?.timer);
    this.client.off?.('close', this.onClose);
    this.stopReconnect?.();
    await this.route?.release();
    await publishAsync(this.client, this.presenceTopic, encodePresence({ state: 'left' }), { qos: 1, retain: true }).catch(() => undefined);
  }

  private readonly onClose = (): void => {
    if (this.stopped) return;
    // The next connection is a new incarnation; its will must name it, not the one that just ended.
    this.renewIncarnation();
    // Work received on the old connection before joining was never decided: its clients re-send.
    clearTimeout(this.join?.timer);
    this.stats.droppedWhileJoining += this.held.length;
    this.held = [];
    this.join = null;
    this.phase = 'asking';
  };

  /** A new incarnation for the records from now on, and the will of the next connection naming it. */
  private renewIncarnation(): void {
    this.incarnation = nextIncarnation(this.incarnation);
    const options = (this.client as { options?: { will?: { topic?: string; payload?: unknown } } }).options;
    if (options?.will?.topic === this.presenceTopic) options.will.payload = presenceWill(this.topics, this.group, this.workerId, this.incarnation).payload;
  }

  private readonly onPresence = (topic: string, payload: Uint8Array, packet: { retain?: boolean } | undefined): void => {
    const id = topic.slice(this.filterPrefix.length);
    const record = decodePresence(payload);
    if (!record) {
      this.stats.malformedRecords++;
      return;
    }
    if (id === this.workerId) this.onOwnRecord(record, !!packet?.retain);
    else this.onMemberRecord(id, record, !!packet?.retain);
    this.checkJoined();
  };

  private onOwnRecord(record: PresenceRecord, retained: boolean): void {
    if (record.state === 'here') {
      if (record.incarnation !== this.incarnation) return;
      if (retained && !record.ask) this.sawOwnRetained = true;
      if (record.ask && record.ask === this.join?.nonce && this.phase === 'asking') {
        // Our question came back: every member got it before any request we receive from now on.
        this.retainedVisible ??= this.sawOwnRetained;
        this.phase = 'awaiting';
        if (!this.retainedVisible) this.join.timer = setTimeout(() => this.listened(), this.intervalMs);
        else this.join.listened = true;
      }
      return;
    }
    // A record says we are gone (a late will of an earlier connection, or a split cluster): we are
    // not, so say so at once, before members give our chats away for long.
    if (this.stopped || !this.client.connected) return;
    if (record.state === 'gone' && record.incarnation < this.incarnation) this.stats.staleRecords++;
    // Members took our current incarnation for ended: only a newer one can say we are here.
    else this.renewIncarnation();
    void this.beat();
  }

  private onMemberRecord(id: string, record: PresenceRecord, retained: boolean): void {
    const member = this.known.get(id);
    if (record.state === 'left') {
      if (member) member.present = false;
      this.join?.awaiting.delete(id);
      return;
    }
    // A record of an older connection than one already heard of is stale; so is a stored copy of a
    // connection whose end was already heard of (a live heartbeat of it proves it alive, though).
    if (member && (record.incarnation < member.incarnation || (record.incarnation === member.incarnation && !member.present && record.state === 'here' && retained))) {
      this.stats.staleRecords++;
      return;
    }
    if (record.state === 'gone') {
      this.known.set(id, { incarnation: record.incarnation, present: false, lastSeen: member?.lastSeen ?? 0, runner: member?.runner ?? false });
      this.join?.awaiting.delete(id);
      return;
    }
    this.known.set(id, { incarnation: record.incarnation, present: true, lastSeen: Date.now(), runner: record.runner === true });
    if (record.re && record.re === this.join?.nonce) this.join.awaiting.delete(id);
    // An awaited member that speaks without answering missed our question (it was reconnecting): ask again.
    else if (!retained && this.phase === 'awaiting' && this.join?.awaiting.has(id)) void this.publish({ state: 'here', incarnation: this.incarnation, ask: this.join.nonce });
    if (record.ask && !retained) void this.beat(record.ask);
  }

  private listened(): void {
    if (!this.join) return;
    this.join.listened = true;
    this.checkJoined();
  }

  /** Sends the join question: a heartbeat that every member answers. */
  private ask(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    clearTimeout(this.join?.timer);
    // Runners decide no ownership: joining need not hear from them.
    const awaiting = new Set(this.liveMembers().filter((id) => !this.known.get(id)?.runner));
    this.join = { nonce: randomId(12), awaiting, listened: false };
    this.phase = 'asking';
    return this.publish({ state: 'here', incarnation: this.incarnation, ask: this.join.nonce });
  }

  /** Completes joining once the question came back, every awaited member answered or went, and we listened long enough. */
  private checkJoined(): void {
    const join = this.join;
    if (this.phase !== 'awaiting' || !join) return;
    for (const id of join.awaiting) if (!this.isPresent(id)) join.awaiting.delete(id);
    if (join.awaiting.size > 0 || !join.listened) return;
    this.phase = 'joined';
    this.stats.joins++;
    const held = this.held;
    this.held = [];
    for (const work of held) work();
    this.joined();
  }

  private liveMembers(): string[] {
    return [...this.known.keys()].filter((id) => this.isPresent(id));
  }

  /** A heartbeat; `answering` names the join question it answers. */
  private beat(answering?: string): Promise<void> {
    return this.publish({ state: 'here', incarnation: this.incarnation, ...(answering ? { re: answering } : {}) });
  }

  private publish(record: PresenceRecord): Promise<void> {
    const stamped: PresenceRecord = record.state === 'here' && this.role === 'runner' ? { ...record, runner: true } : record;
    return publishAsync(this.client, this.presenceTopic, encodePresence(stamped), { qos: 1, retain: true }).catch(() => undefined);
  }
}

/** Resolves on the client's next connect. */
function connected(client: MqttClientLike): Promise<void> {
  return new Promise((resolve) => {
    const onConnect = () => {
      client.off('connect', onConnect);
      resolve();
    };
    client.on('connect', onConnect);
  });
}

/**
 * FNV-1a of key + worker id, then murmur3's finaliser: worker ids often differ only in their last
 * character, which plain FNV-1a mixes too little to rank members evenly (measured: 20 chats over 3
 * workers split 15/0/5 without it).
 */
function score(key: string, workerId: string): number {
  let hash = 0x811c9dc5;
  const text = `${key}:${workerId}`;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}
