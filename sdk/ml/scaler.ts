/**
 * Feature scalers as objects, for use outside a model (the Autoencoder keeps its own, fitted on
 * its training rows and saved in pipeline.json). The arithmetic is pipeline.ts's.
 */
import { KafkalabError } from '../util/errors';
import { fitScaler, scaleInPlace, type ScalerSpec } from '../runtime';

export type ScalerKind = ScalerSpec['kind'];

export class Scaler {
  private spec: ScalerSpec | undefined;

  constructor(readonly kind: ScalerKind) {
    if (!['standard', 'minmax', 'none'].includes(kind)) {
      throw new KafkalabError(`Unknown scaler "${kind}"`, { code: 'BAD_OPTION', hint: "use 'standard' (mean 0, std 1), 'minmax' (0..1) or 'none'" });
    }
  }

  static fromSpec(spec: ScalerSpec): Scaler {
    const s = new Scaler(spec.kind);
    s.spec = { kind: spec.kind, offset: [...spec.offset], scale: [...spec.scale] };
    return s;
  }

  get fitted(): boolean {
    return this.spec !== undefined;
  }

  /** Fits on a row-major matrix of `features` columns. */
  fit(matrix: ArrayLike<number>, features: number): this {
    this.spec = fitScaler(this.kind, matrix, features);
    return this;
  }

  /** Scales a copy (or, with `inPlace`, the matrix itself) to Float32. */
  transform(matrix: ArrayLike<number>, opts: { inPlace?: boolean } = {}): Float32Array {
    const spec = this.toSpec();
    const m = opts.inPlace && matrix instanceof Float32Array ? matrix : Float32Array.from(matrix);
    return scaleInPlace(spec, m);
  }

  fitTransform(matrix: ArrayLike<number>, features: number): Float32Array {
    return this.fit(matrix, features).transform(matrix);
  }

  /** Back to the original units. */
  inverse(matrix: ArrayLike<number>): Float64Array {
    const { offset, scale } = this.toSpec();
    const out = new Float64Array(matrix.length);
    for (let i = 0; i < matrix.length; i++) out[i] = matrix[i] * scale[i % scale.length] + offset[i % offset.length];
    return out;
  }

  toSpec(): ScalerSpec {
    if (!this.spec) throw new KafkalabError('The scaler is not fitted', { code: 'NOT_FITTED', hint: 'call scaler.fit(matrix, features) first' });
    return this.spec;
  }
}

export class StandardScaler extends Scaler {
  constructor() {
    super('standard');
  }
}

export class MinMaxScaler extends Scaler {
  constructor() {
    super('minmax');
  }
}
