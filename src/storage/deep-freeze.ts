/**
 * Freezes a value and everything it holds, so one object can be shared by many readers: a reader that
 * tries to change it throws (ESM code is strict) instead of changing what the others see. Objects
 * already frozen are taken as frozen all the way down.
 */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
