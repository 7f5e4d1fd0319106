/** Entry point of a vault worker thread (built to dist/vault-worker.js): hashes, seals and opens blocks. */
import { parentPort, workerData } from 'node:worker_threads';
import { createBlockHandler, type BlockRequest } from './block-jobs';

const port = parentPort;
if (port) {
  const keys = workerData as { encKey: Uint8Array; idKey: Uint8Array };
  const handle = createBlockHandler({ encKey: Buffer.from(keys.encKey), idKey: Buffer.from(keys.idKey) });
  port.on('message', (request: BlockRequest) => {
    const answer = handle(request);
    if (answer) port.postMessage(answer.reply, answer.transfer);
  });
}
