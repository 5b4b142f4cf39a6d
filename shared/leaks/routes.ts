/**
 * The leak intake's routes on the platform's REST API. No authorizer: each request proves who
 * sent it (GitHub's ECDSA signature, or the webhook's HMAC), and the stage throttles them like
 * the other routes without one (infra/rest-api.ts).
 */
export const LEAK_ROUTES = {
  github: { method: 'POST', path: '/leaks/github' },
  webhook: { method: 'POST', path: '/leaks' },
} as const;
