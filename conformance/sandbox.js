'use strict';
// Where the sandbox runs, and clients pointed at it. NodeClientsConformanceIT starts
// `java -jar ... sandbox` on free ports and passes them in these environment variables.
const twilio = require('twilio');
const jsforce = require('jsforce');

const TWILIO_URL = required('SANDBOX_TWILIO_URL');
const SALESFORCE_URL = required('SANDBOX_SALESFORCE_URL');
const ACCOUNT_SID = process.env.SANDBOX_TWILIO_ACCOUNT_SID || 'AC00000000000000000000000000000000';
const AUTH_TOKEN = process.env.SANDBOX_TWILIO_AUTH_TOKEN || 'sandbox-auth-token';
const SF = {
  username: process.env.SANDBOX_SF_USERNAME || 'integration@twiliocrm.sandbox',
  password: process.env.SANDBOX_SF_PASSWORD || 'sandbox-password',
  clientId: process.env.SANDBOX_SF_CLIENT_ID || 'sandbox-client-id',
  clientSecret: process.env.SANDBOX_SF_CLIENT_SECRET || 'sandbox-client-secret',
};

function required(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: start the sandbox and set it (see docs/sandbox.md)`);
  return v.replace(/\/+$/, '');
}

/** twilio-node's own HTTP client, with api.twilio.com / verify.twilio.com rewritten to the sandbox. */
class SandboxRequestClient extends twilio.RequestClient {
  request(opts) {
    const target = new URL(TWILIO_URL);
    const u = new URL(opts.uri);
    u.protocol = target.protocol;
    u.host = target.host;
    return super.request({ ...opts, uri: u.toString() });
  }
}

function twilioClient() {
  return twilio(ACCOUNT_SID, AUTH_TOKEN, { httpClient: new SandboxRequestClient() });
}

async function twilioControl(method, path, body) {
  const r = await fetch(TWILIO_URL + path, {
    method,
    headers: body ? { 'Content-Type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: r.status, body: await r.json() };
}

async function salesforceControl(method, path, body) {
  const r = await fetch(SALESFORCE_URL + path, {
    method,
    headers: body ? { 'Content-Type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: r.status, body: await r.json() };
}

/** jsforce's default: SOAP login with username and password. */
async function soapConnection() {
  const conn = new jsforce.Connection({ loginUrl: SALESFORCE_URL, version: '62.0' });
  await conn.login(SF.username, SF.password);
  return conn;
}

/** OAuth 2 username-password flow, as a connected app does it. */
async function oauthConnection() {
  const conn = new jsforce.Connection({
    oauth2: { clientId: SF.clientId, clientSecret: SF.clientSecret, loginUrl: SALESFORCE_URL },
    version: '62.0',
  });
  await conn.login(SF.username, SF.password);
  return conn;
}

async function until(fn, { timeoutMs = 20000, everyMs = 50 } = {}) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
}

module.exports = {
  TWILIO_URL, SALESFORCE_URL, ACCOUNT_SID, AUTH_TOKEN, SF,
  twilioClient, twilioControl, salesforceControl, soapConnection, oauthConnection, until,
};
