/**
 * The synthesized template passes cfn-lint and checkov, installed from pinned versions into
 * the project's `.venv-tools` (requirements-tools.txt). checkov's skips are the ones
 * infra/checkov.ts writes, each with its reason; a negative control proves both scanners fail
 * on a bad template.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ServiceTokensStack } from '../../infra/service-tokens-stack';
import { ensureVenv } from '../../local/emulators/python-env';

const scratch = mkdtempSync(join(tmpdir(), 'template-scan-'));
let bin: string;

beforeAll(async () => {
  bin = await ensureVenv({
    dir: '.venv-tools',
    requirements: 'requirements-tools.txt',
    what: 'cfn-lint and checkov',
  });
}, 300_000);

function writeTemplate(name: string, template: unknown): string {
  const file = join(scratch, `${name}.template.json`);
  writeFileSync(file, JSON.stringify(template));
  return file;
}

const stackTemplate = () =>
  writeTemplate(
    'stack',
    Template.fromStack(
      new ServiceTokensStack(new App(), 'Scanned', {
        serviceTokens: [{ id: 'Ci', name: 'ci', owner: 'team-a', scopes: ['orders:read'] }],
        alertSubscriptions: [{ email: 'oncall@example.com' }],
      }),
    ).toJSON(),
  );

/** A template with faults both scanners know: an unencrypted queue, an unknown property. */
const badTemplate = () =>
  writeTemplate('bad', {
    Resources: {
      Queue: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 'soon' } },
    },
  });

function cfnLint(file: string) {
  // W3005 (a DependsOn that a GetAtt already implies): CDK adds it on every function's role
  // policy; it is harmless and not ours to remove.
  const run = spawnSync(
    join(bin, 'cfn-lint'),
    ['--format', 'json', '--ignore-checks', 'W3005', '--', file],
    {
      encoding: 'utf8',
    },
  );
  return z
    .array(z.object({ Rule: z.object({ Id: z.string() }), Message: z.string() }))
    .parse(JSON.parse(run.stdout || '[]'));
}

const checkovSchema = z.object({
  summary: z.object({ passed: z.number(), failed: z.number(), skipped: z.number() }),
  results: z.object({
    failed_checks: z.array(z.object({ check_id: z.string(), resource: z.string() })).default([]),
    skipped_checks: z
      .array(
        z.object({
          check_id: z.string(),
          resource: z.string(),
          check_result: z.object({ suppress_comment: z.string() }),
        }),
      )
      .default([]),
  }),
});

function checkov(file: string) {
  const run = spawnSync(
    join(bin, 'checkov'),
    ['-f', file, '--framework', 'cloudformation', '-o', 'json', '--compact'],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const parsed: unknown = JSON.parse(run.stdout);
  return checkovSchema.parse(Array.isArray(parsed) ? parsed[0] : parsed);
}

describe('template scanners', { timeout: 180_000 }, () => {
  it('cfn-lint finds nothing in the stack, and does find faults in a bad template', () => {
    expect(cfnLint(stackTemplate())).toEqual([]);
    expect(cfnLint(badTemplate()).map((f) => f.Rule.Id)).toContain('E3012');
  });

  it('checkov finds nothing the stack does not skip with a reason', () => {
    const report = checkov(stackTemplate());
    expect(report.results.failed_checks).toEqual([]);
    expect(report.summary.passed).toBeGreaterThan(150);
    for (const skip of report.results.skipped_checks) {
      expect(
        skip.check_result.suppress_comment.length,
        `${skip.check_id} on ${skip.resource}`,
      ).toBeGreaterThan(40);
    }
    expect([...new Set(report.results.skipped_checks.map((s) => s.check_id))].sort()).toEqual([
      'CKV_AWS_115',
      'CKV_AWS_116',
      'CKV_AWS_117',
      'CKV_AWS_120',
      'CKV_AWS_158',
      'CKV_AWS_173',
      'CKV_AWS_27',
      'CKV_AWS_59',
    ]);
  });

  it('checkov fails an unencrypted queue (the scan can fail)', () => {
    expect(checkov(badTemplate()).results.failed_checks.map((f) => f.check_id)).toContain(
      'CKV_AWS_27',
    );
  });
});
