import { CustomResource, Lazy, Stack } from 'aws-cdk-lib';
import { Stage } from 'aws-cdk-lib/aws-apigateway';
import { HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { Construct, type IConstruct } from 'constructs';
import type { Route } from '../../shared/authz/routes';
import type { ApiRegistryAccess } from '../api-registry';

/** The custom resource type of a registration, as the provider expects it. */
export const API_REGISTRATION_TYPE = 'Custom::ServiceTokensApiRegistration';

export interface ApiRegistrationProps {
  /** The platform's registry (`ApiRegistry`, or `ApiRegistry.fromArn(…)`). */
  readonly registry: ApiRegistryAccess;
  readonly kind: 'rest' | 'http';
  /** The API's id; read at synth, so it may be known only after construction. */
  readonly apiId: () => string | undefined;
  /** The stages the authorizer protects; read at synth. */
  readonly stages: () => readonly string[];
  /** The route catalog the authorizer enforces; read at synth. */
  readonly catalog: () => readonly Route[];
}

/**
 * Registers one protected API with the platform at deploy: its id, kind, stages, region,
 * account and route catalog. An update rewrites the item (another API id replaces it), a
 * delete removes it, so the platform's registry follows the consumer's stacks.
 */
export class ApiRegistration extends Construct {
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: ApiRegistrationProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: props.registry.serviceToken,
      resourceType: API_REGISTRATION_TYPE,
      properties: {
        ApiId: Lazy.string({ produce: () => props.apiId() }),
        Kind: props.kind,
        Stages: Lazy.list({ produce: () => [...props.stages()] }),
        Region: stack.region,
        Account: stack.account,
        // JSON: CloudFormation would pass every scalar of a nested object as a string.
        Catalog: Lazy.string({ produce: () => JSON.stringify(props.catalog()) }),
      },
    });
    // In the platform's own stack (ServiceTokens is a construct), CloudFormation must create
    // the provider's policy before it invokes the provider; the function ARN alone orders only
    // the function. Another stack's registry is ordered by the stack dependency already.
    if (Construct.isConstruct(props.registry)) this.resource.node.addDependency(props.registry);
  }
}

/**
 * The stages defined on `api` in this app (REST `Stage`, HTTP `HttpStage`), by name. An
 * imported API has none here: its authorizer names them (`stageNames`).
 */
export function stageNamesOf(api: IConstruct): string[] {
  return api.node
    .findAll()
    .flatMap((child) =>
      child instanceof Stage || child instanceof HttpStage ? [child.stageName] : [],
    );
}
