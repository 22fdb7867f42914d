/**
 * The emulator clock (docs/admin-api.md#the-clock): real time plus an offset a test moves with
 * `POST /_bulkwrite/clock`. The offset lives in the store, so every thread and process on one store
 * reads the same clock; each keeps the last offset it read and `now()` stays synchronous (it is called
 * on every request). The process that moves the clock uses the new offset at once; the others read it
 * again when theirs is older than the age they ask for (`refresh`).
 *
 * Token and grant-code expiry, credit windows, `created_time` and every time a job writes read it.
 * Job leases do not: they are between workers, in real time, so moving the clock never takes a job
 * from the worker running it.
 */
export interface EmulatorClock {
  /** Milliseconds since the epoch on the emulator clock. */
  now(): number;
  /** The offset from real time in hand, in milliseconds. */
  offset(): number;
  /** Reads the offset from the store when the one in hand is older than `maxAgeMs` (0: always). */
  refresh(maxAgeMs?: number): Promise<void>;
  /** Stores a new offset (0: real time) and uses it at once. */
  setOffset(offsetMs: number): Promise<void>;
}

/** The largest offset either way: about ±100 years, so any time set stays a safe integer and a valid date. */
export const MAX_CLOCK_OFFSET_MS = 100 * 366 * 24 * 3600 * 1000;

export function emulatorClock(io: {
  realNow: () => number;
  readOffset: () => Promise<number>;
  writeOffset: (offsetMs: number) => Promise<void>;
}): EmulatorClock {
  let offset = 0;
  let readAt = Number.NEGATIVE_INFINITY;
  let reading: Promise<void> | null = null;
  // Bumped by every setOffset: a read that started before it must not bring back the older offset.
  let generation = 0;

  const read = (): Promise<void> => {
    if (reading) return reading;
    const started = io.realNow();
    const gen = generation;
    reading = io
      .readOffset()
      .then((value) => {
        if (gen !== generation) return;
        offset = value;
        readAt = started;
      })
      .finally(() => {
        reading = null;
      });
    return reading;
  };

  return {
    now: () => io.realNow() + offset,
    offset: () => offset,
    async refresh(maxAgeMs = 0) {
      if (maxAgeMs > 0 && io.realNow() - readAt < maxAgeMs) return;
      await read();
    },
    async setOffset(offsetMs) {
      if (!Number.isSafeInteger(offsetMs) || Math.abs(offsetMs) > MAX_CLOCK_OFFSET_MS)
        throw new RangeError(`a clock offset must be a whole number of milliseconds within ±${MAX_CLOCK_OFFSET_MS}`);
      generation++;
      await io.writeOffset(offsetMs);
      offset = offsetMs;
      readAt = io.realNow();
    },
  };
}
