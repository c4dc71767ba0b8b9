// Write-back for partner files: each shipped order becomes a line of outbox/shipped-<date>.csv in the
// partner's folder (order number, carrier, tracking number, shipped at). Appends are single writes.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { OrderRow } from '../../domain/orders/store';
import type { FilesChannel } from './normalize';

function csvField(v: string, delimiter: string): string {
  return /["\r\n]/.test(v) || v.includes(delimiter) ? `"${v.replace(/"/g, '""')}"` : v;
}

export async function writeBackFiles(ch: FilesChannel, order: OrderRow): Promise<string> {
  if (!ch.config.exportShipped) return 'skipped: exportShipped is off';
  const d = ch.config.delimiter;
  const shippedAt = (order.shipped_at ?? new Date()).toISOString();
  const outbox = path.join(ch.config.dir, 'outbox');
  await fs.mkdir(outbox, { recursive: true });
  const file = path.join(outbox, `shipped-${shippedAt.slice(0, 10)}.csv`);
  const header = [ch.config.columns.externalId, 'carrier', 'tracking_number', 'shipped_at'];
  // The first writer of the day creates the file with its header; 'wx' fails for everyone after.
  await fs.writeFile(file, `${header.map((h) => csvField(h, d)).join(d)}\n`, { flag: 'wx' }).catch((err) => {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  });
  const line = [order.external_id, order.carrier ?? '', order.tracking_number ?? '', shippedAt];
  await fs.appendFile(file, `${line.map((v) => csvField(v, d)).join(d)}\n`);
  return `exported to ${path.relative(ch.config.dir, file)}`;
}
