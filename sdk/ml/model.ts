/**
 * The dense autoencoder network: building it with seeded initialisers, running it over a
 * row-major matrix in large chunks, and snapshotting weights for early stopping.
 */
import { tf } from '../runtime/score/backend';
import { KafkalabError } from '../util/errors';

export const ACTIVATIONS = ['relu', 'elu', 'selu', 'tanh', 'sigmoid', 'linear', 'softplus', 'swish', 'relu6'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export interface NetworkConfig {
  inputSize: number;
  layers: number[];
  activation: Activation;
  outputActivation: Activation;
  l2: number;
  dropout: number;
  seed: number;
}

export function checkActivation(name: string, option: string): Activation {
  if (!(ACTIVATIONS as readonly string[]).includes(name)) {
    throw new KafkalabError(`${option} "${name}" is not supported`, { code: 'BAD_OPTION', hint: `use one of ${ACTIVATIONS.join(', ')}` });
  }
  return name as Activation;
}

/** Each layer gets its own seed derived from the model's, so that equal sizes still differ. */
export function buildNetwork(c: NetworkConfig): tf.LayersModel {
  const model = tf.sequential({ name: 'autoencoder' });
  const regularizer = c.l2 > 0 ? () => tf.regularizers.l2({ l2: c.l2 }) : () => undefined;
  c.layers.forEach((units, i) => {
    model.add(
      tf.layers.dense({
        units,
        activation: c.activation,
        inputShape: i === 0 ? [c.inputSize] : undefined,
        kernelInitializer: tf.initializers.glorotUniform({ seed: c.seed * 31 + i + 1 }),
        biasInitializer: 'zeros',
        kernelRegularizer: regularizer(),
        name: `dense_${i}`,
      }),
    );
    if (c.dropout > 0 && i < c.layers.length - 1) model.add(tf.layers.dropout({ rate: c.dropout, seed: c.seed * 31 + 100 + i, name: `dropout_${i}` }));
  });
  model.add(
    tf.layers.dense({
      units: c.inputSize,
      activation: c.outputActivation,
      inputShape: c.layers.length === 0 ? [c.inputSize] : undefined,
      kernelInitializer: tf.initializers.glorotUniform({ seed: c.seed * 31 + c.layers.length + 1 }),
      name: 'reconstruction',
    }),
  );
  return model;
}

export type WeightSnapshot = tf.Tensor[];

export function snapshotWeights(model: tf.LayersModel): WeightSnapshot {
  return model.getWeights().map((w) => w.clone());
}

export function restoreWeights(model: tf.LayersModel, snap: WeightSnapshot): void {
  model.setWeights(snap);
}

export function disposeSnapshot(snap: WeightSnapshot | undefined): void {
  if (snap) for (const t of snap) t.dispose();
}

/** Default hidden layers for n features: a bottleneck near n/2, like [14, 7, 14] for 16. */
export function defaultLayers(features: number): number[] {
  const outer = Math.max(2, Math.round(features * 0.875));
  const inner = Math.max(1, Math.round(features * 0.45));
  return [outer, inner, outer];
}
