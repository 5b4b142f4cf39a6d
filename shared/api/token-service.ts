/**
 * The management API's use cases, by family, over the store's repositories. The rules they
 * apply are in ./access.ts (who may do what, pure) and ./guard.ts (refusals, audited); every
 * change is audited by the store in the same transaction.
 */
import { Guard } from './guard';
import { ApiUseCases } from './use-cases/apis';
import { AuditTrailUseCases } from './use-cases/audit-trail';
import { BootstrapUseCases } from './use-cases/bootstrap';
import type { ManagementDeps } from './use-cases/deps';
import { EmergencyUseCases } from './use-cases/emergency';
import { RotationRequestUseCases } from './use-cases/rotation-requests';
import { SessionUseCases } from './use-cases/session';
import { TokenUseCases } from './use-cases/tokens';

export type { CacheFlusher, ManagementDeps as TokenServiceDeps } from './use-cases/deps';

export class TokenService {
  /** The calling token: the re-check before every route, and `/me`. */
  readonly session: SessionUseCases;
  readonly tokens: TokenUseCases;
  readonly emergency: EmergencyUseCases;
  readonly bootstrap: BootstrapUseCases;
  readonly requests: RotationRequestUseCases;
  readonly audit: AuditTrailUseCases;
  /** The registry of protected APIs. */
  readonly apis: ApiUseCases;

  constructor(deps: ManagementDeps) {
    const withGuard = { ...deps, guard: new Guard(deps.stores) };
    this.session = new SessionUseCases(withGuard);
    this.tokens = new TokenUseCases(withGuard);
    this.emergency = new EmergencyUseCases(withGuard);
    this.bootstrap = new BootstrapUseCases(withGuard);
    this.requests = new RotationRequestUseCases(withGuard);
    this.audit = new AuditTrailUseCases(withGuard);
    this.apis = new ApiUseCases(withGuard);
  }
}
