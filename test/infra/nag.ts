/** Synthesize an app under cdk-nag and return the AwsSolutions findings (empty = compliant). */
import { App, Validations, type Stack } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

const reportSchema = z.object({
  pluginReports: z.array(
    z.object({
      pluginName: z.string(),
      violations: z.array(
        z.object({
          ruleName: z.string(),
          violatingConstructs: z.array(z.object({ constructPath: z.string() })),
        }),
      ),
    }),
  ),
});

export function appWithNag(): App {
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'cdk-')) });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

export function nagFindings(app: App, build: (app: App) => Stack): string[] {
  build(app);
  try {
    app.synth();
  } catch (error) {
    // Findings fail the synth; the report file below lists them all.
    if (!(error instanceof Error) || error.name !== 'ValidationFailed') throw error;
  }
  const report = reportSchema.parse(
    JSON.parse(readFileSync(join(app.outdir, 'validation-report.json'), 'utf8')),
  );
  return report.pluginReports.flatMap((plugin) =>
    plugin.violations.flatMap((v) =>
      v.violatingConstructs.map((c) => `${v.ruleName} ${c.constructPath}`),
    ),
  );
}
