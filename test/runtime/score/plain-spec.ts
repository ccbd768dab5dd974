/** A pipeline of `width` raw features f0..f(width-1): no windows, no scaling, threshold 1 (score tests). */
import { PIPELINE_VERSION, type PipelineSpec } from '../../../sdk/runtime';

export function plainSpec(width: number): PipelineSpec {
  const features = Array.from({ length: width }, (_, i) => `f${i}`);
  return {
    version: PIPELINE_VERSION, inputs: features.map((name) => ({ name, fill: 0 })), windows: [], features,
    scaler: { kind: 'none', offset: features.map(() => 0), scale: features.map(() => 1) },
    threshold: { value: 1, method: 'fixed' },
    model: { format: 'tfjs-layers', path: 'model.json', inputSize: width, layers: [1], activation: 'relu', outputActivation: 'linear' },
    schema: { fields: [] },
  };
}
