import type { FastifyInstance, FastifyReply } from 'fastify';
import { MAX_CLOCK_OFFSET_MS, type EmulatorClock } from '../../domain/emulator-clock.js';
import { ZohoError } from '../../errors/zoho-error.js';
import type { AppDeps } from '../deps.js';
import { badField, jsonBody, sendJson } from './admin-wire.js';

/** `2026-01-02T03:04:05Z`, with optional fractions and an offset instead of Z. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * The emulator clock (domain/emulator-clock.ts): `POST /clock` `{"advance_ms":N}` or `{"set":"<ISO>"}`
 * moves it, `DELETE /clock` returns to real time, `GET /clock` shows it. The offset is kept in the
 * store, so worker threads and other processes read the same clock.
 */
export function registerClockRoutes(app: FastifyInstance, deps: AppDeps): void {
  const clock = deps.clock as EmulatorClock;
  const realNow = () => clock.now() - clock.offset();
  const answer = (reply: FastifyReply, offset: number) =>
    sendJson(reply, 200, {
      now: new Date(realNow() + offset).toISOString(),
      offset_ms: offset,
      real_time: offset === 0,
    });
  const move = async (offset: number, field: string): Promise<number> => {
    if (!Number.isSafeInteger(offset) || Math.abs(offset) > MAX_CLOCK_OFFSET_MS)
      throw badField(field, `the clock may be moved at most ${MAX_CLOCK_OFFSET_MS} ms from real time either way`);
    await clock.setOffset(offset);
    return offset;
  };

  app.get('/clock', async (_req, reply) => {
    await clock.refresh();
    return answer(reply, clock.offset());
  });

  app.post('/clock', async (req, reply) => {
    const body = jsonBody(req, ['advance_ms', 'set']);
    const hasAdvance = body.advance_ms !== undefined;
    const hasSet = body.set !== undefined;
    if (hasAdvance === hasSet)
      throw new ZohoError('INVALID_DATA', {
        message: 'send exactly one of {"advance_ms": N} or {"set": "<ISO time>"}',
        details: { field: hasAdvance ? 'set' : 'advance_ms' },
      });
    if (hasAdvance) {
      const ms = body.advance_ms;
      if (typeof ms !== 'number' || !Number.isSafeInteger(ms))
        throw badField('advance_ms', `advance_ms must be a whole number of milliseconds, got ${JSON.stringify(ms)}`);
      // From the offset in the store: two advances from two processes add up.
      await clock.refresh();
      return answer(reply, await move(clock.offset() + ms, 'advance_ms'));
    }
    const at = typeof body.set === 'string' && ISO_TIME.test(body.set) ? Date.parse(body.set) : Number.NaN;
    if (Number.isNaN(at))
      throw badField(
        'set',
        `set must be an ISO 8601 time such as 2030-01-01T00:00:00Z, got ${JSON.stringify(body.set)}`,
      );
    // The clock runs on from the time set.
    return answer(reply, await move(at - realNow(), 'set'));
  });

  app.delete('/clock', async (_req, reply) => answer(reply, await move(0, 'clock')));
}
