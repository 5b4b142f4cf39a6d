/** One metrics namespace for the whole platform; services are told apart by dimension. */
export const METRICS_NAMESPACE = 'ServiceTokens';

/** The `decision` dimension of `Decisions` when the token store could not be read. */
export const STORE_ERROR_DECISION = 'store-error';
