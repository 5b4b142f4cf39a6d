/** One metrics namespace for the whole platform; services are told apart by dimension. */
export const METRICS_NAMESPACE = 'ServiceTokens';
