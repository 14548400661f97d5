// A Node test suite (node --test) against ringway: a tiny voice application answers a
// simulated call with a greeting, and hears every status of the call.
// Run it with a fresh server around it: ringway run -- node --test
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import { Vonage } from '@vonage/server-sdk';

const ringway = process.env.RINGWAY_URL;
const key = process.env.VONAGE_API_KEY;
const secret = process.env.VONAGE_API_SECRET;
const basic = `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`;
const vonage = new Vonage({ apiKey: key, apiSecret: secret }, { apiHost: ringway, restHost: ringway });

// The application: GET /answer gives the NCCO, POST /event collects the call's events.
const events = [];
const app = createServer((request, response) => {
  let body = '';
  request.on('data', (chunk) => { body += chunk; });
  request.on('end', () => {
    if (request.url.startsWith('/answer')) {
      response.setHeader('Content-Type', 'application/json');
      response.end(JSON.stringify([{ action: 'talk', text: 'Hello from Node' }]));
      return;
    }
    if (request.url === '/event') events.push(JSON.parse(body));
    response.end();
  });
});
let number;

before(async () => {
  await new Promise((resolve) => app.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${app.address().port}`;
  const created = await vonage.applications.createApplication({
    name: 'greeting',
    capabilities: { voice: { webhooks: {
      answerUrl: { address: `${base}/answer`, httpMethod: 'GET' },
      eventUrl: { address: `${base}/event`, httpMethod: 'POST' },
    } } },
  });
  const found = await vonage.numbers.getAvailableNumbers({ country: 'GB' });
  number = found.numbers[0].msisdn;
  await vonage.numbers.buyNumber({ country: 'GB', msisdn: number });
  await vonage.numbers.updateNumber({ country: 'GB', msisdn: number, applicationId: created.id });
});

after(() => app.close());

async function ringwayApi(method, path, body) {
  const response = await fetch(`${ringway}${path}`, {
    method, headers: { Authorization: basic, 'Content-Type': 'application/json' },
    body: body && JSON.stringify(body),
  });
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${await response.clone().text()}`);
  return response.json();
}

test('a caller hears the greeting, and the application every status', async () => {
  const call = await ringwayApi('POST', '/_ringway/calls', { from: '447700900001', to: number });
  let timeline;
  do {
    timeline = await ringwayApi('GET', `/_ringway/calls/${call.uuid}/timeline`);
  } while (timeline.running);
  const said = timeline.entries.filter((e) => e.kind === 'action').map((e) => e.action.text);
  assert.deepEqual(said, ['Hello from Node']);
  const statuses = events.filter((e) => e.uuid === call.uuid).map((e) => e.status);
  assert.deepEqual(statuses, ['started', 'ringing', 'answered', 'completed']);
});
