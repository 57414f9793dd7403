'use strict';
// jsforce's streaming client (Faye CometD with the replay extension) against the Salesforce
// sandbox: platform events and change events, live and replayed, as docs/sandbox-coverage.md lists.
// Loaded by test/salesforce.test.js rather than run as a file of its own (node's runner takes every
// file under test/): both reset the org, and node's
// runner may run test files in parallel, while the suites of one file run one after the other.
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { StreamingExtension } = require('jsforce/api/streaming');
const sb = require('./sandbox');

const EVENT = '/event/Send_Message__e';
const CHANGES = '/data/ContactChangeEvent';

let conn;
const clients = [];

/** A streaming client that starts at replayId (-1 new events only, -2 all retained). */
function clientFrom(channel, replayId) {
  const replay = new StreamingExtension.Replay(channel, replayId);
  const client = conn.streaming.createClient([replay]);
  clients.push(client);
  return client;
}

/** Subscribes and resolves once the server has acknowledged the subscription. */
function subscribe(client, channel, received) {
  return new Promise((resolve, reject) => {
    const sub = client.subscribe(channel, (message) => received.push(message));
    sub.callback(() => resolve(sub));
    sub.errback((e) => reject(new Error(`subscribe to ${channel} refused: ${JSON.stringify(e)}`)));
  });
}

describe('streaming', () => {
  before(async () => {
    await sb.salesforceControl('POST', '/sandbox/reset');
    conn = await sb.oauthConnection();
  });

  after(() => {
    for (const c of clients) c.disconnect();
  });

  test('a published platform event reaches a live subscriber with its payload and replay id', async () => {
    const received = [];
    await subscribe(clientFrom(EVENT, -1), EVENT, received);
    const r = await conn.sobject('Send_Message__e').create({ To__c: '+14155552301', Body__c: 'live one' });
    assert.equal(r.success, true);
    const got = await sb.until(() => received.find((m) => m.payload && m.payload.Body__c === 'live one'));
    assert.equal(got.payload.To__c, '+14155552301');
    assert.ok(Number.isInteger(got.event.replayId) && got.event.replayId > 0, JSON.stringify(got.event));
  });

  test('a subscriber that asks for -2 gets the retained events, in order, from the start', async () => {
    await conn.sobject('Send_Message__e').create({ To__c: '+14155552302', Body__c: 'retained a' });
    await conn.sobject('Send_Message__e').create({ To__c: '+14155552303', Body__c: 'retained b' });
    const received = [];
    await subscribe(clientFrom(EVENT, -2), EVENT, received);
    const bodies = await sb.until(() => {
      const b = received.map((m) => m.payload.Body__c);
      return b.includes('retained b') ? b : null;
    });
    assert.ok(bodies.indexOf('retained a') < bodies.indexOf('retained b'), JSON.stringify(bodies));
    const ids = received.map((m) => m.event.replayId);
    assert.deepEqual(ids, [...ids].sort((x, y) => x - y));
  });

  test('a subscriber that resumes after a replay id gets only the events after it', async () => {
    const first = [];
    await subscribe(clientFrom(EVENT, -2), EVENT, first);
    const seen = await sb.until(() => {
      const m = first.find((x) => x.payload.Body__c === 'retained a');
      return m ? m.event.replayId : null;
    });
    const resumed = [];
    await subscribe(clientFrom(EVENT, seen), EVENT, resumed);
    await sb.until(() => resumed.some((m) => m.payload.Body__c === 'retained b'));
    assert.ok(resumed.every((m) => m.event.replayId > seen), JSON.stringify(resumed.map((m) => m.event)));
  });

  test('a record change reaches a change-event subscriber with its header', async () => {
    const received = [];
    await subscribe(clientFrom(CHANGES, -1), CHANGES, received);
    const c = await conn.sobject('Contact').create({ LastName: 'NodeStream', MobilePhone: '+14155552304' });
    await conn.sobject('Contact').update({ Id: c.id, FirstName: 'Changed' });
    const update = await sb.until(() =>
      received.find(
        (m) => m.payload.ChangeEventHeader && m.payload.ChangeEventHeader.changeType === 'UPDATE'
          && m.payload.ChangeEventHeader.recordIds.includes(c.id)));
    assert.equal(update.payload.ChangeEventHeader.entityName, 'Contact');
    // As in Salesforce's CDC, Contact's name is the compound field Name and the header lists
    // the changed fields.
    assert.equal(update.payload.Name.FirstName, 'Changed');
    assert.ok(update.payload.ChangeEventHeader.changedFields.includes('FirstName'));
  });
});
