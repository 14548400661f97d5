// The official Vonage Node SDK pointed at ringway: place a call that waits in a conversation,
// then control it while it runs: real-time DTMF, talk and stream (the SDK sends `level` as a
// string), and hang up.
// Run: RINGWAY_API_KEY=... RINGWAY_API_SECRET=... RINGWAY_HOOKS=http://localhost:3000 node voice.mjs
import { Vonage } from '@vonage/server-sdk';

const host = process.env.RINGWAY_URL ?? 'http://127.0.0.1:8000';
const hooks = process.env.RINGWAY_HOOKS ?? 'http://localhost:3000';
const { RINGWAY_API_KEY: apiKey, RINGWAY_API_SECRET: apiSecret } = process.env;
const customer = '447700900456';

const admin = new Vonage({ apiKey, apiSecret }, { apiHost: host, restHost: host });
const app = await admin.applications.createApplication({
  name: 'node voice',
  capabilities: {
    voice: {
      webhooks: {
        answerUrl: { address: `${hooks}/answer`, httpMethod: 'GET' },
        eventUrl: { address: `${hooks}/event`, httpMethod: 'POST' },
      },
    },
  },
});
const vonage = new Vonage(
  { applicationId: app.id, privateKey: app.keys.privateKey },
  { apiHost: host, restHost: host },
);

// ringway's own endpoints (Basic auth): the customer's phone, and the customer's keys.
const ringway = (path, body) => fetch(`${host}/_ringway${path}`, {
  method: body === undefined ? 'GET' : (path.startsWith('/phones') ? 'PUT' : 'POST'),
  headers: {
    Authorization: `Basic ${Buffer.from(`${apiKey}:${apiSecret}`).toString('base64')}`,
    'Content-Type': 'application/json',
  },
  body: body === undefined ? undefined : JSON.stringify(body),
});
await ringway(`/phones/${customer}`, { answer_after: 0 });

const { uuid } = await vonage.voice.createOutboundCall({
  to: [{ type: 'phone', number: customer }],
  from: { type: 'phone', number: '447700900000' },
  ncco: [{ action: 'talk', text: 'Please hold' }, { action: 'conversation', name: 'queue' }],
});
let call = await vonage.voice.getCall(uuid);
while (call.status !== 'answered') {
  await new Promise((resolve) => setTimeout(resolve, 50));
  call = await vonage.voice.getCall(uuid);
}
console.log(`call ${call.status}`);

await vonage.voice.subscribeDTMF(uuid, `${hooks}/keys`);
await ringway(`/calls/${uuid}/dtmf`, { digits: '42' });
const talk = await vonage.voice.playTTS(uuid, { text: 'Thanks for waiting', level: '0.4' });
console.log(`talk: ${talk.message}`);
const stream = await vonage.voice.streamAudio(uuid, `${hooks}/hold.wav`, 1, 0.5);
console.log(`stream: ${stream.message}`);
await vonage.voice.unsubscribeDTMF(uuid);
await vonage.voice.hangupCall(uuid);
console.log("hung up");
await admin.applications.deleteApplication(app.id);
