import { type Rng, SonaError, type TaskType } from '@sona/core';
import { Ewc, type EwcState } from '@sona/ewc';
import { MicroLoRA, type MicroLoRAState, MultiHeadLoRA, type MultiHeadLoRAState } from '@sona/lora';

export type AdapterState = MicroLoRAState | MultiHeadLoRAState;

/** The head that task types beyond `maxTypeHeads` share. */
export const OTHER_HEAD = 'other';

/**
 * The engine's adapter (MicroLoRA, or Multi-Head LoRA with one head per task type up to a cap)
 * and its EWC++ regulariser, which grows with the adapter's parameters. Heads are added only
 * when a task type is first *recorded*; a type with no head of its own uses the shared `other`
 * head, so choosing for a new type changes nothing.
 */
export class AdapterStack {
  #lora: MicroLoRA | MultiHeadLoRA;
  #ewc: Ewc | null;
  readonly #maxTypeHeads: number;

  constructor(lora: MicroLoRA | MultiHeadLoRA, ewc: Ewc | null, maxTypeHeads: number) {
    this.#lora = lora;
    this.#ewc = ewc;
    this.#maxTypeHeads = maxTypeHeads;
  }

  static create(options: {
    readonly kind: 'single' | 'multi-head';
    readonly dim: number;
    readonly rank: number;
    readonly ewcLambda: number;
    readonly maxTypeHeads: number;
    readonly rng: Rng;
  }): AdapterStack {
    const { dim, rank, rng } = options;
    const lora =
      options.kind === 'multi-head'
        ? new MultiHeadLoRA({ dim, rank, types: [OTHER_HEAD], rng })
        : new MicroLoRA({ dim, rank, rng });
    const ewc =
      options.ewcLambda > 0
        ? new Ewc({ size: lora.parameters().length, lambda: options.ewcLambda })
        : null;
    return new AdapterStack(lora, ewc, options.maxTypeHeads);
  }

  static fromState(
    adapter: AdapterState,
    ewc: EwcState | null,
    maxTypeHeads: number,
  ): AdapterStack {
    const lora =
      adapter?.kind === 'multi-head-lora'
        ? MultiHeadLoRA.fromState(adapter)
        : MicroLoRA.fromState(adapter as MicroLoRAState);
    // The engine always builds its adapter with α = rank (scale α/r = 1, SPEC's LoRA); any other
    // α can only come from an edited state and would scale every output by α/r.
    if (lora.alpha !== lora.rank) {
      throw new SonaError(
        'INVALID_STATE',
        `adapter.alpha is ${lora.alpha}, the engine's is the rank ${lora.rank}`,
        {
          path: 'adapter.alpha',
        },
      );
    }
    if (lora instanceof MultiHeadLoRA) {
      if (lora.types[0] !== OTHER_HEAD) {
        throw new SonaError(
          'INVALID_STATE',
          `adapter.types must start with the shared head "${OTHER_HEAD}"`,
          {
            path: 'adapter.types',
          },
        );
      }
      if (lora.types.length - 1 > maxTypeHeads) {
        throw new SonaError(
          'INVALID_STATE',
          `adapter.types has ${lora.types.length - 1} type heads, more than the cap ${maxTypeHeads}`,
          { path: 'adapter.types' },
        );
      }
    }
    return new AdapterStack(lora, ewc === null ? null : Ewc.fromState(ewc), maxTypeHeads);
  }

  get dim(): number {
    return this.#lora.dim;
  }

  get rank(): number {
    return this.#lora.rank;
  }

  get multiHead(): boolean {
    return this.#lora instanceof MultiHeadLoRA;
  }

  /** The head names of a multi-head adapter (`other` first), empty for a MicroLoRA. */
  get heads(): readonly string[] {
    return this.#lora instanceof MultiHeadLoRA ? this.#lora.types : [];
  }

  get ewc(): Ewc | null {
    return this.#ewc;
  }

  get parameterCount(): number {
    return this.#lora.parameters().length;
  }

  /** The head a type uses: its own once it has one, else `other`. */
  headOf(type: TaskType): string {
    return this.#lora instanceof MultiHeadLoRA && this.#lora.types.includes(type)
      ? type
      : OTHER_HEAD;
  }

  /**
   * Gives `type` a head of its own if it has none and fewer than the cap have one; the head's
   * A is drawn from `rng` (the caller forks it by the type's name). EWC++ grows with the
   * parameters; the new ones carry no Fisher information yet.
   */
  ensureHead(type: TaskType, rng: () => Rng): void {
    const lora = this.#lora;
    if (!(lora instanceof MultiHeadLoRA) || lora.types.includes(type)) return;
    if (lora.types.length - 1 >= this.#maxTypeHeads) return;
    const grown = lora.withHead(type, rng());
    const before = lora.size;
    this.#lora = grown;
    if (this.#ewc) this.#ewc = this.#ewc.grown(grown.size, grown.parameters().slice(before));
  }

  forward(x: Float32Array, type: TaskType, out?: Float32Array): Float32Array {
    const lora = this.#lora;
    return lora instanceof MultiHeadLoRA
      ? lora.forward(x, this.headOf(type), out)
      : lora.forward(x, out);
  }

  /** Values in the adapter's low-rank code: rank (MicroLoRA) or 2·rank (shared block and head). */
  get codeSize(): number {
    return this.#lora instanceof MultiHeadLoRA ? 2 * this.#lora.rank : this.#lora.rank;
  }

  /** The low-rank code of x: A·x of the shared block (and of the type's head). */
  code(x: Float32Array, type: TaskType, out?: Float32Array): Float32Array {
    const lora = this.#lora;
    return lora instanceof MultiHeadLoRA ? lora.code(x, this.headOf(type), out) : lora.code(x, out);
  }

  backwardCode(x: Float32Array, type: TaskType, gradCode: Float32Array): void {
    const lora = this.#lora;
    if (lora instanceof MultiHeadLoRA) lora.backwardCode(x, this.headOf(type), gradCode);
    else lora.backwardCode(x, gradCode);
  }

  backward(x: Float32Array, type: TaskType, gradOut: Float32Array): void {
    const lora = this.#lora;
    if (lora instanceof MultiHeadLoRA) lora.backward(x, this.headOf(type), gradOut);
    else lora.backward(x, gradOut);
  }

  zeroGrad(): void {
    this.#lora.zeroGrad();
  }

  /**
   * One SGD step: the data gradient is first scaled down to norm `maxGradientNorm` if it is
   * longer (gradient clipping, Pascanu et al. 2013: a gate near its threshold can have a steep
   * gradient); EWC++ sees it (Fisher update) and adds its penalty gradient; then the LoRA steps.
   */
  step(learningRate: number, maxGradientNorm: number): void {
    const gradients = this.#lora.gradients();
    let sq = 0;
    for (let i = 0; i < gradients.length; i++) sq += gradients[i]! * gradients[i]!;
    const length = Math.sqrt(sq);
    if (length > maxGradientNorm) {
      const factor = maxGradientNorm / length;
      for (let i = 0; i < gradients.length; i++) gradients[i] = gradients[i]! * factor;
    }
    this.#ewc?.updateFisherAndAddGradient(this.#lora.parameters(), gradients);
    this.#lora.step(learningRate);
  }

  consolidate(): void {
    this.#ewc?.consolidate(this.#lora.parameters());
  }

  /** The largest relative change ‖y − x‖/‖x‖ the adapter makes to `x` (a diagnostic). */
  relativeChange(x: Float32Array, type: TaskType): number {
    const y = this.forward(x, type);
    let diff = 0;
    let size = 0;
    for (let i = 0; i < x.length; i++) {
      diff += (y[i]! - x[i]!) ** 2;
      size += x[i]! * x[i]!;
    }
    return size > 0 ? Math.sqrt(diff / size) : 0;
  }

  state(): AdapterState {
    return this.#lora.state();
  }

  ewcState(): EwcState | null {
    return this.#ewc?.state() ?? null;
  }
}
