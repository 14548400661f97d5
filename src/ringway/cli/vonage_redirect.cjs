// Preloaded by `ringway vonage` (NODE_OPTIONS=--require): in this Node process only, requests
// to the Vonage API hosts (any host under nexmo.com or vonage.com: api, rest, api-eu, api-us,
// api-ap, video.api...) go to the ringway at RINGWAY_VONAGE_URL instead, through node:https
// (the Node SDK 2.x, and the `request` library it uses) or fetch.
'use strict';
const http = require('node:http');
const https = require('node:https');
const { syncBuiltinESMExports } = require('node:module');
const { urlToHttpOptions } = require('node:url');

const target = new URL(process.env.RINGWAY_VONAGE_URL);
const secure = target.protocol === 'https:';
const VONAGE = /(^|\.)(nexmo|vonage)\.com\.?$/i;
const httpsRequest = https.request;

function isVonage(host) {
  return VONAGE.test(String(host || '').replace(/:\d+$/, ''));
}

function request(input, options, callback) {
  let opts = input;
  if (typeof input === 'string' || input instanceof URL) {
    if (typeof options === 'function') [callback, options] = [options, undefined];
    opts = { ...urlToHttpOptions(new URL(input)), ...options };
  } else if (typeof options === 'function') {
    callback = options;
  }
  if (!opts || !isVonage(opts.hostname || opts.host)) {
    return httpsRequest.apply(this, arguments);
  }
  const moved = { ...opts, protocol: target.protocol, hostname: target.hostname,
                  port: target.port || (secure ? 443 : 80) };
  delete moved.host;
  delete moved.servername;
  if (!secure) delete moved.agent; // an https.Agent cannot carry plain HTTP
  return (secure ? httpsRequest : http.request)(moved, callback);
}

https.request = request;
https.get = function get(...args) {
  const req = request(...args);
  req.end();
  return req;
};

if (typeof globalThis.fetch === 'function') {
  const fetch = globalThis.fetch;
  globalThis.fetch = function redirectedFetch(input, init) {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (isVonage(url.hostname)) {
      url.protocol = target.protocol;
      url.host = target.host;
      input = input instanceof Request ? new Request(url, input) : url;
    }
    return fetch(input, init);
  };
}

syncBuiltinESMExports();
