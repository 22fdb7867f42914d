import { emulatorClock, type EmulatorClock } from '../domain/emulator-clock.js';
import type { Storage } from './storage.js';

/** The emulator clock over a store's shared offset (domain/emulator-clock.ts), on real time. */
export function storeClock(storage: Storage): EmulatorClock {
  return emulatorClock({
    realNow: Date.now,
    readOffset: () => storage.emulator.clockOffset(),
    writeOffset: (offsetMs) => storage.emulator.setClockOffset(offsetMs),
  });
}
