/**
 * IAM policies for API Gateway REST authorizers. API Gateway caches one policy per token and
 * applies it to every method of the API, so an Allow policy lists exactly the routes the
 * token's scopes grant — never just the method that happened to be called first.
 */
import { resourcePattern, type Route } from './routes';

export interface PolicyStatement {
  readonly Action: 'execute-api:Invoke';
  readonly Effect: 'Allow' | 'Deny';
  readonly Resource: string[];
}

export interface AuthorizerPolicy {
  readonly principalId: string;
  readonly policyDocument: {
    readonly Version: '2012-10-17';
    readonly Statement: PolicyStatement[];
  };
  readonly context?: Record<string, string | number | boolean>;
  readonly usageIdentifierKey?: string;
}

/**
 * `arn:aws:execute-api:<region>:<account>:<api-id>/<stage>` from a method ARN such as
 * `arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/tokens/42`.
 */
export function apiStageArn(methodArn: string): string | undefined {
  const match = /^(arn:[a-z-]+:execute-api:[a-z0-9-]+:\d{12}:[A-Za-z0-9]+\/[A-Za-z0-9_-]+)\//.exec(
    methodArn,
  );
  return match?.[1];
}

/** The ARN an Allow statement names for a route; path parameters become `*`. */
export function routeResource(stageArn: string, route: Route): string {
  return `${stageArn}/${resourcePattern(route)}`;
}

export function allowPolicy(
  stageArn: string,
  principalId: string,
  routes: readonly Route[],
  context: Record<string, string | number | boolean>,
): AuthorizerPolicy {
  if (routes.length === 0) return denyPolicy(stageArn, principalId, context);
  return {
    principalId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [
        {
          Action: 'execute-api:Invoke',
          Effect: 'Allow',
          Resource: routes.map((route) => routeResource(stageArn, route)),
        },
      ],
    },
    context,
  };
}

export function denyPolicy(
  stageArn: string,
  principalId: string,
  context?: Record<string, string | number | boolean>,
): AuthorizerPolicy {
  return {
    principalId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [`${stageArn}/*`] }],
    },
    ...(context === undefined ? {} : { context }),
  };
}
