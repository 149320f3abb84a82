/** Figure of the computing-resources comparison (spec 3.4): one bar chart per metric. */
import type { ResourcesResult } from '../experiments/resources.js';
import { barChart, concatCharts } from '../report/charts.js';
import type { VegaLiteSpec } from '../report/charts.js';

export function resourcesFigure(result: ResourcesResult): VegaLiteSpec {
  const { batch, T } = result.config;
  const panel = (title: string, yLabel: string, value: (m: ResourcesResult['models'][number]) => number) =>
    barChart({
      title,
      xLabel: 'model',
      yLabel,
      bars: result.models.map((m) => ({ label: m.model, value: value(m) })),
      width: 60 * Math.max(3, result.models.length),
      height: 200,
    });
  return concatCharts(
    [
      panel('Parameters', 'parameters (millions)', (m) => m.params / 1e6),
      panel('FLOPs per inference', 'MFLOP per sample', (m) => m.flopsPerSample / 1e6),
      panel('Memory kept for backward', `MiB per batch of ${batch}`, (m) => m.peakActivationBytes / 2 ** 20),
      panel('Training time', `ms per batch of ${batch}`, (m) => m.trainMsPerBatch),
      panel('Inference time', `ms per batch of ${batch}`, (m) => m.inferMsPerBatch),
    ],
    3,
    `Computing resources (T = ${T}, backend ${result.config.backend})`,
  );
}
