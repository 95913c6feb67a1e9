import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Checkpoint, createCheckpoint, loadCheckpoint } from '@sona/checkpoint';
import { type Arm, Rng, SonaError, type Task, type Version } from '@sona/core';
import { type EngineStats, SonaEngine } from '@sona/engine';
import {
  type CheckpointWriter,
  defaultWorkerUrl,
  inlineWriter,
  workerWriter,
} from './checkpoint-writer';
import {
  type ArmCounts,
  type DecisionRow,
  type JournalEntry,
  Store,
  type StoreIdentity,
  type SyncMode,
} from './store';

/** Everything the service needs: the engine's settings, where it keeps its data, and when it learns. */
export interface ServiceOptions {
  readonly arms: readonly Arm[];
  readonly version: Version;
  /** Embedding length (text is embedded to it). */
  readonly dim: number;
  readonly seed: number;
  /** Epochs the engine's schedules are planned over. */
  readonly epochs: number;
  readonly modelParamsB: number;
  /** The SQLite journal. */
  readonly db: string;
  /** Where checkpoints are written (`checkpoint-<seq>.json`). */
  readonly checkpointDir: string;
  readonly sync: SyncMode;
  /** End an epoch after this many outcomes (0: only through `/v1/epoch`). */
  readonly epochEvery: number;
  /** Checkpoint after this many journal entries since the last one (0: never by count). */
  readonly checkpointEvery: number;
  /** Checkpoints kept on disk (the newest). */
  readonly keepCheckpoints: number;
  /** Name recorded as the checkpoint's model. */
  readonly modelName: string;
  /**
   * Where checkpoints are hashed and written: a worker thread from this module file (the
   * default: the built `checkpoint-worker.js` beside this module, when it exists), or `false`
   * for the event loop.
   */
  readonly checkpointWorker?: URL | false;
}

export interface ChooseInput {
  readonly taskId?: string;
  readonly type: string;
  readonly embedding: Float32Array;
  readonly arms?: readonly Arm[];
}

export interface ChooseResult {
  readonly decisionId: string;
  readonly arm: Arm;
  readonly confidence: number;
  readonly scores: Readonly<Record<Arm, number>>;
}

export interface OutcomeInput {
  readonly decisionId: string;
  readonly success: boolean;
  readonly quality?: number;
  readonly cost?: number;
}

export interface CheckpointInfo {
  readonly seq: number;
  readonly file: string;
  readonly stateHash: string;
}

export interface ServiceStats {
  readonly decisions: number;
  readonly outcomes: number;
  readonly awaitingOutcome: number;
  readonly epochs: number;
  readonly seq: number;
  readonly arms: Readonly<
    Record<
      Arm,
      ArmCounts & { readonly successRate: number | null; readonly meanCost: number | null }
    >
  >;
  readonly engine: Omit<EngineStats, 'history'>;
  readonly lastCheckpoint: CheckpointInfo | null;
  readonly restored: RestoreReport;
}

/** How the service came up: from which checkpoint, and how many journal entries it replayed. */
export interface RestoreReport {
  readonly checkpointSeq: number | null;
  readonly replayed: number;
}

type Waiter = { resolve: () => void; reject: (e: unknown) => void };

const CHECKPOINT_FILE = /^checkpoint-(\d{12})\.json$/;

function checkpointName(seq: number): string {
  return `checkpoint-${String(seq).padStart(12, '0')}.json`;
}

/** The task the engine sees for a decision (the same at choose, at outcome and in replay). */
function taskOf(d: Pick<DecisionRow, 'taskId' | 'type' | 'embedding'>): Task {
  return { id: d.taskId, type: d.type, embedding: d.embedding };
}

/**
 * One SONA engine behind a durable journal. Every engine call happens synchronously, in the
 * order its journal entry is numbered, so the calls are serialised and a replay repeats them
 * exactly (the exploration draws of `choose` included). A response may be sent once
 * `durable()` resolves: the writes it depends on are then committed.
 */
export class SonaService {
  readonly options: ServiceOptions;
  readonly restored: RestoreReport;
  #engine: SonaEngine;
  readonly #store: Store;
  #seq: number;
  #counts: Map<Arm, ArmCounts>;
  #epochs: number;
  #outcomesSinceEpoch: number;
  #lastCheckpoint: CheckpointInfo | null;
  #checkpointing: Promise<CheckpointInfo> | null = null;
  #waiters: Waiter[] = [];
  #syncQueue: Waiter[] = [];
  #syncing = false;
  #flushScheduled = false;
  #failure: SonaError | null = null;
  #closed = false;
  readonly #writer: CheckpointWriter;

  private constructor(
    options: ServiceOptions,
    store: Store,
    engine: SonaEngine,
    restored: RestoreReport,
    lastCheckpoint: CheckpointInfo | null,
  ) {
    this.options = options;
    this.#store = store;
    this.#engine = engine;
    this.restored = restored;
    this.#lastCheckpoint = lastCheckpoint;
    this.#seq = store.lastSeq();
    this.#counts = store.armCounts();
    this.#epochs = store.epochCount();
    this.#outcomesSinceEpoch = 0;
    const worker =
      options.checkpointWorker === undefined ? defaultWorkerUrl() : options.checkpointWorker;
    this.#writer = worker === false || worker === null ? inlineWriter() : workerWriter(worker);
  }

  /** Whether checkpoints are written by a worker thread. */
  get checkpointsOffThread(): boolean {
    const worker =
      this.options.checkpointWorker === undefined
        ? defaultWorkerUrl()
        : this.options.checkpointWorker;
    return worker !== false && worker !== null;
  }

  /**
   * Opens (or creates) the journal, restores the newest readable checkpoint and replays every
   * journal entry after it. The restored engine is the one that never stopped.
   */
  static async open(options: ServiceOptions): Promise<SonaService> {
    const store = new Store(options.db);
    try {
      const identity: StoreIdentity = {
        version: options.version,
        arms: [...options.arms],
        dim: options.dim,
        seed: options.seed,
        epochs: options.epochs,
        modelParamsB: options.modelParamsB,
      };
      store.checkIdentity(identity);
      store.voidPending();
      mkdirSync(options.checkpointDir, { recursive: true });
      const lastSeq = store.lastSeq();
      const found = await newestCheckpoint(options.checkpointDir, lastSeq);
      let engine: SonaEngine;
      let from = 0;
      let info: CheckpointInfo | null = null;
      if (found === null) {
        engine = new SonaEngine({
          version: options.version,
          dim: options.dim,
          arms: options.arms,
          modelParamsB: options.modelParamsB,
          rng: Rng.seeded(options.seed),
          epochs: options.epochs,
        });
      } else {
        engine = found.engine;
        from = found.seq;
        info = { seq: found.seq, file: found.file, stateHash: found.checkpoint.stateHash };
      }
      if (found !== null) {
        engine = found.engine;
        if (JSON.stringify(engine.arms) !== JSON.stringify(options.arms)) {
          throw new SonaError('INVALID_STATE', `checkpoint ${found.file} has other arms`, {
            path: 'checkpointDir',
          });
        }
      }
      let replayed = 0;
      for (const entry of store.entriesAfter(from)) {
        apply(engine, entry);
        replayed++;
      }
      const service = new SonaService(
        options,
        store,
        engine,
        { checkpointSeq: found?.seq ?? null, replayed },
        info,
      );
      service.#outcomesSinceEpoch = store.outcomesSinceLastEpoch();
      return service;
    } catch (error) {
      store.close();
      throw error;
    }
  }

  get seq(): number {
    return this.#seq;
  }

  get engine(): SonaEngine {
    return this.#engine;
  }

  /** A journal write failed: the service refuses everything until it is restarted. */
  get failure(): SonaError | null {
    return this.#failure;
  }

  #checkUsable(): void {
    if (this.#failure !== null) throw this.#failure;
    if (this.#closed) throw new SonaError('INVALID_STATE', 'the service is shut down');
  }

  /**
   * Picks an arm and journals the decision. `pending` decisions (the proxy's, before the
   * upstream answered) take no outcome until `settle` opens them.
   */
  choose(input: ChooseInput, status: 'open' | 'pending' = 'open'): ChooseResult {
    this.#checkUsable();
    const decisionId = randomUUID();
    const taskId = input.taskId ?? decisionId;
    const task: Task = { id: taskId, type: input.type, embedding: input.embedding };
    const choice = this.#engine.choose(task, input.arms === undefined ? {} : { arms: input.arms });
    // The engine's draws are spent: from here on the decision must be journaled.
    const seq = this.#seq + 1;
    this.#write(() =>
      this.#store.insertDecision(
        {
          id: decisionId,
          seq,
          taskId,
          type: input.type,
          embedding: input.embedding,
          allowed: input.arms === undefined ? null : [...input.arms],
          arm: choice.arm,
          confidence: choice.confidence,
          status,
        },
        Date.now(),
      ),
    );
    this.#seq = seq;
    if (status === 'open') this.#countsOf(choice.arm).decisions++;
    const scores: Record<Arm, number> = {};
    this.#engine.arms.forEach((arm, i) => {
      scores[arm] = choice.scores[i]!;
    });
    this.#maybeCheckpoint();
    return { decisionId, arm: choice.arm, confidence: choice.confidence, scores };
  }

  /** Opens a pending decision for its outcome (`ok`), or voids it (it never reached a client). */
  settle(decisionId: string, ok: boolean): void {
    this.#checkUsable();
    const decision = this.#store.decision(decisionId);
    if (decision === undefined || decision.status !== 'pending') {
      throw new SonaError('INVALID_STATE', `decision ${decisionId} is not pending`);
    }
    this.#write(() => this.#store.setStatus(decisionId, ok ? 'open' : 'void'));
    if (ok) this.#countsOf(decision.arm).decisions++;
  }

  /** Learns from an outcome and journals it; 404/409 conditions are `NotFound`/`Conflict`. */
  outcome(input: OutcomeInput): { epochEnded: boolean } {
    this.#checkUsable();
    const decision = this.#store.decision(input.decisionId);
    if (decision === undefined || decision.status !== 'open') {
      throw new ServiceError(404, 'decision_id', `unknown decision ${input.decisionId}`);
    }
    if (this.#store.hasOutcome(input.decisionId)) {
      throw new ServiceError(
        409,
        'decision_id',
        `decision ${input.decisionId} already has an outcome`,
      );
    }
    this.#engine.record(
      taskOf(decision),
      decision.arm,
      input.quality === undefined
        ? { success: input.success }
        : { success: input.success, quality: input.quality },
    );
    const seq = this.#seq + 1;
    this.#write(() =>
      this.#store.insertOutcome(
        {
          decisionId: input.decisionId,
          seq,
          success: input.success,
          quality: input.quality ?? null,
          cost: input.cost ?? null,
        },
        Date.now(),
      ),
    );
    this.#seq = seq;
    const counts = this.#countsOf(decision.arm);
    counts.outcomes++;
    if (input.success) counts.successes++;
    counts.cost += input.cost ?? 0;
    this.#outcomesSinceEpoch++;
    let epochEnded = false;
    if (this.options.epochEvery > 0 && this.#outcomesSinceEpoch >= this.options.epochEvery) {
      this.endEpoch();
      epochEnded = true;
    }
    this.#maybeCheckpoint();
    return { epochEnded };
  }

  /** Ends an epoch now (re-clustering, refit, schedules) and journals it. */
  endEpoch(): { epoch: number; attempts: number; successRate: number } {
    this.#checkUsable();
    const summary = this.#engine.endEpoch();
    const seq = this.#seq + 1;
    this.#write(() => this.#store.insertEpoch(seq, Date.now()));
    this.#seq = seq;
    this.#epochs++;
    this.#outcomesSinceEpoch = 0;
    return { epoch: summary.epoch, attempts: summary.attempts, successRate: summary.successRate };
  }

  /**
   * A journal write after the engine moved: if it fails, the engine is ahead of the journal, so
   * the service stops taking requests (a restart rebuilds it from the journal).
   */
  #write(action: () => void): void {
    try {
      action();
    } catch (cause) {
      this.#fail(cause);
    }
  }

  #fail(cause: unknown): never {
    const error =
      this.#failure ??
      new SonaError(
        'INVALID_STATE',
        `the journal could not be written (${cause instanceof Error ? cause.message : String(cause)}); restart the server`,
        { cause },
      );
    this.#failure = error;
    try {
      this.#store.rollback();
    } catch {
      // The transaction is gone already.
    }
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
    throw error;
  }

  /** Resolves once every write made so far is committed (a group commit on the next turn). */
  durable(): Promise<void> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    if (!this.#store.inTransaction) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#flushScheduled = false;
    const waiters = this.#waiters.splice(0);
    try {
      this.#store.commit();
    } catch (cause) {
      this.#waiters.unshift(...waiters);
      try {
        this.#fail(cause);
      } catch {
        return;
      }
    }
    if (this.options.sync === 'full') this.#afterSync(waiters);
    else for (const waiter of waiters) waiter.resolve();
  }

  /** Resolves `waiters` after an fsync that starts after their commit (one fsync per group). */
  #afterSync(waiters: Waiter[]): void {
    this.#syncQueue.push(...waiters);
    if (this.#syncing) return;
    const batch = this.#syncQueue.splice(0);
    if (batch.length === 0) return;
    this.#syncing = true;
    this.#store.sync((error) => {
      this.#syncing = false;
      if (error !== null) {
        this.#waiters.unshift(...batch, ...this.#syncQueue.splice(0));
        try {
          this.#fail(error);
        } catch {
          return;
        }
      }
      for (const waiter of batch) waiter.resolve();
      if (this.#syncQueue.length > 0) this.#afterSync([]);
    });
  }

  /** Resolves once everything committed so far is as durable as the sync mode promises. */
  #synced(): Promise<void> {
    if (this.options.sync !== 'full') return Promise.resolve();
    return new Promise((resolve, reject) => this.#afterSync([{ resolve, reject }]));
  }

  #countsOf(arm: Arm): ArmCounts {
    let counts = this.#counts.get(arm);
    if (counts === undefined) {
      counts = { decisions: 0, outcomes: 0, successes: 0, cost: 0 };
      this.#counts.set(arm, counts);
    }
    return counts;
  }

  #maybeCheckpoint(): void {
    const every = this.options.checkpointEvery;
    if (every <= 0 || this.#checkpointing !== null) return;
    const last = this.#lastCheckpoint?.seq ?? 0;
    if (this.#seq - last < every) return;
    setImmediate(() => {
      if (this.#closed || this.#failure !== null || this.#checkpointing !== null) return;
      this.checkpoint().catch(() => {
        // Reported through stats (lastCheckpoint stays where it was); the journal still holds everything.
      });
    });
  }

  /**
   * Writes a checkpoint of the engine as of the journal's last entry (committing first, so the
   * checkpoint never covers an uncommitted entry), then records it and prunes old files.
   */
  checkpoint(): Promise<CheckpointInfo> {
    if (this.#checkpointing !== null) {
      return this.#checkpointing.then(() => this.checkpoint());
    }
    const run = async (): Promise<CheckpointInfo> => {
      if (this.#failure !== null) throw this.#failure;
      this.#flushNow();
      const seq = this.#seq;
      if (this.#lastCheckpoint !== null && this.#lastCheckpoint.seq === seq) {
        return this.#lastCheckpoint;
      }
      const state = this.#engine.toCheckpointRecord(this.#context());
      // The checkpoint must never be ahead of the journal on disk.
      await this.#synced();
      const file = join(this.options.checkpointDir, checkpointName(seq));
      const stateHash = await this.#writer.write(state, file);
      const info = { seq, file, stateHash };
      if (this.#failure === null && !this.#store.closed) {
        this.#write(() => this.#store.insertCheckpoint(seq, file, info.stateHash, Date.now()));
        await this.durable();
      }
      this.#lastCheckpoint = info;
      this.#prune();
      return info;
    };
    const promise = run().finally(() => {
      this.#checkpointing = null;
    });
    this.#checkpointing = promise;
    return promise;
  }

  /** The engine as a checkpoint (not written anywhere); its stateHash identifies the state. */
  #snapshot(): Checkpoint {
    return createCheckpoint(this.#engine.toCheckpointRecord(this.#context()));
  }

  #context() {
    return {
      model: { name: this.options.modelName, sizeBillions: this.options.modelParamsB },
      seed: this.options.seed,
    };
  }

  /** The engine's current stateHash (after committing), without writing a file. */
  stateHash(): string {
    this.#flushNow();
    return this.#snapshot().stateHash;
  }

  #flushNow(): void {
    if (!this.#store.inTransaction) return;
    this.#flush();
    if (this.#failure !== null) throw this.#failure;
  }

  #prune(): void {
    const files = checkpointFiles(this.options.checkpointDir);
    for (const { name } of files.slice(this.options.keepCheckpoints)) {
      rmSync(join(this.options.checkpointDir, name), { force: true });
    }
  }

  stats(): ServiceStats {
    const arms: Record<string, ServiceStats['arms'][string]> = {};
    let decisions = 0;
    let outcomes = 0;
    for (const arm of this.#engine.arms) {
      const c = this.#counts.get(arm) ?? { decisions: 0, outcomes: 0, successes: 0, cost: 0 };
      decisions += c.decisions;
      outcomes += c.outcomes;
      arms[arm] = {
        ...c,
        successRate: c.outcomes === 0 ? null : c.successes / c.outcomes,
        meanCost: c.outcomes === 0 ? null : c.cost / c.outcomes,
      };
    }
    const { history: _history, ...engine } = this.#engine.stats();
    return {
      decisions,
      outcomes,
      awaitingOutcome: decisions - outcomes,
      epochs: this.#epochs,
      seq: this.#seq,
      arms,
      engine,
      lastCheckpoint: this.#lastCheckpoint,
      restored: this.restored,
    };
  }

  /** Commits, writes a final checkpoint (unless `checkpoint: false`) and closes the journal. */
  async close({ checkpoint = true }: { readonly checkpoint?: boolean } = {}): Promise<void> {
    if (this.#closed) return;
    try {
      if (this.#checkpointing !== null) await this.#checkpointing.catch(() => undefined);
      if (this.#failure === null) {
        this.#flushNow();
        if (checkpoint) await this.checkpoint();
      }
    } finally {
      this.#closed = true;
      await this.#writer.close();
      this.#store.close();
    }
  }
}

/** An error with the HTTP status it maps to and the request field it concerns. */
export class ServiceError extends Error {
  readonly status: number;
  readonly field: string | undefined;
  constructor(status: number, field: string | undefined, message: string) {
    super(message);
    this.name = 'ServiceError';
    this.status = status;
    this.field = field;
  }
}

/** Repeats one journal entry on the engine; a choice that comes out differently is a broken journal. */
function apply(engine: SonaEngine, entry: JournalEntry): void {
  if (entry.kind === 'epoch') {
    engine.endEpoch();
    return;
  }
  const d = entry.decision;
  if (entry.kind === 'choose') {
    const choice = engine.choose(taskOf(d), d.allowed === null ? {} : { arms: d.allowed });
    if (choice.arm !== d.arm) {
      throw new SonaError(
        'INVALID_STATE',
        `journal replay diverged at entry ${entry.seq}: the engine chose ${choice.arm}, the journal says ${d.arm}`,
        { path: 'journal' },
      );
    }
    return;
  }
  const o = entry.outcome;
  engine.record(
    taskOf(d),
    d.arm,
    o.quality === null ? { success: o.success } : { success: o.success, quality: o.quality },
  );
}

function checkpointFiles(dir: string): { name: string; seq: number }[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .map((name) => ({ name, m: CHECKPOINT_FILE.exec(name) }))
    .filter((x) => x.m !== null)
    .map((x) => ({ name: x.name, seq: Number(x.m![1]) }))
    .sort((a, b) => b.seq - a.seq);
}

/**
 * The newest checkpoint in `dir` that loads and verifies and is not ahead of the journal; a
 * damaged one is skipped for the one before it (the journal covers the difference).
 */
async function newestCheckpoint(
  dir: string,
  lastSeq: number,
): Promise<{ seq: number; file: string; checkpoint: Checkpoint; engine: SonaEngine } | null> {
  for (const { name, seq } of checkpointFiles(dir)) {
    if (seq > lastSeq) {
      throw new SonaError(
        'INVALID_STATE',
        `checkpoint ${name} is ahead of the journal (entry ${seq}, the journal ends at ${lastSeq}): it belongs to another database`,
        { path: 'checkpointDir' },
      );
    }
    const file = join(dir, name);
    try {
      const checkpoint = await loadCheckpoint(file);
      return { seq, file, checkpoint, engine: SonaEngine.fromCheckpoint(checkpoint) };
    } catch {
      // Try the one before: the journal replays from there.
    }
  }
  return null;
}
