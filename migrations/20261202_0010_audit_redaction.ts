// The audit log stays append-only, with one exception a customer's erasure needs: inside a transaction
// that set `orderhub.redacting` (SET LOCAL), an UPDATE may rewrite an entry's details (before, after,
// reason) and nothing else. It replaces ALTER TABLE … DISABLE TRIGGER, whose exclusive lock stopped
// every audit read and write in the system until the redaction committed.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE'
         AND current_setting('orderhub.redacting', true) = 'on'
         AND NEW.id = OLD.id AND NEW.at = OLD.at AND NEW.actor = OLD.actor AND NEW.role = OLD.role
         AND NEW.action = OLD.action AND NEW.target_type = OLD.target_type
         AND NEW.target_id = OLD.target_id AND NEW.request_id IS NOT DISTINCT FROM OLD.request_id THEN
        RETURN NEW;
      END IF;
      RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$;
  `);
}
