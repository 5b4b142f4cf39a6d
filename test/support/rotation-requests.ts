/** A stored rotation request for pure and mocked tests; override what the test is about. */
import type { RequestState, RotationRequest } from '../../shared/token/record';

export const REQUESTED_AT = '2026-06-01T00:00:00.000Z';
export const DECIDED_AT = '2026-06-02T00:00:00.000Z';
export const GRANT_EXPIRES_AT = '2026-06-02T12:00:00.000Z';

/** Request `rrq_1`, asked by `tok_owner`; decided by `tok_admin` unless pending; granted if approved or executed. */
export function rotationRequest(
  state: RequestState,
  overrides: Partial<RotationRequest> = {},
): RotationRequest {
  return {
    requestId: 'rrq_1',
    state,
    reason: 'quarterly',
    requestedBy: 'tok_owner',
    requestedAt: REQUESTED_AT,
    ...(state === 'pending' ? {} : { decidedBy: 'tok_admin', decidedAt: DECIDED_AT }),
    ...(state === 'approved' || state === 'executed' ? { grantExpiresAt: GRANT_EXPIRES_AT } : {}),
    ...overrides,
  };
}
