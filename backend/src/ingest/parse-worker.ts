/**
 * Worker thread of ParsePool: validates, parses and hashes Part-10 files and, when asked,
 * writes them durably to new local files, so the main thread only moves bytes. A file's
 * memory comes in transferred (no copy) or copied, and ends here.
 */
import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { writeDurable } from '../storage/durable-write.js';
import { DicomRejection, parseInstance } from './dicom-instance.js';
import type { ParseReply, ParseRequest } from './parse-pool.js';

parentPort!.on('message', ({ id, bytes, length, writeTo }: ParseRequest) => {
  const file = Buffer.from(bytes, 0, length);
  let parsed, sha256;
  try {
    parsed = parseInstance(file);
    sha256 = createHash('sha256').update(file).digest('hex');
  } catch (err) {
    parentPort!.postMessage(
      (err instanceof DicomRejection
        ? { id, ok: false, rejection: { reason: err.reason, message: err.message, sopInstanceUid: err.sopInstanceUid, sopClassUid: err.sopClassUid } }
        : { id, ok: false, error: String((err as Error)?.stack ?? err) }) satisfies ParseReply,
    );
    return;
  }
  // The DICOM JSON goes as the text the index will store: serialised here, exactly as on the
  // calling thread (dcmjs gives some values toJSON accessors that a structured clone would drop).
  const reply = { id, ok: true, parsed: { ...parsed, json: undefined }, jsonText: JSON.stringify(parsed.json), sha256 } as const;
  if (!writeTo) {
    parentPort!.postMessage(reply satisfies ParseReply);
    return;
  }
  // The durable write waits on the disk, not on this thread: the next instance is parsed
  // meanwhile, and several writes are in flight at once (the disk commits them together).
  writeDurable(writeTo, file).then(
    () => parentPort!.postMessage(reply satisfies ParseReply),
    (err: unknown) => parentPort!.postMessage({ ...reply, writeError: (err as Error).message } satisfies ParseReply),
  );
});
