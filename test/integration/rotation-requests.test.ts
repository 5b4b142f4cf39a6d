/**
 * Rotation requests with approval, through the management API's handler against DynamoDB
 * Local: an owner asks, an admin approves (a one-time grant for 24 hours) or rejects, and using
 * the grant rotates the token in one transaction. Refusals (a non-admin approving, a grant used
 * twice or after it expired) are audited; a rotation that fails leaves the old token working
 * and the request marked failed; cleanup closes lapsed requests and grants.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { inject } from 'vitest';
import { localDynamoClient } from '../../local/aws/clients';
import { Cleanup } from '../../shared/schedules/cleanup';
import type { PlatformStores as Stores } from '../../shared/store';
import { findTokens } from '../../shared/token/format';
import { verifyToken } from '../../shared/token/verify';
import { apiClient } from '../support/api';
import { useDynamo } from '../support/dynamo';
import { FaultInjector } from '../support/fault-injector';
import { DAY_MS, seedCaller } from '../support/tokens';

const dynamo = useDynamo();

const HOUR_MS = 3_600_000;
const request = z.object({ requestId: z.string(), state: z.string() });
const rotated = z.object({
  token: z.string(),
  tokenId: z.string(),
  expiresAt: z.string(),
  predecessor: z.object({ tokenId: z.string(), worksUntil: z.string() }),
});
const auditItems = z.array(
  z.object({
    action: z.string(),
    outcome: z.string(),
    actor: z.string(),
    details: z.optional(z.record(z.string(), z.string())),
  }),
);

const seed = (stores: Stores, owner: string, scopes: string[], now: Date, days = 90) =>
  seedCaller(stores.tokens, owner, scopes, { now, expiresInDays: days });

/** A team token to rotate, the team's own management token, and two admins. */
async function world(options: { stores?: Stores } = {}) {
  // Ticks a millisecond per reading, so audit events (ordered by time) keep their real order.
  let clock = new Date();
  const now = () => {
    clock = new Date(clock.getTime() + 1);
    return clock;
  };
  const stores = options.stores ?? dynamo.stores({ now });
  const call = apiClient(stores, { now });
  const t0 = clock;
  const target = await seed(stores, 'team-a', ['orders:read'], t0);
  // The team's management token: it holds the target's scopes, so it may ask for its rotation.
  const owner = await seed(stores, 'team-a', ['tokens:read', 'orders:read'], t0, 30);
  const admin = await seed(stores, 'platform', ['admin'], t0);
  // Long-lived, so that its own expiry (which caps what it approves) does not bite here.
  const approver = await seed(stores, 'platform', ['admin'], t0, 365);
  const verify = (token: string) =>
    verifyToken(token, { lookup: (h) => stores.tokens.getByHash(h, { consistent: true }), now });
  const audit = async (tokenId: string) =>
    auditItems.parse((await stores.audit.listByTarget(tokenId, { limit: 100 })).items).reverse();
  const ask = async () => {
    const reply = await call(owner, 'POST', `/tokens/${target.tokenId}/rotation-requests`, {
      body: { reason: 'the CI logs printed it' },
    });
    expect(reply.status).toBe(201);
    return request.parse(reply.body).requestId;
  };
  const base = (requestId: string) => `/tokens/${target.tokenId}/rotation-requests/${requestId}`;
  const approve = (requestId: string, by = approver) =>
    call(by, 'POST', `${base(requestId)}/approve`, { body: { graceDays: 1 } });
  const execute = (requestId: string, by = owner) => call(by, 'POST', `${base(requestId)}/execute`);
  return {
    stores,
    call,
    verify,
    audit,
    ask,
    approve,
    execute,
    base,
    target,
    owner,
    admin,
    approver,
    advance: (ms: number) => {
      clock = new Date(clock.getTime() + ms);
    },
    now,
  };
}

const actions = (events: { action: string; outcome: string }[]) =>
  events.map((e) => `${e.action}:${e.outcome}`);

describe('rotation requests with approval', () => {
  it('owner asks, an admin approves, the owner uses the grant: rotated atomically, all audited', async () => {
    const w = await world();
    const requestId = await w.ask();
    const pending = await w.call(w.admin, 'GET', '/rotation-requests');
    expect(pending.body['items']).toEqual([
      expect.objectContaining({
        requestId,
        state: 'pending',
        tokenId: w.target.tokenId,
        reason: 'the CI logs printed it',
      }),
    ]);

    const approved = await w.approve(requestId);
    expect(approved.status).toBe(200);
    const grantExpiresAt = String(approved.body['grantExpiresAt']);
    expect(Date.parse(grantExpiresAt) - w.now().getTime()).toBeGreaterThan(24 * HOUR_MS - 100);
    expect(Date.parse(grantExpiresAt) - w.now().getTime()).toBeLessThanOrEqual(24 * HOUR_MS);

    w.advance(HOUR_MS);
    const reply = await w.execute(requestId);
    expect(reply.status).toBe(201);
    const next = rotated.parse(reply.body);
    // The token's own 90-day lifetime, capped at the expiry of the asking token that receives
    // it (30 days): a grant never hands a token a successor that outlives it.
    expect(reply.body).toMatchObject({ scopes: ['orders:read'], owner: 'team-a', requestId });
    expect(next.expiresAt).toBe((await w.stores.tokens.getById(w.owner.tokenId))?.expiresAt);
    expect(await w.verify(next.token)).toMatchObject({ allowed: true });
    expect(await w.verify(w.target.plaintext)).toMatchObject({ allowed: true, inGrace: true });
    expect(
      Math.abs(Date.parse(next.predecessor.worksUntil) - w.now().getTime() - DAY_MS),
    ).toBeLessThan(100);

    expect((await w.stores.tokens.getById(w.target.tokenId))?.rotationRequest).toMatchObject({
      state: 'executed',
      successorId: next.tokenId,
      executedBy: w.owner.tokenId,
      decidedBy: w.approver.tokenId,
      requestedBy: w.owner.tokenId,
    });
    expect(actions(await w.audit(w.target.tokenId))).toEqual([
      'token.created:success',
      'rotation.requested:success',
      'rotation.approved:success',
      'token.rotated:success',
      'rotation.executed:success',
    ]);
    const [, requested, approval, rotation, execution] = await w.audit(w.target.tokenId);
    expect(requested).toMatchObject({ actor: w.owner.tokenId, details: { requestId } });
    expect(approval).toMatchObject({
      actor: w.approver.tokenId,
      details: { requestId, grantExpiresAt },
    });
    expect(rotation?.details).toMatchObject({ requestId, successorId: next.tokenId });
    expect(execution).toMatchObject({
      actor: w.owner.tokenId,
      details: { requestId, successorId: next.tokenId },
    });
    expect(actions(await w.audit(next.tokenId))).toEqual(['token.created:success']);
    expect(
      (await w.call(w.admin, 'GET', '/rotation-requests', { query: { state: 'approved' } })).body[
        'items'
      ],
    ).toEqual([]);
  });

  it('refuses an approval by a non-admin (403, audited) and by the requester itself', async () => {
    const w = await world();
    const requestId = await w.ask();
    const teamWriter = await seed(w.stores, 'team-a', ['tokens:write', 'orders:read'], w.now());

    const byTeam = await w.approve(requestId, teamWriter);
    expect(byTeam.status).toBe(403);
    expect(byTeam.body['message']).toBe('Only an admin can approve a rotation request');

    // An admin that asked for a rotation cannot approve it as well.
    const own = await w.call(
      w.admin,
      'POST',
      `/tokens/${w.target.tokenId}/rotation-requests/${requestId}/reject`,
      {
        body: { reason: 'not needed' },
      },
    );
    expect(own.status).toBe(200); // rejecting someone else's request is fine…
    const second = await w.call(w.admin, 'POST', `/tokens/${w.target.tokenId}/rotation-requests`, {
      body: { reason: 'admin asks' },
    });
    const adminRequest = request.parse(second.body).requestId;
    const self = await w.approve(adminRequest, w.admin);
    expect(self.status).toBe(403);
    expect(self.body['message']).toMatch(/cannot be decided by the token that asked/);

    expect(actions(await w.audit(w.target.tokenId))).toEqual([
      'token.created:success',
      'rotation.requested:success',
      'rotation.approve:failure',
      'rotation.rejected:success',
      'rotation.requested:success',
      'rotation.approve:failure',
    ]);
    const [, , refused] = await w.audit(w.target.tokenId);
    expect(refused).toMatchObject({
      actor: teamWriter.tokenId,
      details: { requestId, refused: 'Only an admin can approve a rotation request' },
    });
    expect((await w.stores.tokens.getById(w.target.tokenId))?.rotationRequest).toMatchObject({
      requestId: adminRequest,
      state: 'pending',
    });
  });

  it('refuses a grant used twice (409, audited); one successor only, even when both race', async () => {
    const w = await world();
    const requestId = await w.ask();
    await w.approve(requestId);
    const [a, b] = await Promise.all([w.execute(requestId), w.execute(requestId, w.admin)]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    const again = await w.execute(requestId);
    expect(again.status).toBe(409);
    expect(again.body['message']).toMatch(/already used .*single-use/);

    const events = actions(await w.audit(w.target.tokenId));
    expect(events.filter((e) => e === 'rotation.executed:success')).toHaveLength(1);
    expect(events.filter((e) => e === 'rotation.execute:failure')).toHaveLength(2);
    expect(events.filter((e) => e === 'token.rotated:success')).toHaveLength(1);
    const tokens = await dynamo.scanAll(dynamo.tables().tokens);
    expect(tokens.filter((t) => t['rotatedFrom'] === w.target.tokenId)).toHaveLength(1);
  });

  it('refuses a grant used after 24 hours (410, audited), marks it expired, leaves the token as it was', async () => {
    const w = await world();
    const requestId = await w.ask();
    await w.approve(requestId);
    w.advance(24 * HOUR_MS + 1000);

    const late = await w.execute(requestId);

    expect(late.status).toBe(410);
    expect(late.body['message']).toMatch(/expired at/);
    const after = await w.stores.tokens.getById(w.target.tokenId);
    expect(after).toMatchObject({ status: 'active', rotationRequest: { state: 'expired' } });
    expect(after?.rotatedTo).toBeUndefined();
    expect(await w.verify(w.target.plaintext)).toMatchObject({ allowed: true, inGrace: false });
    expect(actions(await w.audit(w.target.tokenId)).slice(-2)).toEqual([
      'rotation.grant-expired:success',
      'rotation.execute:failure',
    ]);
    // The token is free for a new request.
    expect(
      (
        await w.call(w.owner, 'POST', `/tokens/${w.target.tokenId}/rotation-requests`, {
          body: { reason: 'again' },
        })
      ).status,
    ).toBe(201);
  });

  it('a throttled rotation writes nothing and keeps the grant for a retry', async () => {
    const faults = new FaultInjector();
    const client = localDynamoClient(inject('dynamoEndpoint'));
    faults.attach(client);
    const w = await world({ stores: dynamo.stores({ client }) });
    const requestId = await w.ask();
    await w.approve(requestId);

    faults.armNext('TransactWriteItemsCommand', 'throttle'); // the rotation's transaction
    const failed = await w.execute(requestId);

    expect(failed.status).toBe(503);
    expect(await w.verify(w.target.plaintext)).toMatchObject({ allowed: true, inGrace: false });
    const after = await w.stores.tokens.getById(w.target.tokenId);
    expect(after?.rotatedTo).toBeUndefined();
    expect(after?.rotationRequest?.state).toBe('approved');
    const tokens = await dynamo.scanAll(dynamo.tables().tokens);
    expect(tokens.filter((t) => t['rotatedFrom'] === w.target.tokenId)).toEqual([]);
    // The retry within the grant's 24 hours goes through.
    expect((await w.execute(requestId)).status).toBe(201);
    client.destroy();
  });

  it('a token revoked after approval: the grant fails, the request is marked failed', async () => {
    const w = await world();
    const requestId = await w.ask();
    await w.approve(requestId);
    await w.call(w.admin, 'DELETE', `/tokens/${w.target.tokenId}`);

    const reply = await w.execute(requestId);

    expect(reply.status).toBe(409);
    expect(reply.body['message']).toMatch(/cannot be rotated: it is revoked/);
    expect((await w.stores.tokens.getById(w.target.tokenId))?.rotationRequest).toMatchObject({
      state: 'failed',
    });
    expect(actions(await w.audit(w.target.tokenId)).slice(-2)).toEqual([
      'rotation.failed:success',
      'rotation.execute:failure',
    ]);
  });

  it('answers an execute whose transaction committed but whose response was lost as a success', async () => {
    const faults = new FaultInjector();
    const client = localDynamoClient(inject('dynamoEndpoint'));
    faults.attach(client);
    const w = await world({ stores: dynamo.stores({ client }) });
    const requestId = await w.ask();
    await w.approve(requestId);

    faults.armNext('TransactWriteItemsCommand', 'timeout'); // applied, then the answer is lost
    const reply = await w.execute(requestId);

    expect(faults.fired).toEqual({ command: 'TransactWriteItemsCommand', kind: 'timeout' });
    expect(reply.status).toBe(201);
    const next = rotated.parse(reply.body);
    expect(await w.verify(next.token)).toMatchObject({ allowed: true });
    expect((await w.stores.tokens.getById(w.target.tokenId))?.rotationRequest).toMatchObject({
      state: 'executed',
      successorId: next.tokenId,
    });
    client.destroy();
  });

  it("the token itself may ask; a token without its scopes may not, nor use another's grant", async () => {
    const w = await world();
    const self = await w.call(w.target, 'POST', `/tokens/${w.target.tokenId}/rotation-requests`, {
      body: { reason: 'I think I leaked' },
    });
    expect(self.status).toBe(201);
    const requestId = request.parse(self.body).requestId;
    await w.approve(requestId);

    const reader = await seed(w.stores, 'team-a', ['tokens:read'], w.now());
    const sibling = await seed(w.stores, 'team-a', ['tokens:write', 'orders:read'], w.now());
    const other = await seed(w.stores, 'team-a', ['orders:read'], w.now());
    const asked = await w.call(reader, 'POST', `/tokens/${other.tokenId}/rotation-requests`, {
      body: { reason: 'give me that token' },
    });
    expect(asked.status).toBe(403);
    expect(asked.body['message']).toMatch(/missing: orders:read/);
    const taken = await w.execute(requestId, sibling);
    expect(taken.status).toBe(403);
    expect(taken.body['message']).toMatch(/Only the token that asked/);

    expect((await w.execute(requestId, w.target)).status).toBe(201);
    expect(actions(await w.audit(other.tokenId))).toEqual([
      'token.created:success',
      'rotation.request:failure',
    ]);
    expect(actions(await w.audit(w.target.tokenId))).toContain('rotation.execute:failure');
  });

  it('one open request per token; a token of another owner is invisible', async () => {
    const w = await world();
    await w.ask();
    const twice = await w.call(w.owner, 'POST', `/tokens/${w.target.tokenId}/rotation-requests`, {
      body: { reason: 'again' },
    });
    expect(twice.status).toBe(409);
    expect(twice.body['message']).toMatch(/already has an open rotation request/);
    const stranger = await seed(w.stores, 'team-b', ['tokens:write'], w.now());
    const other = await w.call(stranger, 'POST', `/tokens/${w.target.tokenId}/rotation-requests`, {
      body: { reason: 'mine now' },
    });
    expect(other.status).toBe(404);
    // The queue spans owners: admins only.
    expect((await w.call(stranger, 'GET', '/rotation-requests')).status).toBe(403);
  });

  it('cleanup closes requests left undecided for 7 days and grants unused for 24 hours', async () => {
    const w = await world();
    const second = await seed(w.stores, 'team-a', ['orders:read'], w.now());
    const undecided = await w.ask();
    const asked = await w.call(w.owner, 'POST', `/tokens/${second.tokenId}/rotation-requests`, {
      body: { reason: 'rotate me' },
    });
    const granted = request.parse(asked.body).requestId;
    expect(
      (
        await w.call(
          w.approver,
          'POST',
          `/tokens/${second.tokenId}/rotation-requests/${granted}/approve`,
          { body: {} },
        )
      ).status,
    ).toBe(200);
    const cleanup = () =>
      new Cleanup({ stores: w.stores, now: w.now }).run({ actor: 'system:cleanup' });

    w.advance(2 * DAY_MS);
    expect(await cleanup()).toMatchObject({ requestsExpired: 0, grantsExpired: 1, failures: [] });
    w.advance(6 * DAY_MS);
    expect(await cleanup()).toMatchObject({ requestsExpired: 1, grantsExpired: 0, failures: [] });
    expect(await cleanup()).toMatchObject({ requestsExpired: 0, grantsExpired: 0, itemsRead: 0 });

    expect((await w.stores.tokens.getById(w.target.tokenId))?.rotationRequest).toMatchObject({
      requestId: undecided,
      state: 'expired',
    });
    expect((await w.stores.tokens.getById(second.tokenId))?.rotationRequest).toMatchObject({
      requestId: granted,
      state: 'expired',
    });
    expect(actions(await w.audit(w.target.tokenId)).at(-1)).toBe(
      'rotation.request-expired:success',
    );
    expect(actions(await w.audit(second.tokenId)).at(-1)).toBe('rotation.grant-expired:success');
  });

  it('keeps every token out of the tables and the replies', async () => {
    const w = await world();
    const requestId = await w.ask();
    await w.approve(requestId);
    const next = rotated.parse((await w.execute(requestId)).body);
    const everything = JSON.stringify([
      await dynamo.scanAll(dynamo.tables().tokens),
      await dynamo.scanAll(dynamo.tables().audit),
      (await w.call(w.admin, 'GET', `/tokens/${w.target.tokenId}`)).body,
    ]);
    expect(everything).not.toContain(next.token);
    expect(findTokens(everything)).toEqual([]);
  });
});
