// Rule versions in PostgreSQL: drafts, the one active version, atomic audited publishing, and the
// routing input built from an order's facts.
import type { Knex } from 'knex';
import type { Db } from '../../platform/db';
import { writeAudit } from '../audit/service';
import type { OrderFacts } from '../orders/model';
import type { RoutingInput } from './engine';
import type { JdmDocument } from './jdm';

export interface RuleVersionRow {
  version: number;
  name: string;
  document: JdmDocument;
  status: 'draft' | 'published';
  active: boolean;
  created_by: string;
  created_at: Date;
  published_by: string | null;
  published_at: Date | null;
  publish_reason: string | null;
}

export async function findRuleVersion(db: Db, version: number): Promise<RuleVersionRow | undefined> {
  return db<RuleVersionRow>('rule_versions').where({ version }).first();
}

export async function listRuleVersions(db: Db): Promise<RuleVersionRow[]> {
  return db<RuleVersionRow>('rule_versions').orderBy('version', 'desc');
}

/** A new draft version, audited in the same transaction. */
export async function insertDraftVersion(
  db: Db,
  draft: { name: string; document: unknown },
  by: { actor: string; role: string; requestId?: string | undefined },
): Promise<RuleVersionRow> {
  return db.transaction(async (trx) => {
    const [created] = await trx<RuleVersionRow>('rule_versions')
      .insert({ name: draft.name, document: JSON.stringify(draft.document) as never, created_by: by.actor })
      .returning('*');
    await writeAudit(trx, {
      actor: by.actor,
      role: by.role,
      action: 'rules:draft',
      targetType: 'rule_version',
      targetId: String(created!.version),
      after: { name: draft.name },
      ...(by.requestId ? { requestId: by.requestId } : {}),
    });
    return created!;
  });
}

export async function activeRuleVersion(db: Db | Knex.Transaction): Promise<RuleVersionRow | undefined> {
  return db<RuleVersionRow>('rule_versions').where({ active: true }).first();
}

export async function knownFulfillers(db: Db | Knex.Transaction): Promise<Set<string>> {
  return new Set(await db('fulfillers').where({ active: true }).pluck('code'));
}

/**
 * Makes `version` the only active version, in one transaction serialised by an advisory lock, and
 * audits it. Publishing an older version again is the rollback.
 */
export async function publishVersion(
  db: Db,
  version: number,
  by: { actor: string; role: string; reason: string; requestId?: string },
  check: (trx: Knex.Transaction, row: RuleVersionRow) => Promise<void>,
): Promise<RuleVersionRow> {
  return db.transaction(async (trx) => {
    await trx.raw("SELECT pg_advisory_xact_lock(hashtext('order-hub:rule-publish'))");
    const row = await trx<RuleVersionRow>('rule_versions').where({ version }).first();
    if (!row) throw new RuleVersionNotFound(version);
    await check(trx, row);
    const before = await activeRuleVersion(trx);
    await trx('rule_versions').where({ active: true }).update({ active: false });
    const [published] = await trx<RuleVersionRow>('rule_versions')
      .where({ version })
      .update({
        active: true,
        status: 'published',
        published_by: by.actor,
        published_at: trx.fn.now(),
        publish_reason: by.reason,
      })
      .returning('*');
    await writeAudit(trx, {
      actor: by.actor,
      role: by.role,
      action: 'rules:publish',
      targetType: 'rule_version',
      targetId: String(version),
      before: before ? { activeVersion: before.version } : null,
      after: { activeVersion: version },
      reason: by.reason,
      ...(by.requestId ? { requestId: by.requestId } : {}),
    });
    return published!;
  });
}

export class RuleVersionNotFound extends Error {
  constructor(readonly version: number) {
    super(`no rule version ${version}`);
  }
}

/** The values a rule can test, from the order and the catalogue (categories, weight, perishable). */
export async function routingInput(db: Db, facts: OrderFacts): Promise<RoutingInput> {
  const skus = [...new Set(facts.lines.map((l) => l.sku))];
  const [catalogue, region, fx] = await Promise.all([
    db('skus').whereIn('sku', skus).select('sku', 'category', 'weight_grams', 'perishable'),
    db('regions').where({ country: facts.shipCountry }).first('region'),
    db('fx_rates').where({ currency: facts.currency }).first('to_base'),
  ]);
  const bySku = new Map(catalogue.map((c) => [c.sku as string, c]));
  const categories = new Set<string>();
  let weightGrams = 0;
  let perishable = false;
  for (const line of facts.lines) {
    const c = bySku.get(line.sku);
    const category = line.category ?? c?.category;
    if (category) categories.add(category);
    weightGrams += (c?.weight_grams ?? 0) * line.qty;
    perishable ||= Boolean(c?.perishable);
  }
  return {
    country: facts.shipCountry,
    region: region?.region ?? null,
    channel: facts.channel,
    categories: [...categories].sort(),
    currency: facts.currency,
    orderValue: facts.value,
    orderValueBase: fx ? Math.round(facts.value * Number(fx.to_base) * 100) / 100 : null,
    itemCount: facts.lines.reduce((n, l) => n + l.qty, 0),
    totalWeightKg: weightGrams / 1000,
    customerTier: facts.customerTier,
    hasPo: Boolean(facts.poNumber),
    perishable,
  };
}

export interface FulfillerRow {
  code: string;
  name: string;
  sla_minutes: number | null;
  endpoint: string | null;
  default_carrier: string | null;
}

/** An active fulfiller by code, or undefined. */
export async function findActiveFulfiller(db: Db, code: string): Promise<FulfillerRow | undefined> {
  return (await db('fulfillers').where({ code, active: true }).first()) as FulfillerRow | undefined;
}
