import { Fn, Token } from 'aws-cdk-lib';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { grantKeyArnVia, KEY_READ_WRITE_ACTIONS } from './kms-grants';
import { ITEM_READ_ACTIONS, USAGE_UPDATE_ACTIONS, USAGE_UPDATE_CONDITIONS } from './table-perms';

/**
 * What an authorizer needs of the platform's token table, in the platform's account
 * (TokenTables) or in another one (TokenTables.fromArns).
 */
export interface TokenTableAccess {
  /**
   * The TableName the authorizer calls DynamoDB with: the table's name, or its ARN for a
   * table in another account (DynamoDB takes a table ARN wherever it takes a TableName).
   */
  readonly tokensTableName: string;
  /**
   * The authorizer: read a token by its hash, and record its use (UpdateItem of the usage
   * attributes only); the key only through DynamoDB.
   */
  grantAuthorizerRead(grantee: IGrantable): Grant;
}

/** The platform's token table and its key, as another account's consumer names them. */
export interface TokenTableArns {
  /** The token table's ARN (the platform stack's TokensTableArn output). */
  readonly tokensTableArn: string;
  /** The ARN of the KMS key that encrypts it (the platform stack's TokensKeyArn output). */
  readonly keyArn: string;
}

/** Where the table is, and the key that encrypts it. */
interface AuthorizerTarget {
  readonly tableArn: string;
  readonly keyArn: string;
  /** The table's region: the key is used through DynamoDB there. */
  readonly region: string;
}

/**
 * The authorizer's statements on `grantee`'s identity policy: GetItem, the usage UpdateItem
 * (fine-grained access control), and the key through DynamoDB. One definition for both the
 * same-account and the cross-account consumer.
 */
export function grantAuthorizerAccess(grantee: IGrantable, target: AuthorizerTarget): Grant {
  return Grant.addToPrincipal({
    grantee,
    actions: ITEM_READ_ACTIONS,
    resourceArns: [target.tableArn],
  })
    .combine(
      Grant.addToPrincipal({
        grantee,
        actions: USAGE_UPDATE_ACTIONS,
        resourceArns: [target.tableArn],
        conditions: USAGE_UPDATE_CONDITIONS,
      }),
    )
    .combine(
      grantKeyArnVia(grantee, target.keyArn, 'dynamodb', target.region, KEY_READ_WRITE_ACTIONS),
    );
}

const TABLE_ARN = /^arn:aws[a-z-]*:dynamodb:([a-z0-9-]+):\d{12}:table\/[A-Za-z0-9_.-]{3,255}$/;
const KEY_ARN = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d{12}:key\/[0-9a-f-]+$/;

/**
 * The platform's token table by ARN, for an authorizer in another account: the grant is an
 * explicit identity policy naming the foreign table and key, which the platform's resource and
 * key policies (`consumerAccounts`) let that account use.
 */
export class ImportedTokenTable implements TokenTableAccess {
  readonly tokensTableName: string;
  private readonly target: AuthorizerTarget;

  constructor(arns: TokenTableArns) {
    const tableRegion = checkedRegion('tokensTableArn', arns.tokensTableArn, TABLE_ARN);
    const keyRegion = checkedRegion('keyArn', arns.keyArn, KEY_ARN);
    if (tableRegion !== undefined && keyRegion !== undefined && tableRegion !== keyRegion) {
      throw new Error(
        `TokenTables.fromArns: keyArn is in ${keyRegion}, the table in ${tableRegion}; a table's key is in the table's region`,
      );
    }
    this.tokensTableName = arns.tokensTableArn;
    this.target = {
      tableArn: arns.tokensTableArn,
      keyArn: arns.keyArn,
      // An ARN known only at deploy: its region is its fourth field.
      region: tableRegion ?? Fn.select(3, Fn.split(':', arns.tokensTableArn)),
    };
  }

  grantAuthorizerRead(grantee: IGrantable): Grant {
    return grantAuthorizerAccess(grantee, this.target);
  }
}

/** The region of a literal ARN of the expected form (undefined for a token), or a clear error. */
function checkedRegion(name: string, arn: string, pattern: RegExp): string | undefined {
  if (Token.isUnresolved(arn)) return undefined;
  const region = pattern.exec(arn)?.[1];
  if (region === undefined) {
    const example =
      name === 'keyArn'
        ? 'arn:aws:kms:eu-west-1:111111111111:key/<key id>'
        : 'arn:aws:dynamodb:eu-west-1:111111111111:table/<table name>';
    throw new Error(`TokenTables.fromArns: ${name} "${arn}" is not an ARN like ${example}`);
  }
  return region;
}
