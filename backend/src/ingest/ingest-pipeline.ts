/**
 * Bounded concurrency for ingesting the parts of one upload or retrieval: the next
 * part is received (network, multipart parsing, disk) while earlier ones are being
 * validated, stored and indexed, which is what lets the index batch its writes.
 * push() returns once there is room again, so the sender is slowed down instead of
 * the platform buffering: at most `maxTasks` parts and `maxBytes` of them in flight.
 */
export class IngestPipeline {
  private readonly running = new Set<Promise<void>>();
  private bytes = 0;
  private failure: unknown = null;

  constructor(
    private readonly maxTasks = 8,
    private readonly maxBytes = 256 * 1024 * 1024,
  ) {}

  async push(size: number, task: () => Promise<void>): Promise<void> {
    if (this.failure) throw this.failure;
    this.bytes += size;
    const p: Promise<void> = task()
      .catch((err) => {
        this.failure ??= err;
      })
      .finally(() => {
        this.bytes -= size;
        this.running.delete(p);
      });
    this.running.add(p);
    while (this.running.size >= this.maxTasks || (this.bytes >= this.maxBytes && this.running.size > 0)) {
      await Promise.race(this.running);
    }
    if (this.failure) throw this.failure;
  }

  /** Waits for every task; throws the first error any of them threw. */
  async drain(): Promise<void> {
    while (this.running.size) await Promise.all(this.running);
    if (this.failure) throw this.failure;
  }
}
