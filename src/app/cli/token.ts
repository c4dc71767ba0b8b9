// `npm run token -- create --role admin`: issue, list and revoke API tokens and list people straight in
// the database (the way to get the first admin token). The secret goes to stdout once; everything else
// to stderr.
import os from 'node:os';
import { parseArgs } from 'node:util';
import { ZodError } from 'zod';
import { listPeople } from '../../domain/access/people';
import { type Role, roles } from '../../domain/access/roles';
import { issueToken, listTokens, revokeToken } from '../../domain/access/tokens';
import { loadConfigOrExit } from '../../platform/config';
import { cliDatabase, reportCliFailure } from './database';

const usage = `usage:
  npm run token -- create --role <role> [--role <role> ...] [--name <name>] [--person <login>]
                          [--fulfiller <code> ...] [--channel <channel> ...]
  npm run token -- list [--all]
  npm run token -- revoke <token id or prefix>
  npm run token -- people [--all]

roles: ${roles.join(', ')}
  warehouse tokens need --fulfiller, integration tokens need --channel.
Every token belongs to a person: --person <login>, else the person whose login is the token's
name (Unicode NFKC, trimmed, lower-case: --name Ada is login "ada"); created if there is none.
DATABASE_URL selects the database; unset, the embedded one of \`npm start\`
(postgres://postgres:order-hub-local@127.0.0.1:<EMBEDDED_PG_PORT>/order_hub).
`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${usage}`);
  process.exit(2);
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: {
      role: { type: 'string', multiple: true },
      name: { type: 'string' },
      person: { type: 'string' },
      fulfiller: { type: 'string', multiple: true },
      channel: { type: 'string', multiple: true },
      all: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ref] = positionals;
  if (values.help || !command) {
    process.stdout.write(usage);
    return;
  }
  const config = loadConfigOrExit();
  const db = cliDatabase(config);
  const by = { actor: `cli:${whoRuns()}`, role: 'admin' };
  try {
    if (command === 'create') {
      const wanted = (values.role ?? []).flatMap((r) => r.split(','));
      if (!wanted.length) fail('create needs at least one --role');
      const unknown = wanted.filter((r) => !(roles as readonly string[]).includes(r));
      if (unknown.length) fail(`unknown role(s): ${unknown.join(', ')}`);
      const { token, view } = await issueToken(
        db,
        {
          name: values.name ?? `${wanted.join('+')}-${new Date().toISOString().slice(0, 10)}`,
          roles: wanted as Role[],
          fulfillers: values.fulfiller ?? [],
          channels: values.channel ?? [],
          ...(values.person !== undefined ? { person: values.person } : {}),
        },
        by,
        // The bootstrap tool: the named person is created when there is none yet.
        { createPerson: true },
      );
      process.stderr.write(
        `Created token ${view.id} "${view.name}" for ${view.person} (prefix ${view.prefix}, roles ${view.roles.join(', ')}).\n` +
          'Store it now: it is shown only this once.\n',
      );
      process.stdout.write(`${token}\n`);
    } else if (command === 'list') {
      for (const t of await listTokens(db, { includeRevoked: values.all ?? false })) {
        const scope = [
          ...t.fulfillers.map((f) => `fulfiller:${f}`),
          ...t.channels.map((c) => `channel:${c}`),
        ];
        process.stdout.write(
          `${t.id}  ${t.prefix}  ${t.name}  ${t.roles.join(',')}${scope.length ? `  ${scope.join(',')}` : ''}` +
            `  person:${t.person}${t.revokedAt ? `  revoked ${t.revokedAt}` : ''}\n`,
        );
      }
    } else if (command === 'people') {
      for (const p of await listPeople(db, { includeInactive: values.all ?? false }))
        process.stdout.write(
          `${p.id}  ${p.login}  ${p.displayName}${p.active ? '' : `  deactivated ${p.deactivatedAt}`}\n`,
        );
    } else if (command === 'revoke') {
      if (!ref) fail('revoke needs a token id or prefix');
      const revoked = await revokeToken(db, ref, by);
      if (!revoked) fail(`no token ${ref}`);
      process.stderr.write(`Revoked ${revoked.id} "${revoked.name}" at ${revoked.revokedAt}\n`);
    } else fail(`unknown command ${command}`);
  } catch (err) {
    const message =
      err instanceof ZodError
        ? err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')
        : err instanceof Error
          ? err.message
          : String(err);
    reportCliFailure(config, message);
  } finally {
    await db.destroy();
  }
}

void main();

/** Who runs the CLI, for the audit log: $USER, else the passwd entry (absent in some containers), else the uid. */
function whoRuns(): string {
  if (process.env.USER) return process.env.USER;
  if (process.env.LOGNAME) return process.env.LOGNAME;
  try {
    return os.userInfo().username;
  } catch {
    return `uid-${process.getuid?.() ?? 'unknown'}`;
  }
}
