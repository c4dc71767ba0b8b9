// The database a CLI command (token, keys) works on: DATABASE_URL, else the embedded one `npm start`
// runs; and what the command says when that database cannot be reached.
import type { Config } from '../../platform/config';
import { createDb, type Db } from '../../platform/db';

/** A one-connection pool on DATABASE_URL or on `npm start`'s embedded database (said on stderr). */
export function cliDatabase(config: Config): Db {
  if (!config.DATABASE_URL)
    process.stderr.write(
      `DATABASE_URL is unset: using npm start's embedded database on port ${config.EMBEDDED_PG_PORT}\n`,
    );
  const url =
    config.DATABASE_URL ??
    `postgres://postgres:order-hub-local@127.0.0.1:${config.EMBEDDED_PG_PORT}/order_hub`;
  return createDb(url, { poolMax: 1 });
}

/** Writes the failure's message (a hint when the embedded database is not running) and sets exit code 1. */
export function reportCliFailure(config: Config, message: string): void {
  process.stderr.write(
    /ECONNREFUSED/.test(message) && !config.DATABASE_URL
      ? 'cannot reach the embedded database: is `npm start` running? Or set DATABASE_URL.\n'
      : `${message}\n`,
  );
  process.exitCode = 1;
}
