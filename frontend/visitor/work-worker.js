// Solves the server's proof-of-work puzzle off the page's thread, with the browser's own
// SHA-256 (WebCrypto): no third-party code. A solution is a nonce, counted in base 36, such
// that SHA-256 of `challenge:nonce` starts with `difficulty` zero bits (docs/protocol.md).
'use strict';

// Digests in flight at once: WebCrypto is asynchronous, and one at a time wastes most of
// the time on the round trip to the crypto thread.
const BATCH = 512;

function zeroBits(digest) {
  const bytes = new Uint8Array(digest);
  let bits = 0;
  for (const byte of bytes) {
    if (byte) return bits + Math.clz32(byte) - 24;
    bits += 8;
  }
  return bits;
}

async function solve(challenge, difficulty) {
  const encoder = new TextEncoder();
  const prefix = encoder.encode(`${challenge}:`);
  for (let start = 0; ; start += BATCH) {
    const nonces = [];
    const digests = [];
    for (let n = start; n < start + BATCH; n += 1) {
      const nonce = n.toString(36);
      const tail = encoder.encode(nonce);
      const input = new Uint8Array(prefix.length + tail.length);
      input.set(prefix);
      input.set(tail, prefix.length);
      nonces.push(nonce);
      digests.push(crypto.subtle.digest('SHA-256', input));
    }
    const done = await Promise.all(digests);
    for (let i = 0; i < done.length; i += 1) {
      if (zeroBits(done[i]) >= difficulty) return { nonce: nonces[i], tries: start + i + 1 };
    }
  }
}

self.onmessage = async (event) => {
  const { challenge, difficulty } = event.data;
  const began = performance.now();
  const { nonce, tries } = await solve(challenge, difficulty);
  self.postMessage({ nonce, tries, ms: Math.round(performance.now() - began) });
};
