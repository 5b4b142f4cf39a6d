/**
 * The DynamoDB action lists of the token tables' grants (infra/token-tables.ts), named once
 * like aws-dynamodb's perms.ts. Narrower than aws-cdk-lib's READ_DATA_ACTIONS and
 * WRITE_DATA_ACTIONS: no Scan, no batch operations, and DeleteItem only on the API registry
 * (TTL deletes token and audit items).
 */

/** Read one item by its key. */
export const ITEM_READ_ACTIONS = ['dynamodb:GetItem'];

/** Read an item and change it in place (leases, status changes); never create one. */
export const ITEM_UPDATE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:UpdateItem'];

/** Read, create and change items (the conditional transactions of issue and rotation). */
export const ITEM_READ_WRITE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
];

/** Add an item (an audit event); never read or change one. */
export const ITEM_APPEND_ACTIONS = ['dynamodb:PutItem'];

/** Put and delete whole items (the API registry's items; no read, no update). */
export const REGISTRY_WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:DeleteItem'];

/** Query a table or one of its indexes. */
export const QUERY_ACTIONS = ['dynamodb:Query'];

/** The authorizer's usage write: an UpdateItem limited by the conditions below. */
export const USAGE_UPDATE_ACTIONS = ['dynamodb:UpdateItem'];

/**
 * The attributes the usage write may name (fine-grained access control): the key, the two
 * usage counters and the rotation-policy due date (which the write brings forward under heavy
 * use), so the authorizer cannot change a token's status, scopes or expiry.
 */
export const USAGE_ATTRIBUTES = ['tokenHash', 'lastUsedAt', 'useCount', 'policyDueAt'];

/** ReturnValues the usage write may ask for: only the attributes it updated, or none. */
export const USAGE_RETURN_VALUES = ['NONE', 'UPDATED_OLD', 'UPDATED_NEW'];

/** The conditions of the usage write, in an identity policy and in the table's resource policy. */
export const USAGE_UPDATE_CONDITIONS = {
  'ForAllValues:StringEquals': { 'dynamodb:Attributes': USAGE_ATTRIBUTES },
  StringEqualsIfExists: { 'dynamodb:ReturnValues': USAGE_RETURN_VALUES },
};
