// How much the issue text, as @sona/embed embeds it, tells about whether each system of SWE-bench
// Verified set A resolves a task, against the repository alone: per system a ridge regression
// (λ = 1) of resolved on [embedding, 1] or on [repository indicators, 1], 5-fold cross-validated
// (fold = task index mod 5 in task-id order), scored by the AUC of its held-out predictions.
// Deterministic (no randomness). In the SONA repository, after `npx nx run bench:build`:
//   node packages/bench/scripts/swebench-text-signal.mjs ../shared/data/swebench-verified/set-a.jsonl
import { readFileSync } from 'node:fs';
import { RidgeModel } from '@sona/bench';
import { embedText } from '@sona/embed';

const path = process.argv[2];
if (path === undefined) {
  console.error('usage: swebench-text-signal.mjs SET_A_JSONL');
  process.exit(2);
}
const rows = readFileSync(path, 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line));
const tasks = new Map();
for (const r of rows) {
  if (!tasks.has(r.task_id))
    tasks.set(r.task_id, { id: r.task_id, repo: r.repo, text: r.text, y: {} });
  tasks.get(r.task_id).y[r.system] = r.resolved ? 1 : 0;
}
const list = [...tasks.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
const systems = [...new Set(rows.map((r) => r.system))].sort();
const repos = [...new Set(list.map((t) => t.repo))].sort();
const embeddings = list.map((t) => embedText(t.text));
const dim = embeddings[0].length;
const FOLDS = 5;

/** Mann–Whitney AUC of scores against 0/1 labels (ties broken by task order). */
function auc(scores, labels) {
  const order = scores.map((_, i) => i).sort((a, b) => scores[a] - scores[b] || a - b);
  let positives = 0;
  let rankSum = 0;
  order.forEach((i, k) => {
    if (labels[i] === 1) {
      positives += 1;
      rankSum += k + 1;
    }
  });
  const negatives = labels.length - positives;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

function crossValidated(size, features, labels) {
  const scores = new Array(list.length);
  for (let f = 0; f < FOLDS; f++) {
    const model = new RidgeModel(size, 1);
    list.forEach((_, i) => {
      if (i % FOLDS !== f) model.update(features(i), labels[i]);
    });
    list.forEach((_, i) => {
      if (i % FOLDS === f) scores[i] = model.mean(features(i));
    });
  }
  return auc(scores, labels);
}

const x = new Float64Array(dim + 1);
const text = (i) => {
  x.set(embeddings[i]);
  x[dim] = 1;
  return x;
};
const r = new Float64Array(repos.length + 1);
const repo = (i) => {
  r.fill(0);
  r[repos.indexOf(list[i].repo)] = 1;
  r[repos.length] = 1;
  return r;
};
console.log(`${list.length} tasks, ${systems.length} systems, ${FOLDS}-fold CV, ridge λ = 1`);
console.log('system'.padEnd(50), 'AUC text', 'AUC repository');
for (const system of systems) {
  const labels = list.map((t) => t.y[system]);
  const a = crossValidated(dim + 1, text, labels).toFixed(3);
  const b = crossValidated(repos.length + 1, repo, labels).toFixed(3);
  console.log(system.padEnd(50), a.padStart(8), b.padStart(14));
}
