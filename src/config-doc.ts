import { SETTINGS } from './config.js';

/** The markers around the generated table in docs/configuration.md. */
export const TABLE_START =
  '<!-- server settings: generated from src/config.ts by `npm run docs:config`; do not edit -->';
export const TABLE_END = '<!-- end of server settings -->';

/** The server settings table of docs/configuration.md, one row per entry of SETTINGS. */
export function settingsTable(): string {
  const rows = SETTINGS.map(
    (s) => `| \`${s.env}\` | ${s.flag ? `\`${s.flag}\`` : ''} | ${s.shownDefault} | ${s.meaning} |`,
  );
  return ['| variable | flag | default | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** `doc` with the text between the markers replaced by the current table. */
export function withSettingsTable(doc: string): string {
  const start = doc.indexOf(TABLE_START);
  const end = doc.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`the markers ${TABLE_START} … ${TABLE_END} are missing`);
  return `${doc.slice(0, start + TABLE_START.length)}\n${settingsTable()}\n${doc.slice(end)}`;
}
