/** The delimiters Zoho detects from the header line (spec §8.3). Shared by the client and the server. */
export const DELIMITERS = [',', ';', ':', '|'] as const;

/** The delimiter that occurs most often outside quotes in the header line; comma when none does. */
export function detectDelimiter(line: string): string {
  const counts = new Map<string, number>(DELIMITERS.map((d) => [d, 0]));
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && counts.has(ch)) counts.set(ch, counts.get(ch)! + 1);
  }
  let best = ',';
  let bestCount = 0;
  for (const [d, n] of counts) {
    if (n > bestCount) {
      best = d;
      bestCount = n;
    }
  }
  return best;
}
