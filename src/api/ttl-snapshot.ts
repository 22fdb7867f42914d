import type { Storage } from '../storage/storage.js';

/**
 * A value read from the store and served for `ttlMs` before it is read again, so that what another
 * process changed is seen within that time while a request costs no store read. `invalidate()` (after a
 * change made through this process) makes the next call read at once, and a read begun before it is not
 * kept. Concurrent callers share one read. Used for the fault rules and the orgs' limits.
 */
export class TtlSnapshot<T> {
  private until = -Infinity;
  private loading: Promise<T> | null = null;
  private generation = 0;

  constructor(
    private readonly read: () => Promise<T>,
    private value: T,
    private readonly ttlMs: number,
    /** Called with each value read and kept. */
    private readonly onLoad: (value: T) => void = () => undefined,
  ) {}

  invalidate(): void {
    this.generation++;
    this.until = -Infinity;
    this.loading = null;
  }

  /** The value, synchronously while it is fresh. */
  current(): T | Promise<T> {
    if (performance.now() < this.until) return this.value;
    this.loading ??= this.load(this.generation);
    return this.loading;
  }

  private async load(generation: number): Promise<T> {
    const started = performance.now();
    try {
      const value = await this.read();
      if (generation === this.generation) {
        this.value = value;
        this.onLoad(value);
        this.until = started + this.ttlMs;
      }
      return value;
    } finally {
      if (generation === this.generation) this.loading = null;
    }
  }
}

/** One object per store in this process (a cache shared by a request hook and the admin routes). */
export function onePerStore<T extends object>(make: (storage: Storage) => T): (storage: Storage) => T {
  const made = new WeakMap<Storage, T>();
  return (storage) => {
    let value = made.get(storage);
    if (!value) {
      value = make(storage);
      made.set(storage, value);
    }
    return value;
  };
}
