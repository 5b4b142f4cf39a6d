/** Typed views of synthesized resources, so assertions never reach into `any`. */
import type { Template } from 'aws-cdk-lib/assertions';
import { z } from 'zod';

export function resources<T extends z.ZodType>(
  template: Template,
  type: string,
  properties: T,
  filter?: Record<string, unknown>,
): { id: string; properties: z.infer<T> }[] {
  const found = template.findResources(
    type,
    filter === undefined ? undefined : { Properties: filter },
  );
  return Object.entries(found).map(([id, resource]) => ({
    id,
    properties: properties.parse(z.object({ Properties: z.unknown() }).parse(resource).Properties),
  }));
}

export interface PolicyStatementView {
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

/**
 * IAM statements as one sorted line per action × resource: `action <name> [via dynamodb]
 * [usage attributes only]`, with `name` naming each resource reference for the test.
 */
export function permissionLines(
  statements: readonly PolicyStatementView[],
  name: (resource: unknown) => string,
): string[] {
  return statements
    .flatMap((statement) =>
      [statement.Action].flat().flatMap((action) =>
        [statement.Resource].flat().map((resource) => {
          const condition = JSON.stringify(statement.Condition ?? {});
          const via = condition.includes('kms:ViaService') ? ' via dynamodb' : '';
          const usage = condition.includes('dynamodb:Attributes') ? ' usage attributes only' : '';
          return `${action} ${name(resource)}${via}${usage}`;
        }),
      ),
    )
    .sort();
}
