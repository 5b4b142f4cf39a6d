/**
 * API Gateway's TOKEN authorizer: call the authorizer Lambda with the Authorization header (or
 * answer from the policy cache, keyed by that header, for the cache TTL), and evaluate the
 * policy it returns against the request's method ARN.
 */
import { randomUUID } from 'node:crypto';
import * as z from 'zod/mini';
import { wildcardMatches } from '../../shared/authz/routes';
import { lambdaContext, type LambdaHandler } from './lambda-context';

const policySchema = z.object({
  principalId: z.string(),
  policyDocument: z.object({
    Statement: z.array(
      z.object({
        Effect: z.enum(['Allow', 'Deny']),
        Action: z.union([z.string(), z.array(z.string())]),
        Resource: z.union([z.string(), z.array(z.string())]),
      }),
    ),
  }),
  context: z.optional(z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]))),
});

/** The authorizer's answer: a principal, an IAM policy and the context it hands on. */
export type Policy = z.infer<typeof policySchema>;

/** What an authorizer call came to: a policy (fresh or cached), a 401, or a failure (503). */
export type Authorization =
  | { kind: 'policy'; policy: Policy; cached: boolean }
  | { kind: 'unauthorized' }
  | { kind: 'failure' };

const asList = (value: string | string[]) => (Array.isArray(value) ? value : [value]);

/** IAM evaluation of an authorizer policy: an explicit Deny wins, then any Allow, else deny. */
export function policyAllows(policy: Policy, methodArn: string): boolean {
  const matching = policy.policyDocument.Statement.filter(
    (s) =>
      asList(s.Action).some((a) => wildcardMatches(a, 'execute-api:Invoke')) &&
      asList(s.Resource).some((r) => wildcardMatches(r, methodArn)),
  );
  return !matching.some((s) => s.Effect === 'Deny') && matching.some((s) => s.Effect === 'Allow');
}

/** The authorizer Lambda behind API Gateway's authorizer result cache. */
export class TokenAuthorizer {
  private readonly cache = new Map<string, { policy: Policy; until: number }>();

  constructor(
    private readonly handler: LambdaHandler,
    private cacheTtlMs: number,
    private readonly now: () => number,
  ) {}

  /** Change the cache TTL, as redeploying the authorizer with another TTL would (flushes). */
  setCacheTtl(ms: number): void {
    this.cacheTtlMs = ms;
    this.cache.clear();
  }

  /** Drop every cached policy. Returns how many there were. */
  flush(): number {
    const size = this.cache.size;
    this.cache.clear();
    return size;
  }

  /** The policy for this Authorization header, from the cache while it is fresh. */
  async authorize(authorization: string, methodArn: string): Promise<Authorization> {
    const hit = this.cache.get(authorization);
    if (hit !== undefined && hit.until > this.now()) {
      return { kind: 'policy', policy: hit.policy, cached: true };
    }
    this.cache.delete(authorization);
    let result: unknown;
    try {
      result = await this.handler(
        { type: 'TOKEN', authorizationToken: authorization, methodArn },
        lambdaContext('token-authorizer', randomUUID()),
      );
    } catch (error) {
      // Only this exact message means 401; any other error is an authorizer failure (503).
      const unauthorized = error instanceof Error && error.message === 'Unauthorized';
      return unauthorized ? { kind: 'unauthorized' } : { kind: 'failure' };
    }
    const policy = policySchema.safeParse(result);
    if (!policy.success) return { kind: 'failure' };
    if (this.cacheTtlMs > 0) {
      this.cache.set(authorization, { policy: policy.data, until: this.now() + this.cacheTtlMs });
    }
    return { kind: 'policy', policy: policy.data, cached: false };
  }
}
