/**
 * One invocation of the authorizer as Lambda runs it with active tracing, in a process of its
 * own (the X-Ray SDK picks its Lambda mode when it loads): the event comes as JSON in
 * `TRACED_EVENT`, the subsegments go over UDP to `AWS_XRAY_DAEMON_ADDRESS`.
 */
import { lambdaContext } from '../../local/aws/lambda-context';

const { handler } = await import('../../functions/authorizer');
const event: unknown = JSON.parse(process.env['TRACED_EVENT'] ?? '{}');
const result = await handler(event, lambdaContext('authorizer'));
process.stdout.write(`${JSON.stringify(result)}\n`);
