/**
 * What a Lambda handler writes while a unit test runs it: Powertools Logger lines (JSON) and
 * Powertools Metrics EMF blobs, both on stdout/stderr. Call in `beforeEach`; vitest's
 * `vi.restoreAllMocks()` in `afterEach` puts the streams back.
 */
import { vi } from 'vitest';
import { z } from 'zod';

const emfSchema = z.looseObject({
  _aws: z.object({
    CloudWatchMetrics: z.array(
      z.object({
        Namespace: z.string(),
        Dimensions: z.array(z.array(z.string())),
        Metrics: z.array(z.object({ Name: z.string(), Unit: z.string() })),
      }),
    ),
  }),
});

/** One EMF metric as CloudWatch will store it: name, namespace, dimensions and value. */
export interface EmittedMetric {
  readonly name: string;
  readonly namespace: string;
  readonly dimensions: Record<string, string>;
  readonly value: unknown;
}

export interface HandlerOutput {
  /** Everything written, for leak checks. */
  text(): string;
  /** Parsed log lines (not EMF). */
  logs(): Record<string, unknown>[];
  metrics(): EmittedMetric[];
}

export function captureHandlerOutput(): HandlerOutput {
  const chunks: string[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk) => {
      chunks.push(String(chunk));
      return true;
    });
  }
  const json = () =>
    chunks
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.startsWith('{'))
      .map((line) => z.record(z.string(), z.unknown()).parse(JSON.parse(line)));
  return {
    text: () => chunks.join(''),
    logs: () => json().filter((line) => !('_aws' in line)),
    metrics: () =>
      json().flatMap((line) => {
        const emf = emfSchema.safeParse(line);
        if (!emf.success) return [];
        return emf.data._aws.CloudWatchMetrics.flatMap((set) =>
          set.Metrics.map((metric) => ({
            name: metric.Name,
            namespace: set.Namespace,
            dimensions: Object.fromEntries(
              set.Dimensions.flat().map((key) => [key, String(line[key])]),
            ),
            value: line[metric.Name],
          })),
        );
      }),
  };
}
