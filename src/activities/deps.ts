// What activity factories receive: built once per worker, never reached for as globals.
import type { Config } from '../config';
import type { Db } from '../db/knex';
import type { Mailer } from '../infra/mailer';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';

export interface ActivityDeps {
  db: Db;
  config: Config;
  mailer: Mailer;
  log: Logger;
  metrics: Metrics;
}
