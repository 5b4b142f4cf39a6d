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
