/** `cleanup`: run the daily cleanup schedule now. */
import type { Command } from 'commander';
import { Cleanup } from '../../shared/schedules/cleanup';
import { CliError, type CliContext } from '../context';

/** Adds `cleanup`. */
export function registerMaintenanceCommands(program: Command, context: CliContext): void {
  program
    .command('cleanup')
    .description('--direct: retire ended tokens now (what the daily cleanup schedule does)')
    .action(async () => {
      const { stores, caller } = await context.direct('cleanup');
      const report = await new Cleanup({ stores, now: () => new Date() }).run({
        actor: caller.tokenId,
        requestId: caller.requestId,
      });
      context.print(
        report,
        () =>
          `read ${String(report.itemsRead)}, expired ${String(report.expired)}, grace ended ${String(report.graceEnded)}, unchanged ${String(report.unchanged)}, requests expired ${String(report.requestsExpired + report.grantsExpired)}, failed ${String(report.failures.length)}`,
      );
      if (report.failures.length > 0)
        throw new CliError('Some tokens could not be retired; run it again', 1);
    });
}
