// What activity factories receive: built once per worker, never reached for as globals.
import type { Config } from '../platform/config';
import type { Db } from '../platform/db';
import type { Logger } from '../platform/logger';
import type { Mailer } from '../platform/mailer';
import type { Metrics } from '../platform/metrics';

export interface ActivityDeps {
  db: Db;
  config: Config;
  mailer: Mailer;
  log: Logger;
  metrics: Metrics;
}
