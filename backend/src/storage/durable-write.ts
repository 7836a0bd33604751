import fs from 'node:fs';

/**
 * A new file whose every write is on disk when the call returns (O_DSYNC): the bytes are
 * durable without a separate fsync (one system call fewer, and no second open to make it).
 * Fails if the file exists. The directory entry is not: the store fsyncs the directory it
 * finally links the file into (ImageStore.adopt* with `synced`).
 */
export const DURABLE_NEW_FILE = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_DSYNC;

/**
 * One write call for the whole buffer (fs.writeFile splits anything over 512 KiB into several,
 * and with O_DSYNC each of them waits for the disk).
 */
export async function writeDurable(file: string, data: Uint8Array): Promise<void> {
  const handle = await fs.promises.open(file, DURABLE_NEW_FILE, 0o644);
  try {
    for (let done = 0; done < data.byteLength; ) done += (await handle.write(data, done, data.byteLength - done, done)).bytesWritten;
  } finally {
    await handle.close();
  }
}
