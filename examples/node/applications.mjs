// The official Vonage Node SDK pointed at ringway: create, read, list, update, delete.
// Run: RINGWAY_API_KEY=... RINGWAY_API_SECRET=... node applications.mjs
import { Vonage } from '@vonage/server-sdk';

const host = process.env.RINGWAY_URL ?? 'http://127.0.0.1:8000';
const vonage = new Vonage(
  { apiKey: process.env.RINGWAY_API_KEY, apiSecret: process.env.RINGWAY_API_SECRET },
  { apiHost: host, restHost: host },
);

const created = await vonage.applications.createApplication({
  name: 'node example',
  capabilities: {
    voice: {
      webhooks: {
        answerUrl: { address: 'http://localhost:3000/answer', httpMethod: 'GET' },
        eventUrl: { address: 'http://localhost:3000/event', httpMethod: 'POST' },
      },
    },
  },
});
console.log(`created ${created.id}; private key received: ${Boolean(created.keys.privateKey)}`);

const fetched = await vonage.applications.getApplication(created.id);
console.log(`answer_url: ${fetched.capabilities.voice.webhooks.answerUrl.address}`);

const names = [];
for await (const app of vonage.applications.listAllApplications({ pageSize: 2 })) {
  names.push(app.name);
}
console.log(`listed ${names.length} application(s)`);

const updated = await vonage.applications.updateApplication({ ...fetched, name: 'node example, renamed' });
console.log(`renamed to: ${updated.name}`);

await vonage.applications.deleteApplication(created.id);
console.log('deleted');
