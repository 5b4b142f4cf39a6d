/**
 * Flushes the stage's authorizer cache (API Gateway FlushStageAuthorizersCache): every cached
 * policy of every token goes, so revoked tokens stop at once. Emergency use only: afterwards
 * every client's next request runs the authorizer again.
 */
import { APIGatewayClient, FlushStageAuthorizersCacheCommand } from '@aws-sdk/client-api-gateway';
import type { CacheFlusher } from './token-service';

export class StageCacheFlusher implements CacheFlusher {
  constructor(
    private readonly client: APIGatewayClient,
    private readonly restApiId: string,
    private readonly stageName: string,
  ) {}

  async flush(): Promise<void> {
    await this.client.send(
      new FlushStageAuthorizersCacheCommand({
        restApiId: this.restApiId,
        stageName: this.stageName,
      }),
    );
  }
}
