// The official Vonage Node SDK's SMS and Accounts clients pointed at ringway: send a text (two
// parts), read the balance it left, point the account's delivery receipts somewhere.
// Run: RINGWAY_API_KEY=... RINGWAY_API_SECRET=... node sms.mjs
import { Vonage } from '@vonage/server-sdk';

const host = process.env.RINGWAY_URL ?? 'http://127.0.0.1:8000';
const vonage = new Vonage(
  { apiKey: process.env.RINGWAY_API_KEY, apiSecret: process.env.RINGWAY_API_SECRET },
  { apiHost: host, restHost: host },
);

const sent = await vonage.sms.send({
  to: '447700900123',
  from: 'Ringway',
  text: 'A text long enough to take two parts. '.repeat(5),
  clientRef: 'node-1',
});
console.log(`parts: ${sent.messageCount}`);
for (const message of sent.messages) {
  console.log(`part ${message.messageId}: status ${message.status}, ref ${message.clientRef}`);
}

const balance = await vonage.accounts.getBalance();
console.log(`balance: ${balance.value.toFixed(4)} EUR, auto reload: ${balance.autoReload}`);

const settings = await vonage.accounts.updateAccountCallbacks({
  drCallBackUrl: 'http://localhost:3000/receipts',
});
console.log(`receipts go to: ${settings['dr-callback-url']}`);
