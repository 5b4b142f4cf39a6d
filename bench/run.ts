/** `npm run bench`: every benchmark section, one table. Exits non-zero if a target is missed. */
import { cpus } from 'node:os';
import { printTable, verdict, type BenchRow } from './report';
import { benchAuthorizer } from './authorizer';
import { benchRotation } from './rotation';
import { benchSchedules } from './schedules';
import { benchSchedulesAtScale } from './schedules-scale';
import { benchTokenCore } from './token-core';

const rows: BenchRow[] = [
  ...(await benchTokenCore()),
  ...(await benchAuthorizer()),
  ...(await benchRotation()),
  ...(await benchSchedules()),
  // 50k and 200k live tokens, seeded: a few minutes (`npm run bench:schedules` runs it alone).
  ...(await benchSchedulesAtScale()),
];

console.log(
  `Node ${process.version} on ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores), one thread`,
);
printTable(rows);
const missed = rows.filter((row) => verdict(row) === 'MISSED');
if (missed.length > 0) {
  console.error(`Missed targets: ${missed.map((row) => row.name).join(', ')}`);
  process.exitCode = 1;
}
