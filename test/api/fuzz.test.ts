// Schemathesis against the test system's /openapi.json, once per role: any 5xx, any response that is
// not what the document says (status, content type, body schema), and any request that breaks the
// schema yet is accepted (2xx) fails the test. The seed is fixed: a failure reproduces.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Role } from '../../src/domain/access/roles';
import { findSchemathesis, runSchemathesis, type SchemathesisCli } from '../../src/devkit/schemathesis';
import { env, startTestSystem, type TestSystem } from '../support/system';

/** Fixed: the same cases every run (`--seed`); change it only to explore, and print it on failure. */
const SEED = 20261202;
/** Per role: the budget of the whole run (each phase stops when it is spent) and of one operation. */
const MAX_TIME_S = 25;
const MAX_EXAMPLES = 15;
/**
 * The checks that state the rule "no 5xx, nothing the document does not say, nothing accepted that
 * it forbids". Not positive_data_acceptance: a valid request may be refused for a reason no schema
 * can state (an unknown id → 404, an order in the wrong state → 409).
 */
const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_schema_conformance',
  'negative_data_rejection',
];
/** A role that may write everything, and two narrower ones (their 403s must be documented too). */
const ROLES: Role[] = ['admin', 'ops', 'warehouse'];

const outDir = path.resolve(env.output, 'schemathesis');
let sys: TestSystem;
let cli: SchemathesisCli;
before(async () => {
  cli = findSchemathesis({
    ...(process.env.SCHEMATHESIS_PATH ? { explicitPath: process.env.SCHEMATHESIS_PATH } : {}),
    log: (line) => process.stdout.write(`[fuzz] ${line}\n`),
  });
  sys = await startTestSystem();
  fs.mkdirSync(outDir, { recursive: true });
});
after(async () => {
  await sys?.close();
});

interface Failure {
  operation: string;
  check: string;
  title: string;
  request: string;
  response: string;
}
interface Summary {
  operations: number;
  requests: number;
  /** Failing checks by name, counted per distinct (operation, check, title). */
  byCheck: Record<string, number>;
  failures: Failure[];
}

// biome-ignore lint/suspicious/noExplicitAny: Schemathesis's NDJSON events, read field by field
type Json = any;

/** Schemathesis's NDJSON event stream: each finished scenario's cases, check results and interactions. */
function summarize(ndjsonFile: string): Summary {
  const failures = new Map<string, Failure>();
  const operations = new Set<string>();
  let requests = 0;
  for (const line of fs.readFileSync(ndjsonFile, 'utf8').split('\n')) {
    if (!line.startsWith('{"ScenarioFinished"')) continue;
    const scenario: Json = JSON.parse(line).ScenarioFinished;
    const recorder: Json = scenario.recorder;
    // A documented operation's own scenario (the stateful phase's label names no single one).
    if (scenario.phase !== 'stateful' && /^[A-Z]+ \//.test(recorder.label)) operations.add(recorder.label);
    for (const [caseId, c] of Object.entries<Json>(recorder.cases ?? {})) {
      const operation = `${c.value.method} ${c.value.path}`;
      const interaction: Json = recorder.interactions?.[caseId];
      if (interaction) requests++;
      for (const check of (recorder.checks?.[caseId] ?? []) as Json[]) {
        if (check.status !== 'failure') continue;
        const failure: Json = check.failure_info?.failure ?? {};
        const key = `${operation} ${check.name} ${failure.title}`;
        if (failures.has(key)) continue;
        failures.set(key, {
          operation,
          check: check.name,
          title: [failure.title, failure.message].filter(Boolean).join(': ').slice(0, 400),
          request: describeRequest(interaction?.request),
          response: describeResponse(interaction?.response),
        });
      }
    }
  }
  const byCheck: Record<string, number> = {};
  for (const f of failures.values()) byCheck[f.check] = (byCheck[f.check] ?? 0) + 1;
  return { operations: operations.size, requests, byCheck, failures: [...failures.values()] };
}

function decode(body: Json): string {
  if (!body) return '';
  if (typeof body.$base64 === 'string') return Buffer.from(body.$base64, 'base64').toString('utf8');
  if (typeof body.string === 'string') return body.string;
  return typeof body === 'string' ? body : JSON.stringify(body);
}

function describeRequest(req: Json): string {
  if (!req) return '(no request recorded)';
  const type = req.headers?.['Content-Type']?.[0] ?? req.headers?.['content-type']?.[0];
  const body = decode(req.body);
  return `${req.method} ${req.uri}${type ? ` [${type}]` : ''}${body ? ` ${body.slice(0, 300)}` : ''}`;
}

function describeResponse(res: Json): string {
  if (!res) return '(no response)';
  return `${res.status_code} ${decode(res.content).slice(0, 300)}`;
}

function report(role: Role, s: Summary): string {
  const lines = [
    `Schemathesis as ${role} (seed ${SEED}): ${s.requests} requests to ${s.operations} operations, ` +
      `${s.failures.length} distinct failures (${Object.entries(s.byCheck)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')})`,
  ];
  for (const f of s.failures)
    lines.push(`- ${f.operation}: ${f.check} (${f.title})`, `    ${f.request}`, `    → ${f.response}`);
  return lines.join('\n');
}

describe('fuzzing the API from its OpenAPI document (Schemathesis)', () => {
  for (const role of ROLES) {
    it(`as ${role}: no server error, no response the document does not describe, no invalid request accepted`, async () => {
      const token = await sys.tokenFor(role, { name: `fuzz-${role}` });
      // The run's tokens (and the harness's admin) are not revoked by the fuzzer: see the hooks file.
      const listed = await sys.request('GET', '/api/tokens');
      assert.equal(listed.status, 200);
      const protectedTokens = (listed.body.tokens as { id: string; prefix: string }[]).flatMap((t) => [
        t.id,
        t.prefix,
      ]);
      const dir = path.join(outDir, role);
      fs.rmSync(dir, { recursive: true, force: true });
      const args = [
        'run',
        `${sys.api.url}/openapi.json`,
        '--url',
        sys.api.url,
        '--header',
        `Authorization: Bearer ${token}`,
        '--phases',
        'examples,coverage,fuzzing,stateful',
        '--checks',
        CHECKS.join(','),
        '--seed',
        String(SEED),
        '--max-examples',
        String(MAX_EXAMPLES),
        '--max-time',
        String(MAX_TIME_S),
        '--workers',
        '2',
        '--request-timeout',
        '10',
        '--generation-database',
        'none',
        '--report',
        'junit,ndjson',
        '--report-dir',
        dir,
        '--no-color',
        '--output-truncate',
        'false',
      ];
      const run = await runSchemathesis(cli, args, {
        env: {
          SCHEMATHESIS_HOOKS: path.resolve(__dirname, '..', 'support', 'schemathesis_hooks.py'),
          ORDER_HUB_FUZZ_PROTECTED_TOKENS: protectedTokens.join(','),
        },
        timeoutMs: (MAX_TIME_S + 90) * 1000,
      });
      const shown = args.map((a) =>
        a.startsWith('Authorization:') ? `'Authorization: Bearer <${role} token>'` : a,
      );
      fs.writeFileSync(path.join(dir, 'output.txt'), `$ st ${shown.join(' ')}\n\n${run.output}`);
      assert.ok(!run.timedOut, `st run did not end in time:\n${run.output.slice(-3000)}`);
      const ndjson = fs.readdirSync(dir).find((f) => f.endsWith('.ndjson'));
      assert.ok(ndjson, `no NDJSON report in ${dir}:\n${run.output.slice(-3000)}`);
      const summary = summarize(path.join(dir, ndjson));
      const text = report(role, summary);
      fs.writeFileSync(path.join(dir, 'summary.txt'), `${text}\n`);
      process.stdout.write(`${text.split('\n')[0]}\n`);
      assert.ok(summary.requests > 0, `no request was sent:\n${run.output.slice(-3000)}`);
      assert.deepEqual(summary.failures, [], `${text}\n(full output: ${path.join(dir, 'output.txt')})`);
      // Anything Schemathesis itself counts as failed (an error, a crash) fails too.
      assert.equal(run.code, 0, `st run exited ${run.code} (seed ${SEED}):\n${run.output.slice(-5000)}`);
    });
  }
});
