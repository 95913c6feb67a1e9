import { closeSync, fsync, fsyncSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { SonaError } from '@sona/core';
import Database from 'better-sqlite3';

/**
 * The server's journal in SQLite (WAL): every decision, outcome and epoch end, each with its
 * place in one sequence (`seq`), the order the engine saw them in. Replaying the journal after
 * a checkpoint in `seq` order rebuilds the engine exactly.
 *
 * Writes are grouped: every insert runs inside a transaction that stays open until `commit`,
 * which the service calls once per turn of the event loop, before any response that depends on
 * those writes is sent (a group commit). SQLite runs with `synchronous = NORMAL`, so a commit
 * reaches the operating system (it survives the process being killed) without waiting for the
 * disk; in `full` mode `sync` then fsyncs the write-ahead log on libuv's thread pool, and the
 * responses wait for that fsync (it survives power loss too) while the event loop goes on
 * serving: one fsync covers every commit made before it started.
 */

/**
 * `full`: a response waits until its writes are fsynced (survives power loss). `normal`: until
 * they are committed to the operating system (survives the process being killed).
 */
export type SyncMode = 'full' | 'normal';

/** The engine settings a database was created with; a restart must use the same. */
export interface StoreIdentity {
  readonly version: string;
  readonly arms: readonly string[];
  readonly dim: number;
  readonly seed: number;
  readonly epochs: number;
  readonly modelParamsB: number;
}

/** A decision's lifecycle: `open` awaits its outcome; `void` never reached the client. */
export type DecisionStatus = 'open' | 'pending' | 'void';

export interface DecisionRow {
  readonly id: string;
  readonly seq: number;
  readonly taskId: string;
  readonly type: string;
  readonly embedding: Float32Array;
  /** The subset of arms the choice was restricted to, or null for all. */
  readonly allowed: readonly string[] | null;
  readonly arm: string;
  readonly confidence: number;
  readonly status: DecisionStatus;
}

export interface OutcomeRow {
  readonly decisionId: string;
  readonly seq: number;
  readonly success: boolean;
  readonly quality: number | null;
  readonly cost: number | null;
}

/** One journal entry, in `seq` order. */
export type JournalEntry =
  | { readonly kind: 'choose'; readonly seq: number; readonly decision: DecisionRow }
  | {
      readonly kind: 'outcome';
      readonly seq: number;
      readonly outcome: OutcomeRow;
      readonly decision: DecisionRow;
    }
  | { readonly kind: 'epoch'; readonly seq: number };

export interface ArmCounts {
  decisions: number;
  outcomes: number;
  successes: number;
  cost: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS decisions (
  id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL UNIQUE,
  task_id TEXT NOT NULL,
  type TEXT NOT NULL,
  embedding BLOB NOT NULL,
  allowed TEXT,
  arm TEXT NOT NULL,
  confidence REAL NOT NULL,
  status TEXT NOT NULL,
  created_ms INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS outcomes (
  decision_id TEXT PRIMARY KEY REFERENCES decisions(id),
  seq INTEGER NOT NULL UNIQUE,
  success INTEGER NOT NULL,
  quality REAL,
  cost REAL,
  created_ms INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS epochs (seq INTEGER PRIMARY KEY, created_ms INTEGER NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS checkpoints (
  seq INTEGER PRIMARY KEY,
  file TEXT NOT NULL,
  state_hash TEXT NOT NULL,
  created_ms INTEGER NOT NULL
) STRICT;
`;

type RawDecision = {
  id: string;
  seq: number;
  task_id: string;
  type: string;
  embedding: Buffer;
  allowed: string | null;
  arm: string;
  confidence: number;
  status: string;
};

function toDecision(row: RawDecision): DecisionRow {
  const bytes = row.embedding;
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return {
    id: row.id,
    seq: row.seq,
    taskId: row.task_id,
    type: row.type,
    embedding: new Float32Array(copy.buffer, 0, copy.byteLength / 4),
    allowed: row.allowed === null ? null : (JSON.parse(row.allowed) as string[]),
    arm: row.arm,
    confidence: row.confidence,
    status: row.status as DecisionStatus,
  };
}

export class Store {
  readonly path: string;
  readonly #db: Database.Database;
  readonly #statements: ReturnType<typeof prepare>;
  #inTransaction = false;
  #walFd: number | null = null;

  constructor(path: string) {
    this.path = path;
    try {
      this.#db = new Database(path);
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma('synchronous = NORMAL');
      this.#db.pragma('foreign_keys = ON');
      this.#db.exec(SCHEMA);
    } catch (cause) {
      throw new SonaError('INVALID_STATE', `cannot open the database ${path}: ${message(cause)}`, {
        path: 'db',
        cause,
      });
    }
    this.#statements = prepare(this.#db);
  }

  /** Records the identity on first use; afterwards refuses a different one. */
  checkIdentity(identity: StoreIdentity): void {
    const row = this.#db.prepare('SELECT value FROM meta WHERE key = ?').get('identity') as
      | { value: string }
      | undefined;
    const text = JSON.stringify(identity);
    if (row === undefined) {
      this.#db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('identity', text);
      return;
    }
    const stored = JSON.parse(row.value) as StoreIdentity;
    for (const key of Object.keys(identity) as (keyof StoreIdentity)[]) {
      if (JSON.stringify(stored[key]) !== JSON.stringify(identity[key])) {
        throw new SonaError(
          'INVALID_STATE',
          `the database ${this.path} was created with ${key} ${JSON.stringify(stored[key])}, not ${JSON.stringify(identity[key])}; use that setting or another --db`,
          { path: key },
        );
      }
    }
  }

  /** The last sequence number used (0 for an empty journal). */
  lastSeq(): number {
    const row = this.#db
      .prepare(
        `SELECT MAX(m) AS seq FROM (
          SELECT MAX(seq) AS m FROM decisions UNION ALL
          SELECT MAX(seq) FROM outcomes UNION ALL
          SELECT MAX(seq) FROM epochs)`,
      )
      .get() as { seq: number | null };
    return row.seq ?? 0;
  }

  #begin(): void {
    if (!this.#inTransaction) {
      this.#statements.begin.run();
      this.#inTransaction = true;
    }
  }

  get inTransaction(): boolean {
    return this.#inTransaction;
  }

  /**
   * Fsyncs the write-ahead log (and, the first time, its directory) on the thread pool: every
   * commit made before the call is then on disk.
   */
  sync(done: (error: Error | null) => void): void {
    let fd: number;
    try {
      fd = this.#wal();
    } catch (error) {
      done(error as Error);
      return;
    }
    fsync(fd, (error) => done(error));
  }

  #wal(): number {
    if (this.#walFd === null) {
      this.#walFd = openSync(`${this.path}-wal`, 'r');
      const dir = openSync(dirname(this.path), 'r');
      try {
        fsyncSync(dir);
      } finally {
        closeSync(dir);
      }
    }
    return this.#walFd;
  }

  /** Commits every write since the last commit (to the operating system; see `sync`). */
  commit(): void {
    if (!this.#inTransaction) return;
    this.#inTransaction = false;
    this.#statements.commit.run();
  }

  /** Drops every write since the last commit. */
  rollback(): void {
    if (!this.#inTransaction) return;
    this.#inTransaction = false;
    if (this.#db.inTransaction) this.#statements.rollback.run();
  }

  insertDecision(d: DecisionRow, now: number): void {
    this.#begin();
    this.#statements.insertDecision.run(
      d.id,
      d.seq,
      d.taskId,
      d.type,
      Buffer.from(d.embedding.buffer, d.embedding.byteOffset, d.embedding.byteLength),
      d.allowed === null ? null : JSON.stringify(d.allowed),
      d.arm,
      d.confidence,
      d.status,
      now,
    );
  }

  setStatus(id: string, status: DecisionStatus): void {
    this.#begin();
    this.#statements.setStatus.run(status, id);
  }

  insertOutcome(o: OutcomeRow, now: number): void {
    this.#begin();
    this.#statements.insertOutcome.run(
      o.decisionId,
      o.seq,
      o.success ? 1 : 0,
      o.quality,
      o.cost,
      now,
    );
  }

  insertEpoch(seq: number, now: number): void {
    this.#begin();
    this.#statements.insertEpoch.run(seq, now);
  }

  insertCheckpoint(seq: number, file: string, stateHash: string, now: number): void {
    this.#begin();
    this.#statements.insertCheckpoint.run(seq, file, stateHash, now);
  }

  decision(id: string): DecisionRow | undefined {
    const row = this.#statements.decision.get(id) as RawDecision | undefined;
    return row === undefined ? undefined : toDecision(row);
  }

  hasOutcome(id: string): boolean {
    return this.#statements.hasOutcome.get(id) !== undefined;
  }

  /** Decisions left `pending` by a process that stopped mid-request: they never reached a client. */
  voidPending(): number {
    return this.#db.prepare("UPDATE decisions SET status = 'void' WHERE status = 'pending'").run()
      .changes;
  }

  /** Every journal entry after `seq`, in order. */
  *entriesAfter(seq: number): Generator<JournalEntry> {
    const rows = this.#db
      .prepare(
        `SELECT 'choose' AS kind, seq, id AS decision_id FROM decisions WHERE seq > @after
         UNION ALL SELECT 'outcome', seq, decision_id FROM outcomes WHERE seq > @after
         UNION ALL SELECT 'epoch', seq, NULL FROM epochs WHERE seq > @after
         ORDER BY seq`,
      )
      .all({ after: seq }) as { kind: string; seq: number; decision_id: string | null }[];
    for (const row of rows) {
      if (row.kind === 'epoch') {
        yield { kind: 'epoch', seq: row.seq };
        continue;
      }
      const decision = this.decision(row.decision_id!)!;
      if (row.kind === 'choose') {
        yield { kind: 'choose', seq: row.seq, decision };
        continue;
      }
      const o = this.#db
        .prepare('SELECT * FROM outcomes WHERE decision_id = ?')
        .get(row.decision_id) as {
        seq: number;
        success: number;
        quality: number | null;
        cost: number | null;
      };
      yield {
        kind: 'outcome',
        seq: row.seq,
        decision,
        outcome: {
          decisionId: decision.id,
          seq: o.seq,
          success: o.success === 1,
          quality: o.quality,
          cost: o.cost,
        },
      };
    }
  }

  /** Per-arm counts over the whole journal (decisions that reached a client). */
  armCounts(): Map<string, ArmCounts> {
    const counts = new Map<string, ArmCounts>();
    const get = (arm: string) => {
      let c = counts.get(arm);
      if (c === undefined) {
        c = { decisions: 0, outcomes: 0, successes: 0, cost: 0 };
        counts.set(arm, c);
      }
      return c;
    };
    for (const row of this.#db
      .prepare("SELECT arm, COUNT(*) AS n FROM decisions WHERE status = 'open' GROUP BY arm")
      .all() as { arm: string; n: number }[]) {
      get(row.arm).decisions = row.n;
    }
    for (const row of this.#db
      .prepare(
        `SELECT d.arm AS arm, COUNT(*) AS n, SUM(o.success) AS s, TOTAL(o.cost) AS c
         FROM outcomes o JOIN decisions d ON d.id = o.decision_id GROUP BY d.arm`,
      )
      .all() as { arm: string; n: number; s: number; c: number }[]) {
      const c = get(row.arm);
      c.outcomes = row.n;
      c.successes = row.s;
      c.cost = row.c;
    }
    return counts;
  }

  /** Outcomes recorded after the last epoch end (all of them before the first). */
  outcomesSinceLastEpoch(): number {
    return (
      this.#db
        .prepare(
          'SELECT COUNT(*) AS n FROM outcomes WHERE seq > (SELECT COALESCE(MAX(seq), 0) FROM epochs)',
        )
        .get() as { n: number }
    ).n;
  }

  get closed(): boolean {
    return !this.#db.open;
  }

  epochCount(): number {
    return (this.#db.prepare('SELECT COUNT(*) AS n FROM epochs').get() as { n: number }).n;
  }

  /** The newest checkpoint recorded, if any. */
  lastCheckpoint(): { seq: number; file: string; stateHash: string } | undefined {
    const row = this.#db
      .prepare('SELECT seq, file, state_hash FROM checkpoints ORDER BY seq DESC LIMIT 1')
      .get() as { seq: number; file: string; state_hash: string } | undefined;
    return row === undefined
      ? undefined
      : { seq: row.seq, file: row.file, stateHash: row.state_hash };
  }

  close(): void {
    this.rollback();
    if (this.#walFd !== null) {
      fsyncSync(this.#walFd);
      closeSync(this.#walFd);
      this.#walFd = null;
    }
    this.#db.close();
  }
}

function prepare(db: Database.Database) {
  return {
    begin: db.prepare('BEGIN'),
    commit: db.prepare('COMMIT'),
    rollback: db.prepare('ROLLBACK'),
    insertDecision: db.prepare(
      `INSERT INTO decisions (id, seq, task_id, type, embedding, allowed, arm, confidence, status, created_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    setStatus: db.prepare('UPDATE decisions SET status = ? WHERE id = ?'),
    insertOutcome: db.prepare(
      'INSERT INTO outcomes (decision_id, seq, success, quality, cost, created_ms) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    insertEpoch: db.prepare('INSERT INTO epochs (seq, created_ms) VALUES (?, ?)'),
    insertCheckpoint: db.prepare(
      'INSERT OR REPLACE INTO checkpoints (seq, file, state_hash, created_ms) VALUES (?, ?, ?, ?)',
    ),
    decision: db.prepare('SELECT * FROM decisions WHERE id = ?'),
    hasOutcome: db.prepare('SELECT 1 FROM outcomes WHERE decision_id = ?'),
  };
}

function message(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
