import { type Checkpoint, createCheckpoint } from '@sona/checkpoint';
import { type EngineState, SonaEngine } from '@sona/engine';

/**
 * The checkpoint of a SONA learner's `state()` (as a benchmark job returns it): the engine is
 * rebuilt from the state and writes its own checkpoint content, so the file resumes exactly.
 */
export function sonaCheckpoint(state: unknown, model: string, seed: number): Checkpoint {
  const engine = SonaEngine.fromState(state as EngineState);
  return createCheckpoint(
    engine.toCheckpointRecord({ model: { name: model, sizeBillions: engine.modelParamsB }, seed }),
  );
}
