/** Entry point of a vault worker thread (built to dist/vault-worker.js): hashes, seals and opens blocks. */
import { parentPort, workerData } from 'node:worker_threads';
import { createBlockHandler, type BlockRequest } from './block-jobs';
import { WriteTurn } from './write-turn';

const port = parentPort;
if (port) {
  const data = workerData as { encKey: Uint8Array; idKey: Uint8Array; writeTurn: SharedArrayBuffer };
  const handle = createBlockHandler({ encKey: Buffer.from(data.encKey), idKey: Buffer.from(data.idKey) }, new WriteTurn(data.writeTurn));
  port.on('message', (request: BlockRequest) => {
    const answer = handle(request);
    if (answer) port.postMessage(answer.reply, answer.transfer);
  });
}
