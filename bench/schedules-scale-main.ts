/** `npm run bench:schedules [sizes…]`: only the scheduled runs at scale, at the sizes given. */
import { printTable, verdict } from './report';
import { benchSchedulesAtScale } from './schedules-scale';

const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => Number.isInteger(n) && n > 0);
const rows = await benchSchedulesAtScale(sizes.length > 0 ? sizes : undefined);
printTable(rows);
const missed = rows.filter((row) => verdict(row) === 'MISSED');
if (missed.length > 0) {
  console.error(`Missed targets: ${missed.map((row) => row.name).join(', ')}`);
  process.exitCode = 1;
}
