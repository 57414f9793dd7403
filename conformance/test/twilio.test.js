'use strict';
// twilio-node against the Twilio sandbox: the operations docs/sandbox-coverage.md lists as supported.
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const twilio = require('twilio');
const sb = require('../sandbox');

const FROM = '+15005550006';
const client = sb.twilioClient();

async function rejects(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail('expected the call to fail');
}

describe('Messages', () => {
  before(async () => {
    await sb.twilioControl('POST', '/sandbox/reset');
  });

  test('create and fetch answer Twilio-shaped messages', async () => {
    const m = await client.messages.create({ to: '+14155551001', from: FROM, body: 'hello node' });
    assert.match(m.sid, /^SM[0-9a-f]{32}$/);
    assert.equal(m.status, 'queued');
    assert.equal(m.to, '+14155551001');
    const f = await client.messages(m.sid).fetch();
    assert.equal(f.body, 'hello node');
    assert.ok(f.dateCreated instanceof Date);
  });

  test('a list of 120 messages pages through every one, filters kept', async () => {
    const to = '+14155551002';
    for (let i = 0; i < 120; i++) {
      await client.messages.create({ to, from: FROM, body: `n${i}` });
    }
    let page = await client.messages.page({ to, pageSize: 50 });
    const sids = [];
    let pages = 0;
    while (page) {
      pages++;
      for (const m of page.instances) {
        assert.equal(m.to, to);
        sids.push(m.sid);
      }
      page = await page.nextPage();
    }
    assert.equal(pages, 3);
    assert.equal(new Set(sids).size, 120);
    const all = await client.messages.list({ to, pageSize: 7 });
    assert.equal(all.length, 120);
  });

  test('an invalid To answers 400 / 21211 as a RestException', async () => {
    const e = await rejects(client.messages.create({ to: 'not-a-number', from: FROM, body: 'x' }));
    assert.equal(e.status, 400);
    assert.equal(e.code, 21211);
    assert.match(e.moreInfo, /twilio\.com\/docs\/errors\/21211/);
  });

  test('an unknown message is 404 / 20404', async () => {
    const e = await rejects(client.messages('SM' + '0'.repeat(32)).fetch());
    assert.equal(e.status, 404);
    assert.equal(e.code, 20404);
  });

  test('a finished message is redacted with an empty body, then deleted', async () => {
    const m = await client.messages.create({ to: '+14155551003', from: FROM, body: 'secret' });
    await sb.until(async () => (await client.messages(m.sid).fetch()).status === 'delivered');
    const r = await client.messages(m.sid).update({ body: '' });
    assert.equal(r.body, '');
    assert.equal(await client.messages(m.sid).remove(), true);
    const e = await rejects(client.messages(m.sid).fetch());
    assert.equal(e.code, 20404);
  });

  test('an empty optional value is accepted', async () => {
    const m = await client.messages.create({
      to: '+14155551004', from: FROM, body: 'x', statusCallback: '', validityPeriod: undefined,
    });
    assert.equal(m.status, 'queued');
  });

  describe('status callbacks', () => {
    let server;
    const hits = [];
    before(async () => {
      server = http.createServer((req, res) => {
        let data = '';
        req.on('data', (c) => (data += c));
        req.on('end', () => {
          hits.push({ url: req.url, headers: req.headers, params: Object.fromEntries(new URLSearchParams(data)) });
          res.writeHead(204);
          res.end();
        });
      });
      await new Promise((r) => server.listen(0, '127.0.0.1', r));
    });
    after(() => server.close());

    test('arrive signed so that twilio-node validateRequest accepts them', async () => {
      const url = `http://127.0.0.1:${server.address().port}/status`;
      const m = await client.messages.create({ to: '+14155551005', from: FROM, body: 'cb', statusCallback: url });
      const got = await sb.until(() => {
        const mine = hits.filter((h) => h.params.MessageSid === m.sid);
        return mine.some((h) => h.params.MessageStatus === 'delivered') && mine;
      });
      assert.deepEqual(got.map((h) => h.params.MessageStatus), ['sending', 'sent', 'delivered']);
      for (const h of got) {
        assert.ok(twilio.validateRequest(sb.AUTH_TOKEN, h.headers['x-twilio-signature'], url, h.params));
      }
      assert.equal(twilio.validateRequest('wrong-token', got[0].headers['x-twilio-signature'], url, got[0].params), false);
    });
  });
});

describe('Calls', () => {
  test('create, fetch and hang up', async () => {
    const c = await client.calls.create({ to: '+14155551010', from: FROM, twiml: '<Response><Say>Hi</Say></Response>' });
    assert.match(c.sid, /^CA[0-9a-f]{32}$/);
    const f = await client.calls(c.sid).fetch();
    assert.equal(f.sid, c.sid);
    const done = await client.calls(c.sid).update({ status: 'completed' });
    assert.ok(['completed', 'canceled'].includes(done.status));
  });
});

describe('Verify', () => {
  test('a service is created and fetched, a code is sent and checked', async () => {
    const svc = await client.verify.v2.services.create({ friendlyName: 'Node conformance' });
    assert.match(svc.sid, /^VA[0-9a-f]{32}$/);
    assert.equal((await client.verify.v2.services(svc.sid).fetch()).friendlyName, 'Node conformance');
    const to = '+14155551020';
    const v = await client.verify.v2.services(svc.sid).verifications.create({ to, channel: 'sms' });
    assert.equal(v.status, 'pending');
    const inbox = (await sb.twilioControl('GET', `/sandbox/handsets/${encodeURIComponent(to)}/inbox`)).body;
    const code = inbox.filter((e) => e.kind === 'verification').pop().code;
    const wrong = await client.verify.v2.services(svc.sid).verificationChecks.create({ to, code: '000000' === code ? '111111' : '000000' });
    assert.equal(wrong.status, 'pending');
    const ok = await client.verify.v2.services(svc.sid).verificationChecks.create({ to, code });
    assert.equal(ok.status, 'approved');
  });

  test('a service SID that was never created is 404 / 20404', async () => {
    const e = await rejects(client.verify.v2.services('VA' + '5'.repeat(32)).verifications.create({ to: '+14155551021', channel: 'sms' }));
    assert.equal(e.status, 404);
    assert.equal(e.code, 20404);
  });
});

describe('Senders: numbers, Messaging Services, A2P, toll-free', () => {
  before(async () => {
    await sb.twilioControl('POST', '/sandbox/reset');
  });

  test('a number is listed, its SmsUrl updated and fetched back', async () => {
    const numbers = await client.incomingPhoneNumbers.list();
    const n = numbers.find((x) => x.phoneNumber === FROM);
    assert.ok(n, 'the sandbox owns ' + FROM);
    assert.match(n.sid, /^PN[0-9a-f]{32}$/);
    assert.equal(n.capabilities.sms, true);
    const url = 'https://connector.example.com/webhooks/twilio/inbound';
    const updated = await client.incomingPhoneNumbers(n.sid).update({ smsUrl: url });
    assert.equal(updated.smsUrl, url);
    assert.equal((await client.incomingPhoneNumbers(n.sid).fetch()).smsUrl, url);
  });

  test('a Messaging Service is listed and updated; its pool, campaign and toll-free verifications read', async () => {
    const services = await client.messaging.v1.services.list();
    assert.ok(services.length >= 1);
    const svc = services[0];
    assert.match(svc.sid, /^MG[0-9a-f]{32}$/);
    const cb = 'https://connector.example.com/webhooks/twilio/message-status';
    assert.equal((await client.messaging.v1.services(svc.sid).update({ statusCallback: cb })).statusCallback, cb);
    const pool = await client.messaging.v1.services(svc.sid).phoneNumbers.list();
    assert.ok(pool.some((p) => p.phoneNumber === FROM));
    const campaigns = await client.messaging.v1.services(svc.sid).usAppToPerson.list();
    assert.equal(campaigns[0].campaignStatus, 'VERIFIED');
    const verifications = await client.messaging.v1.tollfreeVerifications.list();
    assert.ok(Array.isArray(verifications));
  });

  test('a Messaging Service the account does not have is 404 / 20404', async () => {
    const e = await rejects(client.messaging.v1.services('MG' + '7'.repeat(32)).fetch());
    assert.equal(e.status, 404);
    assert.equal(e.code, 20404);
  });
});

describe('outside the emulated surface', () => {
  test('answers Twilio\'s 404 naming the path and the coverage table', async () => {
    const r = await fetch(`${sb.TWILIO_URL}/2010-04-01/Accounts/${sb.ACCOUNT_SID}/Queues.json`, {
      headers: { Authorization: 'Basic ' + Buffer.from(`${sb.ACCOUNT_SID}:${sb.AUTH_TOKEN}`).toString('base64') },
    });
    assert.equal(r.status, 404);
    const body = await r.json();
    assert.equal(body.code, 20404);
    assert.match(body.message, /Queues\.json/);
    assert.match(body.message, /sandbox-coverage\.md/);
  });
});
