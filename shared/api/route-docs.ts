/** The routes as the OpenAPI document (and the tests' request matcher) read them. */
import { ROUTES } from './routes';

/** Everything the OpenAPI document needs about each route. */
export const ROUTE_DOCS = ROUTES.map((route) => ({
  method: route.method,
  path: route.path,
  scopes: route.scopes,
  operationId: route.operationId,
  public: route.public === true,
  anonymous: route.anonymous === true,
  refusals: route.refusals ?? [],
  params: route.params,
  status: route.status,
  summary: route.summary,
  body: route.body,
  query: route.query,
  response: route.response,
}));
