// Proof of work for chat starts (docs/protocol.md): when the server asks for it, a puzzle is
// solved in a Web Worker with the browser's own SHA-256, so the page stays responsive and no
// third-party code runs. Nothing about the visitor goes into it or comes out of it.

export function solvePuzzle(work) {
  return new Promise((resolve, reject) => {
    const worker = new Worker('/visitor/work-worker.js');
    worker.onmessage = (event) => {
      worker.terminate();
      resolve({ challenge: work.challenge, nonce: event.data.nonce });
    };
    worker.onerror = (event) => {
      worker.terminate();
      reject(event);
    };
    worker.postMessage({ challenge: work.challenge, difficulty: work.difficulty });
  });
}
