// The knex/pg database handle and the migrator that reads ./migrations.
import fs from 'node:fs';
import path from 'node:path';
import knex, { type Knex } from 'knex';
import pg from 'pg';

export type Db = Knex;
/** A transaction: stores take `Db | Tx` so a caller can run several of them in one. */
export type Tx = Knex.Transaction;

// bigint columns (minor units, counts) come back as numbers: our amounts stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number.parseInt(v, 10));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number.parseFloat(v));

export interface DbOptions {
  poolMax?: number;
  /** Opening one connection (PostgreSQL down or unreachable): fail after this, default 2 s. */
  connectTimeoutMs?: number;
  /** Waiting for a free pooled connection: fail after this, default 10 s (knex's own is 60 s). */
  acquireTimeoutMs?: number;
}

/** A pool whose every wait is bounded, so a request fails fast (503) while PostgreSQL is away. */
export function createDb(connectionString: string, opts: DbOptions = {}): Db {
  return knex({
    client: 'pg',
    connection: {
      connectionString,
      application_name: 'order-hub',
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 2000,
    },
    pool: { min: 0, max: opts.poolMax ?? 10 },
    acquireConnectionTimeout: opts.acquireTimeoutMs ?? 10_000,
  });
}

export const migrationsDir = path.resolve(__dirname, '..', '..', 'migrations');

interface MigrationModule {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/** Loads migrations by explicit require so they run the same under tsx and from compiled JS. */
class DirectoryMigrationSource implements Knex.MigrationSource<string> {
  constructor(private readonly dir: string) {}
  async getMigrations(): Promise<string[]> {
    const ext = /\.(ts|js)$/;
    const files = fs.readdirSync(this.dir).filter((f) => ext.test(f) && !f.endsWith('.d.ts'));
    // A name is its stem, so a compiled .js replaces its .ts without looking like a new migration.
    return [...new Set(files.map((f) => f.replace(ext, '')))].sort();
  }
  getMigrationName(name: string): string {
    return name;
  }
  async getMigration(name: string): Promise<MigrationModule> {
    return require(path.join(this.dir, name)) as MigrationModule;
  }
}

export function migrationConfig(dir = migrationsDir): Knex.MigratorConfig {
  return { migrationSource: new DirectoryMigrationSource(dir), tableName: 'knex_migrations' };
}

export async function migrateLatest(db: Db): Promise<string[]> {
  const [, applied] = (await db.migrate.latest(migrationConfig())) as [number, string[]];
  return applied;
}

export async function migrateRollbackAll(db: Db): Promise<void> {
  await db.migrate.rollback(migrationConfig(), true);
}

/** Readiness: the database answers a trivial query. */
export async function pingDb(db: Db): Promise<void> {
  await db.raw('select 1');
}
