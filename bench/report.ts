/** Shared shape of benchmark results and the table `npm run bench` prints. */
import { Bench } from 'tinybench';

export interface BenchRow {
  readonly section: string;
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** A goal from an issue, e.g. `>= 100000`; the verdict column compares against it. */
  readonly target?: { readonly op: '>=' | '<='; readonly value: number };
  readonly note?: string;
}

export function verdict(row: BenchRow): string {
  if (row.target === undefined) return '';
  const ok = row.target.op === '>=' ? row.value >= row.target.value : row.value <= row.target.value;
  return ok ? 'ok' : 'MISSED';
}

function format(value: number): string {
  if (Number.isInteger(value) || Math.abs(value) >= 1000) {
    return Math.round(value).toLocaleString('en-US');
  }
  return value.toPrecision(3);
}

export function printTable(rows: readonly BenchRow[]): void {
  const table = rows.map((row) => ({
    section: row.section,
    measure: row.name,
    value: format(row.value),
    unit: row.unit,
    target: row.target === undefined ? '' : `${row.target.op} ${format(row.target.value)}`,
    verdict: verdict(row),
    note: row.note ?? '',
  }));
  console.table(table);
}

/**
 * Throughput of fast synchronous operations. Each sample runs a batch of `batch` operations,
 * so timer overhead (tens of ns) does not distort sub-microsecond operations.
 */
export async function measureThroughput(
  tasks: Record<string, (i: number) => unknown>,
  options: { batch?: number; timeMs?: number } = {},
): Promise<Map<string, { opsPerSecond: number; rme: number }>> {
  const batch = options.batch ?? 1_000;
  const bench = new Bench({ time: options.timeMs ?? 1_500, warmup: true });
  let sink = 0;
  for (const [name, op] of Object.entries(tasks)) {
    bench.add(name, () => {
      for (let i = 0; i < batch; i++) if (op(i) !== undefined) sink++;
    });
  }
  await bench.run();
  if (sink < 0) console.log(sink); // keeps results observable so nothing is optimised away
  const results = new Map<string, { opsPerSecond: number; rme: number }>();
  for (const task of bench.tasks) {
    const result = task.result;
    if (result.state !== 'completed') throw new Error(`benchmark "${task.name}" ${result.state}`);
    results.set(task.name, {
      opsPerSecond: result.throughput.mean * batch,
      rme: result.throughput.rme,
    });
  }
  return results;
}
