// A voice application with Express 5: a caller hears a greeting and presses a key, and hears
// back which key it was. Every callback is checked before it is read: with the application's
// voice signed_callbacks on, the platform signs each request with the account's signature
// secret (Authorization: Bearer <JWT>, HS256, whose payload_hash claim is the SHA-256 of the
// exact body), and anything unsigned, signed with another secret or altered on the way is
// answered 401.
//
//   VONAGE_SIGNATURE_SECRET=… node app.mjs     (port 3000, or PORT)
//
// Point the application's answer URL at http://localhost:3000/answer (GET) and its event URL
// at http://localhost:3000/event.
import { createHash, timingSafeEqual } from 'node:crypto';
import { verifySignature } from '@vonage/jwt';
import express from 'express';

const secret = process.env.VONAGE_SIGNATURE_SECRET;
if (!secret) {
  console.error("Set VONAGE_SIGNATURE_SECRET to the account's signature secret");
  process.exit(2);
}
const port = Number(process.env.PORT ?? 3000);

const GREETING = 'Welcome to Ringway Tours. Press any key.';

/** Whether a request carrying `body` is signed with the account's secret over those bytes. */
function signed(authorization, body) {
  const [scheme, token] = (authorization ?? '').split(' ');
  if (scheme?.toLowerCase() !== 'bearer' || !token || !verifySignature(token, secret)) {
    return false;
  }
  const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url'));
  const digest = Buffer.from(createHash('sha256').update(body).digest('hex'));
  const hash = Buffer.from(String(claims.payload_hash ?? ''));
  return hash.length === digest.length && timingSafeEqual(hash, digest);
}

const app = express();
// The raw bytes, whatever the type: the signature covers exactly them. JSON is parsed after.
app.use(express.raw({ type: () => true }));
app.use((req, res, next) => {
  const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  if (!signed(req.get('authorization'), body)) {
    console.log(`refused ${req.method} ${req.path}: not signed with the signature secret`);
    return res.status(401).json({ error: 'invalid signature' });
  }
  req.body = body.length ? JSON.parse(body) : {};
  next();
});

// The call is answered: a greeting, then one key (the caller may press it during the greeting).
app.get('/answer', (req, res) => {
  const inputUrl = `${req.protocol}://${req.get('host')}/input`;
  res.json([
    { action: 'talk', text: GREETING, bargeIn: true },
    { action: 'input', type: ['dtmf'], dtmf: { maxDigits: 1, timeOut: 5 }, eventUrl: [inputUrl] },
  ]);
});

// What the caller keyed: the NCCO that replaces the rest of the call's.
app.post('/input', (req, res) => {
  const digits = req.body.dtmf?.digits ?? '';
  console.log(`input ${req.body.uuid} keys ${digits || 'none'}`);
  const text = digits ? `You pressed ${digits}. Goodbye.` : 'We did not hear a key. Goodbye.';
  res.json([{ action: 'talk', text }]);
});

// Each status of the call (started, ringing, answered, completed …).
app.post('/event', (req, res) => {
  console.log(`event ${req.body.uuid} ${req.body.status}`);
  res.sendStatus(204);
});

app.listen(port, '127.0.0.1', (error) => {
  if (error) throw error;
  console.log(`listening on http://127.0.0.1:${port}`);
});
