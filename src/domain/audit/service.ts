// The audit log as other areas use it: every decision they take writes one entry, in their own
// transaction, so the entry and the change commit together; admins read it back through the API.
export { type AuditEntry, type AuditFilter, auditEntrySchema, listAudit, writeAudit } from './store';
