'use strict';
// jsforce against the Salesforce sandbox: the operations docs/sandbox-coverage.md lists as supported.
const { test, describe, before } = require('node:test');
const assert = require('node:assert/strict');
const sb = require('../sandbox');

let conn;

describe('login and identity', () => {
  test('jsforce default SOAP login gives a session the REST API accepts', async () => {
    const c = await sb.soapConnection();
    assert.equal(c.instanceUrl, sb.SALESFORCE_URL);
    assert.match(c.userInfo.organizationId, /^00D/);
    const limits = await c.limits();
    assert.ok(limits.DailyApiRequests.Max > 0);
  });

  test('a wrong password is INVALID_LOGIN', async () => {
    const jsforce = require('jsforce');
    const c = new jsforce.Connection({ loginUrl: sb.SALESFORCE_URL });
    await assert.rejects(c.login(sb.SF.username, 'wrong'), /INVALID_LOGIN/);
  });

  test('OAuth password flow, identity URL and userinfo', async () => {
    const c = await sb.oauthConnection();
    const id = await c.identity();
    assert.equal(id.username, sb.SF.username);
    assert.match(id.organization_id, /^00D/);
    const info = await c.request('/services/oauth2/userinfo');
    assert.equal(info.preferred_username, sb.SF.username);
  });
});

describe('data', () => {
  before(async () => {
    await sb.salesforceControl('POST', '/sandbox/reset');
    conn = await sb.oauthConnection();
  });

  test('create, retrieve, update, delete', async () => {
    const r = await conn.sobject('Contact').create({ LastName: 'NodeCrud', MobilePhone: '+14155552001' });
    assert.equal(r.success, true);
    const got = await conn.sobject('Contact').retrieve(r.id);
    assert.equal(got.LastName, 'NodeCrud');
    await conn.sobject('Contact').update({ Id: r.id, FirstName: 'Jo' });
    assert.equal((await conn.sobject('Contact').retrieve(r.id)).FirstName, 'Jo');
    await conn.sobject('Contact').destroy(r.id);
    await assert.rejects(conn.sobject('Contact').retrieve(r.id), (e) => e.errorCode === 'NOT_FOUND');
  });

  test('upsert by external id creates then updates', async () => {
    const sid = 'SM' + 'a'.repeat(32);
    const first = await conn.sobject('Twilio_Message__c').upsert({ Message_Sid__c: sid, Status__c: 'queued' }, 'Message_Sid__c');
    assert.equal(first.created, true);
    const second = await conn.sobject('Twilio_Message__c').upsert({ Message_Sid__c: sid, Status__c: 'delivered' }, 'Message_Sid__c');
    assert.equal(second.created, false);
    const rows = await conn.query(`SELECT Status__c FROM Twilio_Message__c WHERE Message_Sid__c = '${sid}'`);
    assert.equal(rows.records[0].Status__c, 'delivered');
  });

  test('collections: three Contacts updated with lower-case ids', async () => {
    const made = await conn.sobject('Contact').create([1, 2, 3].map((i) => ({ LastName: `Coll${i}` })), { allOrNone: true });
    assert.equal(made.length, 3);
    const res = await conn.request({
      method: 'PATCH',
      url: `/services/data/v${conn.version}/composite/sobjects`,
      body: JSON.stringify({ allOrNone: false, records: made.map((m) => ({ attributes: { type: 'Contact' }, id: m.id, Title: 'Updated' })) }),
      headers: { 'Content-Type': 'application/json' },
    });
    assert.deepEqual(res.map((x) => x.success), [true, true, true]);
    const viaJsforce = await conn.sobject('Contact').update(made.map((m) => ({ Id: m.id, MailingCity: 'Oslo' })));
    assert.ok(viaJsforce.every((x) => x.success));
    const rows = await conn.query("SELECT Title, MailingCity FROM Contact WHERE LastName LIKE 'Coll%'");
    assert.equal(rows.totalSize, 3);
    assert.ok(rows.records.every((r) => r.Title === 'Updated' && r.MailingCity === 'Oslo'));
  });

  test('query a Contact\'s Account.Name, and Account with its Contacts', async () => {
    const acct = await conn.sobject('Account').create({ Name: 'Node Acme' });
    await conn.sobject('Contact').create({ LastName: 'Related', AccountId: acct.id });
    const q = await conn.query("SELECT LastName, Account.Name FROM Contact WHERE LastName = 'Related'");
    assert.equal(q.records[0].Account.Name, 'Node Acme');
    const parent = await conn.query(`SELECT Name, (SELECT LastName FROM Contacts) FROM Account WHERE Id = '${acct.id}'`);
    assert.equal(parent.records[0].Contacts.records[0].LastName, 'Related');
  });

  test('date literals', async () => {
    const q = await conn.query('SELECT Id FROM Contact WHERE CreatedDate = LAST_N_DAYS:1');
    assert.ok(q.totalSize > 0);
    const none = await conn.query('SELECT Id FROM Contact WHERE CreatedDate < YESTERDAY');
    assert.equal(none.totalSize, 0);
  });

  test('queryAll returns deleted records', async () => {
    const r = await conn.sobject('Contact').create({ LastName: 'Deleted1' });
    await conn.sobject('Contact').destroy(r.id);
    assert.equal((await conn.query("SELECT Id FROM Contact WHERE LastName = 'Deleted1'")).totalSize, 0);
    const all = await conn.query("SELECT Id, IsDeleted FROM Contact WHERE LastName = 'Deleted1'", { scanAll: true });
    assert.equal(all.totalSize, 1);
    assert.equal(all.records[0].IsDeleted, true);
  });

  test('more than one batch: queryMore keeps the query\'s totalSize', async () => {
    for (let b = 0; b < 11; b++) {
      await conn.sobject('Contact').create(Array.from({ length: 200 }, () => ({ LastName: 'Many' })), { allOrNone: true });
    }
    const first = await conn.query("SELECT Id FROM Contact WHERE LastName = 'Many'", { autoFetch: false });
    assert.equal(first.done, false);
    assert.equal(first.totalSize, 2200);
    const more = await conn.queryMore(first.nextRecordsUrl);
    assert.equal(more.totalSize, 2200);
    assert.equal(more.records.length, 200);
    const fetched = [];
    await new Promise((resolve, reject) => {
      conn.query("SELECT Id FROM Contact WHERE LastName = 'Many'")
        .on('record', (r) => fetched.push(r.Id))
        .on('end', resolve)
        .on('error', reject)
        .run({ autoFetch: true, maxFetch: 5000 });
    });
    assert.equal(new Set(fetched).size, 2200);
  });

  test('describe and global describe', async () => {
    const d = await conn.sobject('Contact').describe();
    assert.ok(d.fields.some((f) => f.name === 'MobilePhone'));
    const g = await conn.describeGlobal();
    assert.ok(g.sobjects.some((s) => s.name === 'Twilio_Message__c'));
  });

  test('a malformed query is MALFORMED_QUERY, an unknown field INVALID_FIELD', async () => {
    await assert.rejects(conn.query('SELEC Id FROM Contact'), (e) => e.errorCode === 'MALFORMED_QUERY');
    await assert.rejects(conn.query('SELECT Nope__c FROM Contact'), (e) => e.errorCode === 'INVALID_FIELD');
  });

  test('what is not emulated is a NOT_FOUND naming the path', async () => {
    await assert.rejects(conn.search('FIND {Ada}'), (e) => e.errorCode === 'NOT_FOUND' && /sandbox-coverage\.md/.test(e.message));
  });
});

describe('control API', () => {
  test('lists records and resets atomically to the seed', async () => {
    const c = await sb.oauthConnection();
    await c.sobject('Contact').create({ LastName: 'BeforeReset' });
    const listed = (await sb.salesforceControl('GET', '/sandbox/records?object=Contact')).body;
    assert.ok(listed.some((r) => r.LastName === 'BeforeReset'));
    await sb.salesforceControl('POST', '/sandbox/reset');
    const after = (await sb.salesforceControl('GET', '/sandbox/records?object=Contact')).body;
    assert.ok(!after.some((r) => r.LastName === 'BeforeReset'));
  });
});

// Streaming (CometD) after the REST suites, in this same process: see ../streaming.js.
require('../streaming');
