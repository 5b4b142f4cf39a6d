import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ServiceTokens, type ServiceTokensProps } from './service-tokens';

export interface ServiceTokensStackProps extends StackProps, ServiceTokensProps {}

/**
 * The repository's own deployable stack: the ServiceTokens construct alone. Its id is
 * `Default`, which CDK leaves out of logical ids, so the resources keep the ids they had when
 * the stack built them itself and a deployed stack updates in place.
 */
export class ServiceTokensStack extends Stack {
  readonly platform: ServiceTokens;

  constructor(scope: Construct, id: string, props: ServiceTokensStackProps = {}) {
    super(scope, id, props);
    this.platform = new ServiceTokens(this, 'Default', props);
  }
}
