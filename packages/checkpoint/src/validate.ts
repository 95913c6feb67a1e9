import { decodeFloat32, firstNonFinite, TASK_TYPES } from '@sona/core';
import { stateHashOfInspected } from './hash';
import { type CheckpointIssue, issue } from './issues';
import { appendPath } from './path';
import { inspectJsonValue, inspectPlainDataTags } from './plain-data';
import { STATE_HASH_PATTERN, schemaIssues } from './schema';
import {
  type Checkpoint,
  type LoraAdapterFile,
  READABLE_FORMAT_VERSIONS,
  type TrajectoryCounts,
} from './types';

export interface ValidationResult {
  readonly issues: CheckpointIssue[];
  /** The hash of the content, when the content could be hashed at all. */
  readonly computedHash: string | null;
}

/**
 * Every check a checkpoint document gets after parsing, in order: JSON safety (forbidden keys,
 * non-finite numbers), format version, schema, tensor shapes and values, `stateHash`.
 * Signatures are checked separately (they need a key).
 */
export function validateCheckpointValue(doc: unknown): ValidationResult {
  const unsafe = inspectJsonValue(doc);
  if (unsafe.length > 0) return { issues: unsafe, computedHash: null };
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    return {
      issues: [issue('CHECKPOINT_SCHEMA', '', 'a checkpoint is a JSON object')],
      computedHash: null,
    };
  }
  const record = doc as Record<string, unknown>;
  if (!Object.hasOwn(record, 'version')) {
    return {
      issues: [
        issue('CHECKPOINT_UNKNOWN_VERSION', 'version', 'no format version: not a SONA checkpoint'),
      ],
      computedHash: null,
    };
  }
  if (!READABLE_FORMAT_VERSIONS.includes(record.version as number)) {
    const shown = JSON.stringify(record.version);
    return {
      issues: [
        issue(
          'CHECKPOINT_UNKNOWN_VERSION',
          'version',
          `format version ${shown} is not one this library reads (it reads ${READABLE_FORMAT_VERSIONS.join(' and ')})`,
        ),
      ],
      computedHash: null,
    };
  }
  const issues = schemaIssues(doc);
  if (issues.length === 0) issues.push(...contentIssues(doc as Checkpoint));
  const computedHash = stateHashOfInspected(doc);
  const claimed = record.stateHash;
  if (typeof claimed === 'string' && STATE_HASH_PATTERN.test(claimed) && claimed !== computedHash) {
    issues.push(
      issue(
        'CHECKPOINT_HASH_MISMATCH',
        'stateHash',
        `stateHash ${claimed.slice(0, 12)}… does not match the content (${computedHash.slice(0, 12)}…)`,
      ),
    );
  }
  return { issues, computedHash };
}

interface TensorCheck {
  readonly path: string;
  readonly expected: number;
  readonly shape: string;
  /** The issue code for a value below 0, if negative values are not allowed. */
  readonly nonNegative?: 'CHECKPOINT_NEGATIVE_FISHER';
  /** The issue code for a value outside [0, 1], if the values are probabilities or qualities. */
  readonly unitInterval?: 'CHECKPOINT_QUALITY_RANGE';
}

function checkTensor(text: string, check: TensorCheck, issues: CheckpointIssue[]): void {
  let values: Float32Array;
  try {
    values = decodeFloat32(text);
  } catch {
    issues.push(issue('CHECKPOINT_SCHEMA', check.path, 'byte length is not a multiple of 4'));
    return;
  }
  if (values.length !== check.expected) {
    issues.push(
      issue(
        'CHECKPOINT_SHAPE_MISMATCH',
        check.path,
        `has ${values.length} values, expected ${check.shape} = ${check.expected}`,
      ),
    );
  }
  const nonFinite = firstNonFinite(values);
  if (nonFinite >= 0) {
    issues.push(
      issue(
        'CHECKPOINT_BAD_NUMBER',
        appendPath(check.path, nonFinite),
        `${values[nonFinite]} is not finite`,
      ),
    );
    return;
  }
  if (check.nonNegative !== undefined) {
    const negative = values.findIndex((x) => x < 0);
    if (negative >= 0) {
      issues.push(
        issue(
          check.nonNegative,
          appendPath(check.path, negative),
          `${values[negative]} is negative`,
        ),
      );
    }
  }
  if (check.unitInterval !== undefined) {
    const outside = values.findIndex((x) => x < 0 || x > 1);
    if (outside >= 0) {
      issues.push(
        issue(
          check.unitInterval,
          appendPath(check.path, outside),
          `${values[outside]} is outside [0, 1]`,
        ),
      );
    }
  }
}

function checkAdapter(adapter: LoraAdapterFile, path: string, issues: CheckpointIssue[]): void {
  const { dim, rank } = adapter;
  checkTensor(
    adapter.A,
    { path: appendPath(path, 'A'), expected: rank * dim, shape: `rank × dim = ${rank} × ${dim}` },
    issues,
  );
  checkTensor(
    adapter.B,
    { path: appendPath(path, 'B'), expected: dim * rank, shape: `dim × rank = ${dim} × ${rank}` },
    issues,
  );
}

function checkQuality(value: number, path: string, issues: CheckpointIssue[]): void {
  if (value < 0 || value > 1) {
    issues.push(issue('CHECKPOINT_QUALITY_RANGE', path, `${value} is outside [0, 1]`));
  }
}

function checkCounts(counts: TrajectoryCounts, path: string, issues: CheckpointIssue[]): void {
  if (counts.successes > counts.total) {
    issues.push(
      issue(
        'CHECKPOINT_SCHEMA',
        appendPath(path, 'successes'),
        `${counts.successes} successes out of ${counts.total}`,
      ),
    );
  }
  checkQuality(counts.meanQuality, appendPath(path, 'meanQuality'), issues);
}

/**
 * The heads of a multi-head adapter in parameter order: format 1 the four `TASK_TYPES`, format 2
 * its `headOrder`. Only meaningful for a checkpoint whose heads passed `headIssues`.
 */
export function headOrderOf(
  checkpoint: Pick<Checkpoint, 'version' | 'multiHeadLoRA'>,
): readonly string[] {
  if (checkpoint.multiHeadLoRA === null) return [];
  return checkpoint.version === 1 ? TASK_TYPES : (checkpoint.multiHeadLoRA.headOrder ?? []);
}

/** Length of the flat parameter vector EWC regularises: every adapter's A then Bᵀ (2·rank·dim). */
export function adapterParameterCount(
  checkpoint: Pick<Checkpoint, 'version' | 'loraWeights' | 'multiHeadLoRA'>,
): number {
  const size = (adapter: { dim: number; rank: number }) => 2 * adapter.dim * adapter.rank;
  let total = checkpoint.loraWeights === null ? 0 : size(checkpoint.loraWeights);
  const multi = checkpoint.multiHeadLoRA;
  if (multi !== null) {
    total += size(multi.shared);
    for (const type of headOrderOf(checkpoint)) total += size(multi.heads[type]!);
  }
  return total;
}

/**
 * What the format version fixes about names: format 1 has exactly the four `TASK_TYPES` heads
 * (no `headOrder`) and `byType` keys; format 2 lists every head once in `headOrder` (1..64).
 */
function namingIssues(checkpoint: Checkpoint): CheckpointIssue[] {
  const issues: CheckpointIssue[] = [];
  const known: readonly string[] = TASK_TYPES;
  const sameSet = (keys: readonly string[]) =>
    keys.length === known.length && known.every((k) => keys.includes(k));
  const multi = checkpoint.multiHeadLoRA;
  if (multi !== null) {
    const keys = Object.keys(multi.heads);
    if (checkpoint.version === 1) {
      if (multi.headOrder !== undefined) {
        issues.push(
          issue('CHECKPOINT_SCHEMA', 'multiHeadLoRA.headOrder', 'format 1 has no headOrder'),
        );
      }
      if (!sameSet(keys)) {
        issues.push(
          issue(
            'CHECKPOINT_SCHEMA',
            'multiHeadLoRA.heads',
            `format 1 heads are ${known.join(', ')}`,
          ),
        );
      }
    } else {
      const order = multi.headOrder;
      if (order === undefined) {
        issues.push(
          issue('CHECKPOINT_SCHEMA', 'multiHeadLoRA.headOrder', 'required field missing'),
        );
      } else if (
        order.length === 0 ||
        new Set(order).size !== order.length ||
        order.length !== keys.length ||
        !order.every((name) => Object.hasOwn(multi.heads, name))
      ) {
        issues.push(
          issue(
            'CHECKPOINT_SCHEMA',
            'multiHeadLoRA.headOrder',
            'must name every head of multiHeadLoRA.heads exactly once (1 to 64 heads)',
          ),
        );
      }
    }
  }
  if (checkpoint.version === 1 && !sameSet(Object.keys(checkpoint.trajectoryStats.byType))) {
    issues.push(
      issue(
        'CHECKPOINT_SCHEMA',
        'trajectoryStats.byType',
        `format 1 types are ${known.join(', ')}`,
      ),
    );
  }
  return issues;
}

function contentIssues(checkpoint: Checkpoint): CheckpointIssue[] {
  const naming = namingIssues(checkpoint);
  if (naming.length > 0) return naming;
  const issues: CheckpointIssue[] = [];
  if (checkpoint.loraWeights !== null) checkAdapter(checkpoint.loraWeights, 'loraWeights', issues);
  const multi = checkpoint.multiHeadLoRA;
  if (multi !== null) {
    checkAdapter(multi.shared, 'multiHeadLoRA.shared', issues);
    for (const type of headOrderOf(checkpoint)) {
      const head = multi.heads[type]!;
      const path = appendPath('multiHeadLoRA.heads', type);
      if (head.dim !== multi.shared.dim) {
        issues.push(
          issue(
            'CHECKPOINT_SHAPE_MISMATCH',
            appendPath(path, 'dim'),
            `head dim ${head.dim} differs from the shared adapter's dim ${multi.shared.dim}`,
          ),
        );
      }
      checkAdapter(head, path, issues);
    }
  }
  const ewc = checkpoint.ewcState;
  if (ewc !== null) {
    const parameters = adapterParameterCount(checkpoint);
    const shape = 'the adapters’ parameter count';
    checkTensor(
      ewc.fisher,
      {
        path: 'ewcState.fisher',
        expected: parameters,
        shape,
        nonNegative: 'CHECKPOINT_NEGATIVE_FISHER',
      },
      issues,
    );
    checkTensor(ewc.anchor, { path: 'ewcState.anchor', expected: parameters, shape }, issues);
  }
  const { count, dim, data } = checkpoint.patternCentroids;
  checkTensor(
    data,
    {
      path: 'patternCentroids.data',
      expected: count * dim,
      shape: `count × dim = ${count} × ${dim}`,
    },
    issues,
  );
  checkTensor(
    checkpoint.patternQualities,
    {
      path: 'patternQualities',
      expected: count,
      shape: 'patternCentroids.count',
      unitInterval: 'CHECKPOINT_QUALITY_RANGE',
    },
    issues,
  );
  const stats = checkpoint.trajectoryStats;
  checkCounts(stats, 'trajectoryStats', issues);
  let total = 0;
  let successes = 0;
  for (const [type, counts] of Object.entries(stats.byType)) {
    checkCounts(counts, appendPath('trajectoryStats.byType', type), issues);
    total += counts.total;
    successes += counts.successes;
  }
  if (total !== stats.total || successes !== stats.successes) {
    issues.push(
      issue(
        'CHECKPOINT_SCHEMA',
        'trajectoryStats.byType',
        `per-type counts add up to ${successes}/${total}, not ${stats.successes}/${stats.total}`,
      ),
    );
  }
  let previousEpoch = -1;
  checkpoint.improvementHistory.forEach((row, index) => {
    const path = appendPath('improvementHistory', index);
    checkQuality(row.meanQuality, appendPath(path, 'meanQuality'), issues);
    if (row.epoch <= previousEpoch) {
      issues.push(
        issue('CHECKPOINT_SCHEMA', appendPath(path, 'epoch'), 'epochs must increase strictly'),
      );
    }
    previousEpoch = row.epoch;
  });
  if (checkpoint.engine !== null) issues.push(...inspectPlainDataTags(checkpoint.engine, 'engine'));
  return issues;
}
