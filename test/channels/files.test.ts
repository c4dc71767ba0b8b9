// Partner files end to end: CSV and XLSX with good and bad rows, the same file twice, wrong encoding
// and missing columns, the drop-folder watcher, ingest-error retry and the shipped-orders export.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import ExcelJS from 'exceljs';
import { samplePartnerColumns } from '../../src/devkit/samples';
import { workflowIdFor } from '../../src/domain/orders/model';
import { env, startTestSystem, type TestSystem, uid, waitFor } from '../support/system';
import {
  createChannel,
  ordersOf,
  runPoll,
  scan,
  stockEverywhere,
  waitForOrders,
  waitForStatus,
} from './helpers';

let sys: TestSystem;
before(async () => {
  sys = await startTestSystem();
});
after(async () => {
  await sys?.close();
});

/** A German reseller's export: semicolons, decimal commas, dd.MM.yyyy HH:mm in Europe/Berlin. */
const columns = samplePartnerColumns;
const header = 'Bestellnr;Datum;Kunde;E-Mail;Strasse;Ort;PLZ;Land;Artikel;Bezeichnung;Menge;Preis';

async function filesChannel(config: Record<string, unknown> = {}) {
  const name = uid('partner-');
  const dir = path.join(env.work, 'drop', name);
  fs.mkdirSync(dir, { recursive: true });
  await createChannel(sys, {
    kind: 'files',
    name,
    config: {
      dir,
      columns,
      delimiter: ';',
      decimalComma: true,
      dateFormat: 'dd.MM.yyyy HH:mm',
      zone: 'Europe/Berlin',
      currency: 'EUR',
      settleMs: 0,
      // Tests run the poll themselves; the watcher test turns watching on.
      watch: false,
      retry: { initialIntervalSeconds: 0.2, maximumAttempts: 3 },
      ...config,
    },
  });
  return { name, dir };
}

const ls = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []);

describe('partner files channel', () => {
  it('imports the good orders of a CSV file, lists each bad row with its row number and reason, and moves the file to processed/', async () => {
    const { name, dir } = await filesChannel();
    const csv = [
      header,
      'B-1;25.11.2026 09:30;Erika Muster;erika@example.de;Hauptstr. 1;Berlin;10115;DE;LAMP-01;Tischlampe;2;25,99',
      'B-1;25.11.2026 09:30;Erika Muster;erika@example.de;Hauptstr. 1;Berlin;10115;DE;BULB-02;Birne;4;1.234,50',
      'B-2;25.11.2026 10:00;Hans Huber;hans@example.de;Ring 5;Wien;1010;AT;LAMP-01;Tischlampe;zwei;25,99',
      'B-3;25.11.2026 11:00;Ida Klein;ida@example.de;Weg 3;Köln;50667;Germany;LAMP-01;Tischlampe;1;25,99',
      ';25.11.2026 11:30;Ohne Nummer;x@example.de;Weg 4;Köln;50667;DE;LAMP-01;Tischlampe;1;25,99',
      'B-4;31.06.2026 12:00;Otto Datum;otto@example.de;Weg 5;Bonn;53111;DE;LAMP-01;Tischlampe;1;25,99',
      'B-5;01.07.2026 12:00;Paula Sommer;paula@example.de;Weg 6;Bonn;53111;DE;LAMP-01;Tischlampe;1;25,99',
    ].join('\r\n');
    fs.writeFileSync(path.join(dir, 'orders-2026-11-25.csv'), `\ufeff${csv}\r\n`);

    const stats = await runPoll(sys, name);
    assert.equal(stats.orders, 6, JSON.stringify(stats));
    assert.equal(stats.errors, 4);
    assert.equal(stats.started, 2);
    const rows = await waitForOrders(sys, name, 2);
    assert.deepEqual(
      rows.map((r) => r.external_id),
      ['B-1', 'B-5'],
    );
    const b1 = rows[0]!;
    assert.equal(
      b1.ordered_at.toISOString(),
      '2026-11-25T08:30:00.000Z',
      '09:30 in Berlin in winter is 08:30 UTC',
    );
    assert.equal(b1.ordered_at_offset, '+01:00');
    assert.equal(b1.subtotal_minor, 2 * 2599 + 4 * 123450, 'decimal commas, thousands dots');
    assert.equal(rows[1]!.ordered_at_offset, '+02:00', 'summer time');
    const lines = await sys.db('order_lines').where({ order_id: b1.id }).orderBy('line_no');
    assert.deepEqual(
      lines.map((l) => l.sku),
      ['LAMP-01', 'BULB-02'],
    );

    const errors = (await sys.request('GET', `/api/ingest-errors?channel=${name}`)).body.errors as {
      rowNumber: number;
      reason: string;
      source: string;
      rawRow: string;
    }[];
    const byRow = Object.fromEntries(errors.map((e) => [e.rowNumber, e]));
    assert.deepEqual(Object.keys(byRow).map(Number).sort(), [4, 5, 6, 7]);
    assert.match(byRow[4]!.reason, /row 4, column "Menge": "zwei" is not a positive whole number/);
    assert.match(byRow[5]!.reason, /shipTo\.country/);
    assert.match(byRow[6]!.reason, /order number is empty/);
    assert.match(byRow[7]!.reason, /"31\.06\.2026 12:00" is not a date/);
    assert.equal(byRow[4]!.source, 'orders-2026-11-25.csv');
    assert.equal(JSON.parse(byRow[4]!.rawRow).Menge, 'zwei');

    assert.deepEqual(
      ls(dir).filter((f) => !['processed', 'failed', 'outbox'].includes(f)),
      [],
    );
    assert.match(ls(path.join(dir, 'processed'))[0]!, /^\d{8}T\d{6}-orders-2026-11-25\.csv$/);
    const files = (await sys.request('GET', `/api/channels/${name}/files`)).body.files;
    assert.equal(files[0].status, 'processed');
    assert.equal(files[0].rowsTotal, 7);
    assert.equal(files[0].rowsFailed, 4);

    // Ops correct the quantity of row 4 and retry: the order is imported.
    const fixed = { ...JSON.parse(byRow[4]!.rawRow), Menge: '2' };
    const errorId = errors.find((e) => e.rowNumber === 4) as unknown as { id: number };
    const retried = await sys.request('POST', `/api/ingest-errors/${errorId.id}/retry`, { payload: fixed });
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    assert.equal(retried.body.workflowId, workflowIdFor(name, 'B-2'));
    await waitForOrders(sys, name, 3);
  });

  it('imports an XLSX workbook with date cells, numbers and a bad row', async () => {
    const { name, dir } = await filesChannel({ zone: 'Asia/Singapore', decimalComma: false });
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Orders');
    ws.addRow(header.split(';'));
    ws.addRow([
      'X-1',
      new Date(Date.UTC(2026, 10, 25, 9, 30)),
      'Tan Ah Kow',
      'tan@example.sg',
      '1 Orchard Rd',
      'Singapore',
      '238824',
      'SG',
      'LAMP-01',
      'Lamp',
      3,
      19.9,
    ]);
    ws.addRow([
      'X-2',
      '2026-11-25T09:30:00+01:00',
      'Lim Mei',
      'lim@example.sg',
      '2 Orchard Rd',
      'Singapore',
      '238825',
      'SG',
      'LAMP-01',
      'Lamp',
      1,
      19.9,
    ]);
    ws.addRow([
      'X-3',
      new Date(Date.UTC(2026, 10, 25, 9, 30)),
      'Bad Email',
      'not-an-email',
      '3 Orchard Rd',
      'Singapore',
      '238826',
      'SG',
      'LAMP-01',
      'Lamp',
      1,
      19.9,
    ]);
    ws.getColumn(2).numFmt = 'dd.mm.yyyy hh:mm';
    await wb.xlsx.writeFile(path.join(dir, 'week-48.xlsx'));

    const stats = await runPoll(sys, name);
    assert.equal(stats.errors, 1, JSON.stringify(stats));
    const rows = await waitForOrders(sys, name, 2);
    const x1 = rows.find((r) => r.external_id === 'X-1')!;
    assert.equal(
      x1.ordered_at.toISOString(),
      '2026-11-25T01:30:00.000Z',
      'a naive date cell is read in Asia/Singapore (+08:00)',
    );
    assert.equal(x1.ordered_at_offset, '+08:00');
    assert.equal(x1.subtotal_minor, 3 * 1990);
    const x2 = rows.find((r) => r.external_id === 'X-2')!;
    assert.equal(
      x2.ordered_at.toISOString(),
      '2026-11-25T08:30:00.000Z',
      'an explicit +01:00 wins over the zone',
    );
    const [err] = (await sys.request('GET', `/api/ingest-errors?channel=${name}`)).body.errors;
    assert.equal(err.rowNumber, 4);
    assert.match(err.reason, /customer\.email/);
  });

  it('imports a file once even when the same content is dropped twice under another name', async () => {
    const { name, dir } = await filesChannel();
    const csv = `${header}\nD-1;25.11.2026 09:30;Erika Muster;erika@example.de;Hauptstr. 1;Berlin;10115;DE;LAMP-01;Lampe;1;10,00\n`;
    fs.writeFileSync(path.join(dir, 'a.csv'), csv);
    await runPoll(sys, name);
    await waitForOrders(sys, name, 1);
    fs.writeFileSync(path.join(dir, 'a-copy.csv'), csv);
    const second = await runPoll(sys, name);
    assert.equal(second.started, 0);
    assert.equal((await sys.db('raw_orders').where({ channel: name })).length, 1);
    assert.equal((await ordersOf(sys, name)).length, 1);
    assert.equal(ls(path.join(dir, 'processed')).length, 2, 'the copy is set aside with the original');
    const [file] = (await sys.request('GET', `/api/channels/${name}/files`)).body.files;
    assert.equal(file.duplicates, 1);
  });

  it('moves a file in the wrong encoding and a file with missing columns to failed/ with a readable reason', async () => {
    const { name, dir } = await filesChannel();
    const latin1 = Buffer.from(
      `${header}\nE-1;25.11.2026 09:30;Jürgen Müller;j@example.de;Straße 1;München;80331;DE;LAMP-01;Lampe;1;10,00\n`,
      'latin1',
    );
    fs.writeFileSync(path.join(dir, 'latin1.csv'), latin1);
    fs.writeFileSync(
      path.join(dir, 'short.csv'),
      'Bestellnr;Datum;Kunde;Artikel;Menge;Preis\nE-2;25.11.2026 09:30;Eva;LAMP-01;1;10,00\n',
    );
    const stats = await runPoll(sys, name);
    assert.equal(stats.errors, 2);
    assert.equal((await ordersOf(sys, name)).length, 0);
    const failed = ls(path.join(dir, 'failed'));
    assert.equal(failed.length, 4, failed.join(', '));
    const reason = (suffix: string) =>
      fs.readFileSync(
        path.join(dir, 'failed', failed.find((f) => f.endsWith(`${suffix}.error.txt`))!),
        'utf8',
      );
    assert.match(reason('latin1.csv'), /not valid UTF-8 near byte \d+.*latin1/);
    assert.match(
      reason('short.csv'),
      /missing column\(s\) "E-Mail", "Strasse", "Ort", "PLZ", "Land", "Bezeichnung"/,
    );
    const files = (await sys.request('GET', `/api/channels/${name}/files`)).body.files;
    assert.deepEqual(
      files.map((f: { status: string }) => f.status),
      ['failed', 'failed'],
    );

    // The same partner, configured for Latin-1: the file imports.
    const { name: n2, dir: d2 } = await filesChannel({ encoding: 'latin1' });
    fs.writeFileSync(path.join(d2, 'latin1.csv'), latin1);
    await runPoll(sys, n2);
    const [row] = await waitForOrders(sys, n2, 1);
    assert.equal(row.customer.name, 'Jürgen Müller');
  });

  it('picks up a dropped file by itself (folder watcher → schedule trigger) and exports shipped orders with tracking numbers', async () => {
    const { name, dir } = await filesChannel({ watch: true });
    const sku = uid('FILE-');
    await stockEverywhere(sys, [sku]);
    fs.writeFileSync(
      path.join(dir, 'incoming.csv'),
      `${header}\nW-1;25.11.2026 09:30;Erika Muster;erika@example.de;1 Main St;Los Angeles;90001;US;${sku};Lampe;1;10,00\n`,
    );
    const [row] = await waitForOrders(sys, name, 1, 30_000);
    await waitFor(() => ls(path.join(dir, 'processed')).length === 1, 'the file moved to processed/');
    await waitForStatus(sys, row.workflow_id, 'AWAITING_SCAN');
    await scan(sys, row.workflow_id, '1ZPARTNER0001', 'DHL');
    await waitForStatus(sys, row.workflow_id, 'COMPLETED');
    const exports = ls(path.join(dir, 'outbox'));
    assert.equal(exports.length, 1);
    const text = fs
      .readFileSync(path.join(dir, 'outbox', exports[0]!), 'utf8')
      .trim()
      .split('\n');
    assert.equal(text[0], 'Bestellnr;carrier;tracking_number;shipped_at');
    assert.match(text[1]!, /^W-1;DHL;1ZPARTNER0001;2\d{3}-/);
  });
});
