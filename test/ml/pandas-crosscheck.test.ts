// Cross-checks the arithmetic against implementations nobody here wrote: pandas' per-group
// rolling windows, numpy's percentile, and a pandas rank-based ROC-AUC.
import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { carReadings } from '../../sdk/ingest/simulator';
import { featureMatrix, PIPELINE_VERSION, windowFeatureNames, type PipelineSpec, type WindowFeatureSpec } from '../../sdk/runtime';
import { percentile, rocAuc } from '../../sdk/ml/metrics';
import { missingPython, needing } from '../helpers/skip';

const PYTHON = '/usr/bin/python3';
const test = needing(uvuTest, missingPython('pandas, numpy', 'apt-get install -y python3-pandas python3-numpy'));

function python(script: string, input: unknown): any {
  return JSON.parse(execFileSync(PYTHON, ['-c', script], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 64 << 20 }));
}

const records = carReadings({ cars: 4, readingsPerCar: 300, seed: 17, anomalyRate: 0.05 });

test('windowed features equal pandas groupby().rolling()', () => {
  const windows: WindowFeatureSpec[] = [
    { field: 'engine_vibration_amplitude', size: 10, stats: ['mean', 'std', 'min', 'max'] },
    { field: 'speed', size: 5, stats: ['mean', 'diff'] },
  ];
  const features = windowFeatureNames(windows);
  const spec: PipelineSpec = {
    version: PIPELINE_VERSION, key: 'carId', inputs: [{ name: 'engine_vibration_amplitude', fill: 0 }, { name: 'speed', fill: 0 }], windows, features,
    scaler: { kind: 'none', offset: features.map(() => 0), scale: features.map(() => 1) }, threshold: { value: 1, method: 'fixed' },
    model: { format: 'tfjs-layers', path: '', inputSize: features.length, layers: [], activation: 'linear', outputActivation: 'linear' }, schema: { fields: [] },
  };
  const cols = { carId: records.map((r) => r.carId), engine_vibration_amplitude: records.map((r) => r.engine_vibration_amplitude), speed: records.map((r) => r.speed) };
  const ours = featureMatrix(spec, cols, records.length);
  const theirs: number[][] = python(
    `
import sys, json, pandas as pd
df = pd.DataFrame(json.load(sys.stdin))
g = df.groupby('carId', sort=False)
v = g['engine_vibration_amplitude'].rolling(10, min_periods=1)
s = g['speed'].rolling(5, min_periods=1)
out = pd.DataFrame({
  'a': v.mean().reset_index(level=0, drop=True), 'b': v.std(ddof=0).reset_index(level=0, drop=True),
  'c': v.min().reset_index(level=0, drop=True), 'd': v.max().reset_index(level=0, drop=True),
  'e': s.mean().reset_index(level=0, drop=True), 'f': g['speed'].diff().fillna(0),
}).sort_index()
print(json.dumps(out.values.tolist()))
`,
    cols,
  );
  const nf = features.length;
  let worst = 0;
  for (let r = 0; r < records.length; r++) {
    for (let f = 0; f < nf; f++) worst = Math.max(worst, Math.abs(ours[r * nf + f] - theirs[r][f]) / Math.max(1, Math.abs(theirs[r][f])));
  }
  assert.ok(worst < 1e-5, `largest relative difference ${worst}`);
});

test('percentile equals numpy, ROC-AUC equals the pandas rank formula', () => {
  // Quantised scores, so that ties occur and their handling is compared too.
  const scores = records.map((r, i) => Math.round((r.engine_vibration_amplitude + (i % 7) * 0.01) * 20) / 20);
  const labels = records.map((r) => r.anomaly);
  const theirs = python(
    `
import sys, json, numpy as np, pandas as pd
d = json.load(sys.stdin)
s = pd.Series(d['scores']); y = pd.Series(d['labels'])
ranks = s.rank(method='average')
pos = int(y.sum()); neg = len(y) - pos
auc = (ranks[y == 1].sum() - pos * (pos + 1) / 2) / (pos * neg)
print(json.dumps({'auc': float(auc), 'p': [float(np.percentile(d['scores'], q)) for q in (50, 99, 99.5, 99.9)]}))
`,
    { scores, labels },
  );
  assert.ok(Math.abs(rocAuc(scores, labels) - theirs.auc) < 1e-12, `${rocAuc(scores, labels)} vs ${theirs.auc}`);
  [50, 99, 99.5, 99.9].forEach((q, i) => assert.ok(Math.abs(percentile(scores, q) - theirs.p[i]) < 1e-12, `p${q}`));
});

test.run();
