import type { Storage } from '../storage/storage.js';

/** Where a batch's new records get their ids. */
export interface RecordIds {
  take(count: number): Promise<string[]>;
}

/** Hands out record ids from blocks reserved in the store, so many processes never collide. */
export class IdAllocator implements RecordIds {
  private next = 0n;
  private end = 0n;

  constructor(
    private readonly storage: Storage,
    private readonly blockSize = 10_000,
  ) {}

  async take(count: number): Promise<string[]> {
    const ids: string[] = [];
    while (ids.length < count) {
      if (this.next >= this.end) {
        const size = Math.max(this.blockSize, count - ids.length);
        this.next = await this.storage.reserveIds(size);
        this.end = this.next + BigInt(size);
      }
      ids.push((this.next++).toString());
    }
    return ids;
  }
}
