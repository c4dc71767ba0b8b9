// The append-only audit log: one row per decision (written in the caller's transaction), and reading
// it back with filters and id-cursor pagination, newest first.
import { z } from 'zod';
import type { Db, Tx } from '../../platform/db';

export interface AuditEntry {
  actor: string;
  role: string;
  action: string;
  targetType: string;
  targetId: string;
  before?: unknown;
  after?: unknown;
  reason?: string;
  requestId?: string;
}

export async function writeAudit(db: Db | Tx, e: AuditEntry): Promise<void> {
  await db('audit_log').insert({
    actor: e.actor,
    role: e.role,
    action: e.action,
    target_type: e.targetType,
    target_id: e.targetId,
    before: e.before === undefined ? null : JSON.stringify(e.before),
    after: e.after === undefined ? null : JSON.stringify(e.after),
    reason: e.reason ?? null,
    request_id: e.requestId ?? null,
  });
}

export const auditEntrySchema = z.object({
  id: z.number().int(),
  at: z.string(),
  actor: z.string(),
  role: z.string(),
  action: z.string(),
  targetType: z.string(),
  targetId: z.string(),
  before: z.unknown(),
  after: z.unknown(),
  reason: z.string().nullable(),
  requestId: z.string().nullable(),
});
export type AuditEntryView = z.infer<typeof auditEntrySchema>;

export interface AuditFilter {
  targetType?: string | undefined;
  targetId?: string | undefined;
  actor?: string | undefined;
  /** Exact action (`override:hold`) or a prefix ending in `*` (`override:*`). */
  action?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  cursor?: number | undefined;
  limit: number;
}

interface AuditRow {
  id: number;
  at: Date;
  actor: string;
  role: string;
  action: string;
  target_type: string;
  target_id: string;
  before: unknown;
  after: unknown;
  reason: string | null;
  request_id: string | null;
}

export async function listAudit(
  db: Db,
  f: AuditFilter,
): Promise<{ entries: AuditEntryView[]; nextCursor: string | null }> {
  const q = db<AuditRow>('audit_log').orderBy('id', 'desc');
  if (f.targetType) q.where('target_type', f.targetType);
  if (f.targetId) q.where('target_id', f.targetId);
  if (f.actor) q.where('actor', f.actor);
  if (f.action?.endsWith('*'))
    q.whereLike('action', `${f.action.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  else if (f.action) q.where('action', f.action);
  if (f.from) q.where('at', '>=', f.from);
  if (f.to) q.where('at', '<', f.to);
  if (f.cursor !== undefined) q.where('id', '<', f.cursor);
  const rows = (await q.limit(f.limit + 1)) as AuditRow[];
  const page = rows.slice(0, f.limit);
  return {
    entries: page.map((r) => ({
      id: r.id,
      at: r.at.toISOString(),
      actor: r.actor,
      role: r.role,
      action: r.action,
      targetType: r.target_type,
      targetId: r.target_id,
      before: r.before,
      after: r.after,
      reason: r.reason,
      requestId: r.request_id,
    })),
    nextCursor: rows.length > f.limit ? String(page[page.length - 1]!.id) : null,
  };
}
