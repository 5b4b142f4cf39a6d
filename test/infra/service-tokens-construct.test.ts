/**
 * ServiceTokens, the platform as a construct: it goes into a team's own stack beside that
 * team's resources and APIs, and ServiceTokensStack is only a wrapper that keeps the ids a
 * deployed stack already has.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { MockIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { describe, expect, it } from 'vitest';
import { RestApiTokenAuthorizer } from '../../infra/consumer';
import { ServiceTokens } from '../../infra/service-tokens';
import { ServiceTokensStack } from '../../infra/service-tokens-stack';
import { appWithNag, nagFindings } from './nag';

/** Logical ids of the stateful resources: a change would replace them, and lose the tokens. */
const STATEFUL_IDS = ['TablesTokens107FFD66', 'TablesAuditCEFF9E0F', 'TablesKeyD3984C03'];

/**
 * A team's stack with the platform, and an API of the team's own behind a consumer authorizer.
 * Its region is given, so ARNs hold it (not the region token): cdk-nag findings must match.
 */
function teamStack(app: App): Stack {
  const stack = new Stack(app, 'Team', { env: { account: '111111111111', region: 'eu-west-1' } });
  const platform = new ServiceTokens(stack, 'Tokens', { retainData: false });
  const api = new RestApi(stack, 'Orders', { deploy: false });
  const authorizer = new RestApiTokenAuthorizer(stack, 'OrdersAuth', {
    tables: platform.tables,
    registry: platform.registry,
    // The API is deployed elsewhere (deploy: false): the authorizer names the stage it registers.
    stageNames: ['prod'],
  });
  authorizer.protect(api.root.addResource('orders'), 'GET', new MockIntegration(), {
    scopes: ['orders:read'],
  });
  return stack;
}

describe('ServiceTokens construct', () => {
  it("keeps the deployed stack's logical ids: the tables and the key are not replaced", () => {
    const template = Template.fromStack(new ServiceTokensStack(new App(), 'ServiceTokens'));
    const ids = Object.keys(template.toJSON()['Resources'] as object);
    expect(ids).toEqual(expect.arrayContaining(STATEFUL_IDS));
    expect(ids.filter((id) => id.startsWith('Default'))).toEqual([]);
  });

  it("serves only the management API: a team's backends belong on its own APIs", () => {
    const stack = new ServiceTokensStack(new App(), 'ServiceTokens');
    const paths = stack.platform.api.catalog.map((route) => route.path);
    expect(
      paths.filter((path) => !path.startsWith('/tokens') && !path.startsWith('/rotation')),
    ).toEqual(['/me', '/audit', '/apis']);
  });

  it("synthesizes inside a team's stack, its constructs clean under cdk-nag", () => {
    // The team's bare RestApi has findings of its own (request validation, logging role).
    const ours = nagFindings(appWithNag(), teamStack).filter((finding) =>
      /Team\/(Tokens|OrdersAuth)\//.test(finding),
    );
    expect(ours).toEqual([]);
  });

  it('names its resources under its own id in that stack', () => {
    const template = Template.fromStack(teamStack(new App()));
    const tables = template.findResources('AWS::DynamoDB::Table');
    expect(Object.keys(tables).every((id) => id.startsWith('TokensTables'))).toBe(true);
    // Tokens, audit and the API registry.
    expect(Object.keys(tables)).toHaveLength(3);
  });
});
