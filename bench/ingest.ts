// Benchmark 1, ingestion: a generated partner CSV through the files channel's own code, beside
// PostgreSQL COPY of the same file into a plain table (the physical ceiling for getting rows in).
// Three figures on the same rows: parse + normalize + validate without a database; the same plus
// de-duplicated storage in Postgres (the ingest activity's batches); and the whole ingest activity
// run by the channel-poll workflow with every order's workflow started, beside bare workflow starts
// on the same Temporal server (what the server allows). It runs on a Temporal dev server of its own
// that is thrown away afterwards, so the started order workflows never run and later phases start
// clean.
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Worker } from '@temporalio/worker';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { createActivities } from '../src/activities';
import { BATCH, storeFileBatch } from '../src/activities/channels';
import { type FileOrderPayload, type FilesChannel, groupOrders } from '../src/channels/files/normalize';
import { readRecords } from '../src/channels/files/parse';
import { connectors, parseChannel } from '../src/channels/registry';
import { freePort } from '../src/devkit/ports';
import { startTemporalDevServer } from '../src/devkit/temporal-cli';
import { loadChannelRow } from '../src/domain/channels/store';
import { loadConfig } from '../src/platform/config';
import type { Db } from '../src/platform/db';
import type { Logger } from '../src/platform/logger';
import { createMailer } from '../src/platform/mailer';
import { createMetrics } from '../src/platform/metrics';
import type { PollStats } from '../src/workflows/channel-poll';
import { searchAttributeList } from '../src/workflows/definitions';
import { inParallel, perSecond, type Row, say } from './lib';

const COLUMNS = 'order,date,name,email,street,city,state,zip,country,sku,qty,price';

function writeCsv(file: string, prefix: string, rows: number): void {
  const out = fs.openSync(file, 'w');
  fs.writeSync(out, `${COLUMNS}\n`);
  for (let i = 1; i <= rows; i += 1000) {
    const chunk: string[] = [];
    for (let k = i; k < Math.min(rows + 1, i + 1000); k++)
      chunk.push(
        `${prefix}${k},2026-11-25 09:${String(k % 60).padStart(2, '0')}:00,Customer ${k},c${k}@example.com,${k} Main St,Los Angeles,CA,90001,US,BENCH-1,${1 + (k % 3)},${(10 + (k % 50)).toFixed(2)}`,
      );
    fs.writeSync(out, `${chunk.join('\n')}\n`);
  }
  fs.closeSync(out);
}

async function addFilesChannel(db: Db, name: string, dir: string): Promise<FilesChannel> {
  fs.mkdirSync(dir, { recursive: true });
  await db('channels').insert({
    name,
    kind: 'files',
    config: JSON.stringify({
      dir,
      settleMs: 0,
      watch: false,
      currency: 'USD',
      zone: 'America/Los_Angeles',
      columns: {
        externalId: 'order',
        orderedAt: 'date',
        customerName: 'name',
        customerEmail: 'email',
        line1: 'street',
        city: 'city',
        region: 'state',
        postalCode: 'zip',
        country: 'country',
        sku: 'sku',
        qty: 'qty',
        unitPrice: 'price',
      },
    }),
    credentials: '{}',
  });
  return parseChannel((await loadChannelRow(db, name))!) as FilesChannel;
}

/** The file's orders as the ingest activity reads them: rows grouped by order number. */
function ordersOf(ch: FilesChannel, file: string) {
  return groupOrders(
    readRecords(file, { format: 'csv', encoding: 'utf8', delimiter: ',', onHeader() {} }),
    ch.config,
  );
}

export async function ingestBench(opts: {
  db: Db;
  databaseUrl: string;
  cliPath: string;
  work: string;
  rows: number;
  startRows: number;
  log: Logger;
}): Promise<Row[]> {
  const { db, rows, startRows } = opts;
  const ch = await addFilesChannel(db, 'bench-partner', path.join(opts.work, 'drop', 'bench-partner'));
  const csv = path.join(opts.work, 'bench.csv');
  writeCsv(csv, 'P', rows);
  const mb = (fs.statSync(csv).size / 1e6).toFixed(1);
  say(`ingestion: ${rows} rows (${mb} MB) generated`);

  // Parse + normalize + validate, no database.
  let t0 = Date.now();
  let valid = 0;
  for await (const group of ordersOf(ch, csv)) {
    const preview = connectors.files.preview(ch, JSON.stringify({ file: 'bench.csv', rows: group }));
    if (preview.ok) valid++;
  }
  if (valid !== rows) throw new Error(`parse + normalize: ${valid} of ${rows} rows valid`);
  const parsePerSec = perSecond(rows, t0);

  // COPY of the same file into a plain table: the physical ceiling.
  const client = new pg.Client({ connectionString: opts.databaseUrl });
  await client.connect();
  await client.query(
    `CREATE TABLE bench_copy (${COLUMNS.split(',')
      .map((c) => `"${c}" text`)
      .join(', ')})`,
  );
  t0 = Date.now();
  await new Promise<void>((resolve, reject) => {
    const sink = client.query(copyFrom('COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)'));
    sink.on('finish', resolve).on('error', reject);
    fs.createReadStream(csv).on('error', reject).pipe(sink);
  });
  const copyPerSec = perSecond(rows, t0);
  const copied = Number((await client.query('SELECT count(*) AS n FROM bench_copy')).rows[0].n);
  await client.end();
  if (copied !== rows) throw new Error(`COPY: ${copied} of ${rows} rows`);

  // The ingest activity's store step: validated, de-duplicated raw payloads, BATCH orders per transaction.
  say('ingestion: storing through the ingest path');
  t0 = Date.now();
  let stored = 0;
  let batch: FileOrderPayload['rows'][] = [];
  const flush = async () => {
    stored += (await storeFileBatch(db, ch, 'bench.csv', batch)).stats.stored;
    batch = [];
  };
  for await (const group of ordersOf(ch, csv)) {
    batch.push(group);
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  const storePerSec = perSecond(rows, t0);
  if (stored !== rows) throw new Error(`store: ${stored} of ${rows} orders stored`);
  // The same file again stores nothing: de-duplicated by content.
  const again = await storeFileBatch(db, ch, 'bench.csv', [(await ordersOf(ch, csv).next()).value!]);
  if (again.stats.stored !== 0) throw new Error('the same order stored twice');

  // The whole ingest activity, workflows started, on a throw-away Temporal server.
  say(`ingestion: ${startRows} rows through the channel-poll workflow, every order's workflow started`);
  const temporal = await startTemporalDevServer({
    cliPath: opts.cliPath,
    port: await freePort(),
    namespace: 'default',
    searchAttributes: searchAttributeList,
    headless: true,
    freshSearchAttributes: false,
  });
  try {
    return await startsThroughThePoll();
  } finally {
    await temporal.stop();
  }

  async function startsThroughThePoll(): Promise<Row[]> {
    const startsCh = await addFilesChannel(db, 'bench-starts', path.join(opts.work, 'drop', 'bench-starts'));
    writeCsv(path.join(startsCh.config.dir, 'orders.csv'), 'S', startRows);
    // Order workflows go to a task queue nobody polls: they are started, not run.
    const config = loadConfig({
      DATABASE_URL: opts.databaseUrl,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: 'bench-ingest-orders',
      WORKER_METRICS_PORT: '0',
    });
    const metrics = createMetrics();
    const mailer = createMailer({ from: config.MAIL_FROM, log: opts.log });
    const connection = await NativeConnection.connect({ address: temporal.address });
    const worker = await Worker.create({
      connection,
      taskQueue: 'bench-ingest-poll',
      workflowBundle: await bundleWorkflowCode({
        workflowsPath: require.resolve('../src/workflows/channel-poll'),
        logger: new DefaultLogger('ERROR'),
      }),
      activities: createActivities({ db, config, mailer, log: opts.log, metrics }),
    });
    const running = worker.run();
    const temporalClient = new Client({
      connection: await Connection.connect({ address: temporal.address }),
    });
    t0 = Date.now();
    const stats: PollStats = await temporalClient.workflow.execute('channelPollWorkflow', {
      taskQueue: 'bench-ingest-poll',
      workflowId: 'bench-ingest',
      args: [{ channel: 'bench-starts' }],
    });
    const startedPerSec = perSecond(startRows, t0);
    if (stats.started !== startRows)
      throw new Error(`expected ${startRows} workflows started: ${JSON.stringify(stats)}`);
    // Bare starts of the same number of workflows, as many at once as the ingest path uses.
    t0 = Date.now();
    await inParallel(
      Array.from({ length: startRows }, (_, i) => i),
      32,
      async (i) => {
        await temporalClient.workflow.start('orderWorkflow', {
          taskQueue: 'bench-bare-starts',
          workflowId: `bare-${i}`,
          args: [{ channel: 'bare', externalId: String(i), source: 'file' }],
        });
      },
    );
    const barePerSec = perSecond(startRows, t0);
    worker.shutdown();
    await running;
    await connection.close();
    await temporalClient.connection.close();
    mailer.close();

    return [
      {
        name: `ingestion: parse + normalize + validate, no database (${rows} rows)`,
        figure: `${parsePerSec.toFixed(0)} rows/s`,
        baseline: `PostgreSQL COPY of the same file: ${copyPerSec.toFixed(0)} rows/s`,
        ratio: parsePerSec / copyPerSec,
      },
      {
        name: `ingestion: normalized, validated, de-duplicated into Postgres (${rows} rows)`,
        figure: `${storePerSec.toFixed(0)} rows/s`,
        baseline: `PostgreSQL COPY: ${copyPerSec.toFixed(0)} rows/s`,
        ratio: storePerSec / copyPerSec,
      },
      {
        name: `ingestion: … and every order's workflow started (${startRows} rows, channel-poll workflow)`,
        figure: `${startedPerSec.toFixed(0)} rows/s`,
        baseline: `COPY ${copyPerSec.toFixed(0)} rows/s; bare workflow starts on the same server: ${barePerSec.toFixed(0)}/s (ours/bare ${(startedPerSec / barePerSec).toFixed(2)})`,
        ratio: startedPerSec / copyPerSec,
      },
    ];
  }
}
