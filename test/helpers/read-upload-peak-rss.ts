/**
 * Run as a child process: reads an uploaded zip as the server does (its summary at upload, then every row as
 * a job does) and prints the counts and the process's peak RSS in KiB, before reading and after, as JSON.
 */
import { readZipCsvRows, summarizeZipCsv } from '../../src/csv/read-csv.js';

const zipPath = process.argv[2]!;
const beforeKiB = process.resourceUsage().maxRSS;
const summary = await summarizeZipCsv(zipPath);
let rows = 0;
for await (const batch of readZipCsvRows(zipPath, 'UTF-8', summary.delimiter)) rows += batch.length;
const peakKiB = process.resourceUsage().maxRSS;
process.stdout.write(JSON.stringify({ rowCount: summary.rowCount, header: summary.header, rows, beforeKiB, peakKiB }));
