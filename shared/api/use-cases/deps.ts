/** What every family of management use cases is built from. */
import type { Stores } from '../../store';
import type { ApiRegistryRepository } from '../../store/api-registry';
import type { RotationPolicy } from '../../token/rotation-policy';
import type { Guard } from '../guard';

export interface CacheFlusher {
  /** Drop every cached authorizer policy of the stage. */
  flush(): Promise<void>;
}

export type ManagementStores = Pick<
  Stores,
  'tokens' | 'rotations' | 'requests' | 'bootstrap' | 'audit'
> & {
  /** The protected APIs: the scopes a token may carry, and `GET /apis`. */
  readonly apis: ApiRegistryRepository;
};

export interface ManagementDeps {
  readonly stores: ManagementStores;
  readonly now: () => Date;
  readonly prefix?: string;
  readonly cache?: CacheFlusher;
  /** Tokens per page when emergency-revoking an owner. Default 100. */
  readonly pageSize?: number;
}

export interface UseCaseDeps extends ManagementDeps {
  readonly guard: Guard;
}

/** A page of a listing as asked for. */
export interface PageQuery {
  readonly limit?: number | undefined;
  readonly cursor?: string | undefined;
}

/** What a new token may carry besides its name, owner and scopes. */
export interface TokenExtras {
  readonly metadata?: Readonly<Record<string, string>> | undefined;
  readonly rotationPolicy?: RotationPolicy | undefined;
}
