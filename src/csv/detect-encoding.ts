import { isAscii, isUtf8 } from 'node:buffer';
import chardet from 'chardet';

/**
 * The encoding of a CSV when the job does not name one (Zoho: "usually auto-detected"), from its first
 * bytes (SAMPLE_BYTES at most, so memory stays bounded whatever the file):
 *
 * 1. a byte-order mark decides: UTF-8, UTF-16LE, UTF-16BE;
 * 2. a sample that is valid UTF-8 (pure ASCII included) is UTF-8;
 * 3. otherwise chardet (ICU's detectors: the ISO-8859 and windows-125x families, Shift_JIS, EUC-JP/KR,
 *    GB18030, Big5, KOI8-R) names it; its best guess that the decoder supports wins, and a file none fits
 *    is read as windows-1252, which decodes every byte (Excel's "CSV" on Windows).
 *
 * chardet was chosen over jschardet: typed, no dependencies, ICU's detectors, and small; decoding goes
 * through Node's own TextDecoder (full ICU), so iconv-lite is not needed.
 */
export const SAMPLE_BYTES = 64 * 1024;

export function detectEncoding(sample: Buffer, complete: boolean): string {
  if (sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf) return 'UTF-8';
  if (sample[0] === 0xff && sample[1] === 0xfe) return 'UTF-16LE';
  if (sample[0] === 0xfe && sample[1] === 0xff) return 'UTF-16BE';
  if (isAscii(sample) || isUtf8(complete ? sample : withoutCutCharacter(sample))) return 'UTF-8';
  for (const match of chardet.analyse(sample)) {
    if (match.name.startsWith('UTF-') || !decodable(match.name)) continue;
    return match.name;
  }
  return 'windows-1252';
}

/** The sample without a UTF-8 sequence its end cut in two. */
function withoutCutCharacter(buf: Buffer): Buffer {
  let back = 0;
  while (back < 3 && back < buf.length && (buf[buf.length - 1 - back]! & 0xc0) === 0x80) back++;
  const lead = buf.length - 1 - back;
  if (lead < 0) return buf;
  const b = buf[lead]!;
  const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
  return need > back + 1 ? buf.subarray(0, lead) : buf;
}

function decodable(name: string): boolean {
  try {
    new TextDecoder(name);
    return true;
  } catch {
    return false;
  }
}
