/**
 * Where the records of CSV text end: the one reading every CSV tracker of bulkwrite follows (the upload's
 * record counters, the job reader's cuts, the client's header and row count), and the one papaparse
 * follows when it parses the rows.
 *
 * - Quotes: a `"` toggles quoting, so a doubled quote inside a quoted field toggles twice and needs no
 *   case of its own. Line breaks inside quotes are data.
 * - Line ends: a file has one. The first line break outside quotes decides which: `\r\n`, `\n`, or a
 *   lone `\r`. From then on only that sequence ends a record; the other line-break characters are data
 *   (in a `\n` file, a `\r` before a `\n` stays at the end of the last field, as papaparse keeps it).
 *   Papaparse guesses one line end per input from its first megabyte; its guess is this one whenever
 *   the file keeps one line end throughout, and the job reader hands papaparse the line end found here,
 *   so that the two agree on files with mixed line ends too.
 * - Records: a line is a record unless it holds one empty field and nothing else, which is what
 *   papaparse's `skipEmptyLines: true` passes over: an empty line, or a line of `""`, which ASCII spaces
 *   may follow before the line end (papaparse takes them for padding after the closing quote). A line
 *   of spaces is a record.
 *
 * The rule reads quotes where well-formed CSV puts them, at the start and the end of a field. A stray
 * quote inside an unquoted field (`a"b`) is data to papaparse and still toggles here, so on such a file
 * the count at upload and the rows read may differ.
 *
 * Shared by the server (the upload's count, the job's reader) and the client (its count and header
 * before the upload), so it imports neither.
 */
export type LineEnd = '\n' | '\r\n' | '\r';

const LF = 0x0a;
const CR = 0x0d;

/** The first of `ch` at or after `from`, or the text's length when there is none. */
function indexOrEnd(text: string, ch: string, from: number): number {
  const i = text.indexOf(ch, from);
  return i === -1 ? text.length : i;
}

/** True when text[from, to) is only ASCII white space (tab, LF, VT, FF, CR, space). */
function isSpace(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && (c < 0x09 || c > 0x0d)) return false;
  }
  return true;
}

/** The line end a first line break decides: `\n`, or for a CR the character after it (`\r\n` or `\r`). */
function lineEndAt(text: string, at: number): LineEnd {
  if (text.charCodeAt(at) === LF) return '\n';
  return text.charCodeAt(at + 1) === LF ? '\r\n' : '\r';
}

// What the current line holds so far.
/** Nothing. */
const BLANK = 0;
/** An opening quote at the start of the line, and nothing after it yet. */
const QUOTE_OPENED = 1;
/** `""`: one empty field. */
const EMPTY_FIELD = 2;
/** `""` and spaces after it. */
const EMPTY_FIELD_SPACED = 3;
/** Anything else: the line is a record. */
const CONTENT = 4;

/** What text[from, to), outside quotes, makes of a line that held `line` before it. */
function afterGap(line: number, text: string, from: number, to: number): number {
  return (line === EMPTY_FIELD || line === EMPTY_FIELD_SPACED) && isSpace(text, from, to)
    ? EMPTY_FIELD_SPACED
    : CONTENT;
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** The longest header and the longest record a RecordScanner reads before it stops with RecordTooLongError. */
export interface RecordLengthLimits {
  /** Characters (bytes, through `pushBytes`) of the first record, the header. */
  maxHeaderLength: number;
  /** Characters (bytes, through `pushBytes`) of any later record, line breaks inside quotes included. */
  maxRecordLength: number;
}

/** A record longer than the scanner's limit: thrown as soon as it is seen, before the record has ended. */
export class RecordTooLongError extends Error {
  constructor(
    readonly which: 'header' | 'record',
    /** The limit, in characters (bytes through `pushBytes`). */
    readonly limit: number,
    /** Which record, from 1 (the header). */
    readonly record: number,
  ) {
    super(`${which === 'header' ? 'the header' : `record ${record}`} is longer than ${limit} bytes`);
  }
}

/**
 * Reads every record end of a stream of text: counts the records and keeps the first one (the header),
 * without its line end. Jumps between quotes and line breaks with indexOf, so a chunk costs a few native
 * calls per record rather than a loop over every character.
 *
 * Text goes in through `push`, or bytes of UTF-8 (or of any ASCII-compatible encoding) through
 * `pushBytes`, one or the other. Bytes are read through their latin1 view: a copy of one character per
 * byte, far cheaper than decoding them, with the same record ends, since quote, CR and LF are never
 * part of a multi-byte UTF-8 sequence.
 */
export class RecordScanner {
  records = 0;
  /** The first record's text without its line end, once it has ended. */
  firstRecord: string | null = null;
  /** False when the first record is the text's last line, with no line end after it. */
  firstRecordClosed = true;
  /** The file's line end, once its first line break outside quotes is read (after `end()` whatever it is). */
  lineEnd: LineEnd | null = null;
  private quoted = false;
  /**
   * The text so far ends in a CR outside quotes whose meaning waits on the next character: either the
   * first line end (`\r` or `\r\n`, its line already ended), or in a `\r\n` file a line end or data.
   */
  private crPending = false;
  private line = BLANK;
  /** Until the first record ends: the current line's text from earlier chunks. */
  private firstParts: string[] = [];
  /** `pushBytes`: the first bytes, held until it is clear whether they are a UTF-8 BOM (which is not content). */
  private head: Buffer | null = Buffer.alloc(0);
  /** The length of the current record's text in earlier chunks. */
  private carried = 0;

  /** Without limits, a record may be as long as memory allows (only the header is ever kept). */
  constructor(private readonly limits: RecordLengthLimits = { maxHeaderLength: Infinity, maxRecordLength: Infinity }) {}

  /**
   * Bytes, read through their latin1 view; a leading UTF-8 BOM is passed over. `firstRecord` is then the
   * latin1 view of the record's bytes: `Buffer.from(firstRecord, 'latin1')` gives them back.
   */
  pushBytes(chunk: Buffer): void {
    let buf = chunk;
    if (this.head !== null) {
      buf = this.head = Buffer.concat([this.head, chunk]);
      if (buf.length < BOM.length && BOM.subarray(0, buf.length).equals(buf)) return;
      this.head = null;
      if (buf.subarray(0, BOM.length).equals(BOM)) buf = buf.subarray(BOM.length);
    }
    this.push(buf.toString('latin1'));
  }

  push(text: string): void {
    const n = text.length;
    if (n === 0) return;
    let pos = 0;
    if (this.crPending) {
      this.crPending = false;
      const lf = text.charCodeAt(0) === LF;
      if (this.lineEnd === null) {
        this.lineEnd = lf ? '\r\n' : '\r';
        if (lf) pos = 1;
      } else if (lf) {
        this.checkLength(this.carried);
        this.closeLine(text, 0, 0, this.line === CONTENT);
        this.line = BLANK;
        this.carried = 0;
        pos = 1;
      } else {
        this.line = afterGap(this.line, '\r', 0, 1);
        if (this.firstRecord === null) this.firstParts.push('\r');
      }
    }
    // The hot loop keeps its state in locals, and writes it back at the end.
    let quoted = this.quoted;
    let line = this.line;
    let lineStart = pos;
    let keepTo = n;
    let nextQuote = -1;
    let nextLF = -1;
    let nextCR = -1;
    while (pos < n) {
      if (quoted) {
        if (nextQuote < pos) nextQuote = indexOrEnd(text, '"', pos);
        if (nextQuote > pos) line = CONTENT;
        else if (line === QUOTE_OPENED) line = EMPTY_FIELD;
        if (nextQuote === n) break;
        quoted = false;
        pos = nextQuote + 1;
        continue;
      }
      if (nextQuote < pos) nextQuote = indexOrEnd(text, '"', pos);
      // The next line end: where it starts and how long it is (n when there is none in this text).
      let end: number;
      let endLength = 1;
      const lineEnd = this.lineEnd;
      if (lineEnd === '\n') {
        if (nextLF < pos) nextLF = indexOrEnd(text, '\n', pos);
        end = nextLF;
      } else if (lineEnd === '\r') {
        if (nextCR < pos) nextCR = indexOrEnd(text, '\r', pos);
        end = nextCR;
      } else if (lineEnd === '\r\n') {
        // A LF ends a line only after a CR of the same unquoted stretch; a lone LF is data.
        if (nextLF < pos) nextLF = indexOrEnd(text, '\n', pos);
        while (nextLF < n && (nextLF === pos || text.charCodeAt(nextLF - 1) !== CR)) {
          nextLF = indexOrEnd(text, '\n', nextLF + 1);
        }
        end = nextLF < n ? nextLF - 1 : n;
        endLength = 2;
      } else {
        if (nextLF < pos) nextLF = indexOrEnd(text, '\n', pos);
        if (nextCR < pos) nextCR = indexOrEnd(text, '\r', pos);
        end = Math.min(nextLF, nextCR);
      }
      const stop = nextQuote < end ? nextQuote : end;
      if (stop === n) {
        // A CR at the very end of a `\r\n` file's text may be half a line end: the next text tells.
        if (lineEnd === '\r\n' && text.charCodeAt(n - 1) === CR) {
          this.crPending = true;
          keepTo = n - 1;
        }
        if (keepTo > pos && line !== CONTENT) line = afterGap(line, text, pos, keepTo);
        break;
      }
      if (stop > pos && line !== CONTENT) line = afterGap(line, text, pos, stop);
      if (stop === nextQuote) {
        line = line === BLANK ? QUOTE_OPENED : CONTENT;
        quoted = true;
        pos = stop + 1;
        continue;
      }
      if (lineEnd === null) {
        if (stop === n - 1 && text.charCodeAt(stop) === CR) {
          // The first line end is a CR; whether a LF follows is for the next text to tell.
          this.checkLength(this.carried + stop - lineStart);
          this.closeLine(text, lineStart, stop, line === CONTENT);
          this.carried = 0;
          line = BLANK;
          this.crPending = true;
          lineStart = pos = n;
          break;
        }
        this.lineEnd = lineEndAt(text, stop);
        endLength = this.lineEnd.length;
      }
      this.checkLength(this.carried + stop - lineStart);
      this.carried = 0;
      if (line === CONTENT && this.firstRecord !== null) this.records++;
      else this.closeLine(text, lineStart, stop, line === CONTENT);
      line = BLANK;
      lineStart = pos = stop + endLength;
    }
    this.quoted = quoted;
    this.line = line;
    if (keepTo > lineStart) {
      // A record not ended yet is refused as soon as it is too long, not once it ends (it may never).
      this.carried += keepTo - lineStart;
      this.checkLength(this.carried);
      if (this.firstRecord === null) this.firstParts.push(text.slice(lineStart, keepTo));
    }
  }

  /** Throws RecordTooLongError when the current record, of `length` so far, is longer than allowed. */
  private checkLength(length: number): void {
    const header = this.firstRecord === null;
    const limit = header ? this.limits.maxHeaderLength : this.limits.maxRecordLength;
    if (length > limit) throw new RecordTooLongError(header ? 'header' : 'record', limit, this.records + 1);
  }

  /** Call once after the last text: a last line without a line end is a record too. */
  end(): void {
    if (this.head !== null && this.head.length > 0) {
      const head = this.head;
      this.head = null;
      this.push(head.toString('latin1'));
    }
    if (this.crPending) {
      this.crPending = false;
      if (this.lineEnd === null) this.lineEnd = '\r';
      else {
        this.line = afterGap(this.line, '\r', 0, 1);
        if (this.firstRecord === null) this.firstParts.push('\r');
      }
    }
    // Papaparse reads an unclosed quote to the end of the text, and `""` with spaces after it as a
    // malformed field that keeps them.
    if (this.line === CONTENT || this.line === EMPTY_FIELD_SPACED) {
      if (this.firstRecord === null) this.firstRecordClosed = false;
      this.closeLine('', 0, 0, true);
    }
    this.line = BLANK;
  }

  /** A line ends at text[end], having started at text[start] (or in an earlier text). */
  private closeLine(text: string, start: number, end: number, isRecord: boolean): void {
    if (isRecord) {
      this.records++;
      if (this.firstRecord === null) this.firstRecord = this.firstParts.join('') + text.slice(start, end);
    }
    if (this.firstParts.length > 0) this.firstParts = [];
  }
}

/** Just past the last line end in text[from, to), or 0 when there is none. */
function lastLineEnd(text: string, lineEnd: LineEnd, from: number, to: number): number {
  if (lineEnd === '\r\n') {
    // A LF ends a line only after a CR of the same unquoted stretch.
    for (let i = text.lastIndexOf('\n', to - 1); i > from; i = text.lastIndexOf('\n', i - 1)) {
      if (text.charCodeAt(i - 1) === CR) return i + 1;
    }
    return 0;
  }
  const i = text.lastIndexOf(lineEnd, to - 1);
  return i >= from ? i + 1 : 0;
}

/**
 * Finds where complete records end in a stream of text: the last line end outside quotes. Jumps from
 * quote to quote with indexOf and looks back for the line end with lastIndexOf, so text without quotes
 * costs one lastIndexOf. Blank lines are not its business: papaparse passes over them.
 */
export class RecordBoundary {
  /**
   * The file's line end, for the parser: as found so far, or null while no line break outside quotes
   * has been read. After the last text, call `end()` first.
   */
  lineEnd: LineEnd | null = null;
  private quoted = false;
  /** As in RecordScanner: a CR outside quotes ends the text so far, and the next character tells what it is. */
  private crPending = false;

  /** The index just past the last record end in `text`, or 0 when there is none. */
  scan(text: string): number {
    const n = text.length;
    let pos = 0;
    let boundary = 0;
    if (this.crPending && n > 0) {
      this.crPending = false;
      const lf = text.charCodeAt(0) === LF;
      if (this.lineEnd === null) this.lineEnd = lf ? '\r\n' : '\r';
      if (lf) pos = boundary = 1;
    }
    let quoted = this.quoted;
    let nextLF = -1;
    let nextCR = -1;
    while (pos < n) {
      const next = text.indexOf('"', pos);
      const stretchEnd = next === -1 ? n : next;
      if (!quoted && stretchEnd > pos) {
        if (this.lineEnd === null) {
          if (nextLF < pos) nextLF = indexOrEnd(text, '\n', pos);
          if (nextCR < pos) nextCR = indexOrEnd(text, '\r', pos);
          const first = Math.min(nextLF, nextCR);
          if (first < stretchEnd) {
            if (first === n - 1 && first === nextCR) this.crPending = true;
            else this.lineEnd = lineEndAt(text, first);
          }
        }
        if (this.lineEnd !== null) boundary = lastLineEnd(text, this.lineEnd, pos, stretchEnd) || boundary;
      }
      if (next === -1) break;
      quoted = !quoted;
      pos = next + 1;
    }
    // In a `\r\n` file a CR at the very end may be half a line end.
    if (!quoted && this.lineEnd === '\r\n' && text.charCodeAt(n - 1) === CR) this.crPending = true;
    this.quoted = quoted;
    return boundary;
  }

  /** Call once after the last text: a CR that ended it was the first line end, a lone `\r`. */
  end(): void {
    if (this.crPending && this.lineEnd === null) this.lineEnd = '\r';
    this.crPending = false;
  }
}
