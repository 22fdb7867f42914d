/** What the built-in receiver keeps: messages per name, names, and bytes per message. */
export const INBOX_LIMITS = { messagesPerName: 100, names: 100, bodyBytes: 256 * 1024 };

export interface InboxMessage {
  received_at: string;
  method: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * The built-in callback receiver's messages (`/_bulkwrite/inbox/{name}`), in this process's memory and
 * bounded (INBOX_LIMITS): the oldest message, or the name used longest ago, goes first. A reset empties
 * it (whole store) or removes the messages an org's jobs sent (`removeBodies`).
 */
export class Inbox {
  private readonly byName = new Map<string, InboxMessage[]>();

  add(name: string, message: InboxMessage): void {
    const messages = this.byName.get(name) ?? [];
    this.byName.delete(name);
    this.byName.set(name, messages); // most recently used last
    messages.push(message);
    if (messages.length > INBOX_LIMITS.messagesPerName) messages.shift();
    if (this.byName.size > INBOX_LIMITS.names) this.byName.delete(this.byName.keys().next().value!);
  }

  get(name: string): InboxMessage[] {
    return this.byName.get(name) ?? [];
  }

  clear(): void {
    this.byName.clear();
  }

  /** Removes every message whose body is one of `bodies` (what an org's callbacks sent); how many went. */
  removeBodies(bodies: ReadonlySet<string>): number {
    let removed = 0;
    for (const [name, messages] of this.byName) {
      const kept = messages.filter((m) => !bodies.has(m.body));
      removed += messages.length - kept.length;
      if (kept.length === 0) this.byName.delete(name);
      else if (kept.length !== messages.length) this.byName.set(name, kept);
    }
    return removed;
  }
}
