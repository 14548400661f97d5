// The official Vonage Node SDK pointed at ringway: a WhatsApp message that a simulated user
// reacts to, a reaction back, an inbound message marked read, and the Conversation API as the
// Vonage CLI drives it (a member with channel.from only), down to deleting an event.
// Run: RINGWAY_API_KEY=... RINGWAY_API_SECRET=... RINGWAY_HOOKS=http://localhost:3000 node messaging.mjs
import { Vonage } from '@vonage/server-sdk';
import { WhatsAppReaction, WhatsAppText } from '@vonage/messages';

const host = process.env.RINGWAY_URL ?? 'http://127.0.0.1:8000';
const hooks = process.env.RINGWAY_HOOKS ?? 'http://localhost:3000';
const { RINGWAY_API_KEY: apiKey, RINGWAY_API_SECRET: apiSecret } = process.env;
const user = '447700900123';
const business = '447700900001';

const admin = new Vonage({ apiKey, apiSecret }, { apiHost: host, restHost: host });
const hook = (path) => ({ address: `${hooks}${path}`, httpMethod: 'POST' });
const app = await admin.applications.createApplication({
  name: 'node messaging',
  capabilities: {
    messages: { webhooks: { inboundUrl: hook('/inbound'), statusUrl: hook('/status') } },
    rtc: { webhooks: { eventUrl: hook('/rtc') } },
  },
});
const vonage = new Vonage(
  { applicationId: app.id, privateKey: app.keys.privateKey },
  { apiHost: host, restHost: host },
);

// ringway's own endpoints (Basic auth): the simulated user reacts to what it gets.
const ringway = (path, method, body) => fetch(`${host}/_ringway${path}`, {
  method,
  headers: {
    Authorization: `Basic ${Buffer.from(`${apiKey}:${apiSecret}`).toString('base64')}`,
    'Content-Type': 'application/json',
  },
  body: JSON.stringify(body),
}).then((response) => response.json());
await ringway(`/recipients/${user}`, 'PUT', { delivered_after: 0, reaction: '👍', react_after: 0 });

const { messageUUID } = await vonage.messages.send(
  new WhatsAppText({ to: user, from: business, text: 'Your order shipped' }),
);
console.log(`sent ${messageUUID}`);
const reacted = await vonage.messages.send(new WhatsAppReaction({
  to: user, from: business, reaction: { action: 'react', emoji: '😍' },
  context: { messageUuid: messageUUID },
}));
console.log(`reaction sent: ${Boolean(reacted.messageUUID)}`);

const question = await ringway('/messages', 'POST', {
  channel: 'whatsapp', from: user, to: business, text: 'Where is it?', application_id: app.id,
});
console.log(`marked read: ${await vonage.messages.updateMessage(question.message_uuid, 'read')}`);

await vonage.users.createUser({ name: 'alice' });
const conversation = await vonage.conversations.createConversation({ name: 'support' });
const member = await vonage.conversations.createMember(conversation.id, {
  state: 'joined', user: { name: 'alice' }, channel: { from: { type: 'app' } },
});
console.log(`member channel: ${member.channel.type}`);
const event = await vonage.conversations.createEvent(conversation.id, {
  type: 'custom:hello', from: member.id, body: { text: 'Hi' },
});
await vonage.conversations.deleteEvent(conversation.id, event.id);
const gone = await vonage.conversations.getEvent(conversation.id, event.id).catch((error) => error);
console.log(`event deleted: ${gone.response?.status === 404}`);

await admin.applications.deleteApplication(app.id);
