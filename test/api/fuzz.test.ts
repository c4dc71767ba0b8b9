// Schemathesis against the test system's /openapi.json, once per role: any 5xx, any response that is
// not what the document says (status, content type, body schema), and any request that breaks the
// schema yet is accepted (2xx) fails the test. The seed is fixed: a failure reproduces.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { after, before, describe, it } from 'node:test';
import type { Role } from '../../src/domain/access/roles';
import { findSchemathesis, runSchemathesis, type SchemathesisCli } from '../../src/devkit/schemathesis';
import { env, startTestSystem, type TestSystem } from '../support/system';

/** Fixed: the same cases every run (`--seed`); change it only to explore, and print it on failure. */
const SEED = 20261202;
/**
 * Bounded in examples (per operation and role, below), not in time: a time budget would make the
 * cases depend on the machine's load (fuzzing and stateful phases repeat until it is spent), and the
 * seed would no longer reproduce a failure. The timeout only catches a hang.
 */
const TIMEOUT_S = 240;
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
/**
 * A role that may write everything, with all four phases: the coverage phase sends every documented
 * boundary to every parameter. Two narrower roles (their 403s must be documented too; the warehouse
 * token is scoped to WH-LA) without it and with fewer random examples, most of their cases end in a
 * 403: with the coverage phase each took as long as the admin run, and the file over three minutes.
 */
const ROLES: { role: Role; phases: string; examples: number }[] = [
  { role: 'admin', phases: 'examples,coverage,fuzzing,stateful', examples: 20 },
  { role: 'ops', phases: 'examples,fuzzing,stateful', examples: 10 },
  { role: 'warehouse', phases: 'examples,fuzzing,stateful', examples: 10 },
];

/** What a reader needs per role: the output, the summary and the JUnit report. */
const outDir = path.resolve(env.output, 'schemathesis');
/** Reports as written, in this run's own folder: another run may fuzz at the same time. */
const workDir = path.join(env.work, `schemathesis-${process.pid}`);
let sys: TestSystem;
let cli: SchemathesisCli;
before(async () => {
  cli = findSchemathesis({
    ...(process.env.SCHEMATHESIS_PATH ? { explicitPath: process.env.SCHEMATHESIS_PATH } : {}),
    log: (line) => process.stdout.write(`[fuzz] ${line}\n`),
  });
  // Limits high enough that the fuzzer reaches the handlers: 600 writes a minute per token would
  // answer most of its POSTs 429, and the bad tokens it may send would lock out the next role's token.
  sys = await startTestSystem({
    RATE_LIMIT_WRITES_PER_MINUTE: '1000000',
    AUTH_FAILURES_PER_CLIENT: '1000000',
    AUTH_FAILURES_PER_TOKEN_PREFIX: '1000000',
  });
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
  /** Responses by status code. */
  statuses: Record<string, number>;
  /** The slowest scenarios (phase, operation, seconds, requests): where the time goes. */
  slowest: string[];
  failures: Failure[];
}

// biome-ignore lint/suspicious/noExplicitAny: Schemathesis's NDJSON events, read field by field
type Json = any;

/** Schemathesis's NDJSON event stream (hundreds of MB): each finished scenario's cases, checks and interactions. */
async function summarize(ndjsonFile: string): Promise<Summary> {
  const failures = new Map<string, Failure>();
  const operations = new Set<string>();
  let requests = 0;
  const statuses: Record<string, number> = {};
  const timings: { s: number; text: string }[] = [];
  const lines = readline.createInterface({ input: fs.createReadStream(ndjsonFile), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.startsWith('{"ScenarioFinished"')) continue;
    const scenario: Json = JSON.parse(line).ScenarioFinished;
    const recorder: Json = scenario.recorder;
    const sent = Object.keys(recorder.interactions ?? {}).length;
    timings.push({
      s: scenario.elapsed_time,
      text: `${scenario.phase} ${recorder.label}: ${Number(scenario.elapsed_time).toFixed(1)} s, ${sent} requests`,
    });
    // A documented operation's own scenario (the stateful phase's label names no single one).
    if (scenario.phase !== 'stateful' && /^[A-Z]+ \//.test(recorder.label)) operations.add(recorder.label);
    for (const [caseId, c] of Object.entries<Json>(recorder.cases ?? {})) {
      const operation = `${c.value.method} ${c.value.path}`;
      const interaction: Json = recorder.interactions?.[caseId];
      if (interaction) {
        requests++;
        const status = String(interaction.response?.status_code ?? 'none');
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
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
  const slowest = timings
    .sort((a, b) => b.s - a.s)
    .slice(0, 5)
    .map((t) => t.text);
  return {
    operations: operations.size,
    requests,
    byCheck,
    statuses,
    slowest,
    failures: [...failures.values()],
  };
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

/** Schemathesis's ERRORS section (an invalid schema, a crash): each error's heading and first lines. */
function errorsOf(output: string): string {
  const section = /^=+ ERRORS =+$([\s\S]*?)^=+ (?:WARNINGS|SUMMARY) =+$/m.exec(output)?.[1];
  if (!section) return output.slice(-3000);
  return section
    .split(/^(?=_{3,} )/m)
    .map((error) =>
      error
        .split('\n')
        .filter((l) => l.trim())
        .slice(0, 12)
        .join('\n'),
    )
    .join('\n');
}

function report(role: Role, s: Summary): string {
  const lines = [
    `Schemathesis as ${role} (seed ${SEED}): ${s.requests} requests to ${s.operations} operations, ` +
      `${s.failures.length} distinct failures (${Object.entries(s.byCheck)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')})`,
    `  responses by status: ${Object.entries(s.statuses)
      .map(([k, v]) => `${k}×${v}`)
      .join(' ')}`,
  ];
  lines.push(`  slowest: ${s.slowest.join('; ')}`);
  for (const f of s.failures)
    lines.push(`- ${f.operation}: ${f.check} (${f.title})`, `    ${f.request}`, `    → ${f.response}`);
  return lines.join('\n');
}

describe('fuzzing the API from its OpenAPI document (Schemathesis)', () => {
  for (const { role, phases, examples } of ROLES) {
    it(`as ${role}: no server error, no response the document does not describe, no invalid request accepted`, async () => {
      const token = await sys.tokenFor(role, { name: `fuzz-${role}` });
      const me = await sys.requestAs(token, 'GET', '/api/me');
      assert.equal(me.status, 200, `the ${role} token works: ${JSON.stringify(me.body)}`);
      // The tokens there are now (the harness's admin, this run's) and their people are not revoked or
      // deactivated by the fuzzer: see the hooks file.
      const listed = await sys.request('GET', '/api/tokens');
      assert.equal(listed.status, 200, `the harness's admin token works: ${JSON.stringify(listed.body)}`);
      const protectedRefs = (
        listed.body.tokens as { id: string; prefix: string; personId?: string; person?: string }[]
      ).flatMap((t) => [t.id, t.prefix, t.personId ?? '', t.person ?? '']);
      const dir = path.join(workDir, role);
      const keep = path.join(outDir, role);
      fs.mkdirSync(dir, { recursive: true });
      const args = [
        '--config-file',
        path.resolve(__dirname, '..', 'support', 'schemathesis.toml'),
        'run',
        `${sys.api.url}/openapi.json`,
        '--url',
        sys.api.url,
        '--header',
        `Authorization: Bearer ${token}`,
        '--phases',
        phases,
        '--checks',
        CHECKS.join(','),
        '--seed',
        String(SEED),
        '--max-examples',
        String(examples),
        '--workers',
        '2',
        '--request-timeout',
        '10',
        '--generation-database',
        'none',
        '--report',
        'junit,ndjson',
        '--report-junit-path',
        path.join(dir, 'junit.xml'),
        '--report-ndjson-path',
        path.join(dir, 'events.ndjson'),
        '--no-color',
        '--output-truncate',
        'false',
      ];
      const run = await runSchemathesis(cli, args, {
        env: {
          SCHEMATHESIS_HOOKS: path.resolve(__dirname, '..', 'support', 'schemathesis_hooks.py'),
          ORDER_HUB_FUZZ_PROTECTED: protectedRefs.filter(Boolean).join(','),
        },
        timeoutMs: TIMEOUT_S * 1000,
      });
      const shown = args.map((a) =>
        a.startsWith('Authorization:') ? `'Authorization: Bearer <${role} token>'` : a,
      );
      const summary = fs.existsSync(path.join(dir, 'events.ndjson'))
        ? await summarize(path.join(dir, 'events.ndjson'))
        : undefined;
      const text = summary ? report(role, summary) : 'no NDJSON report';
      fs.rmSync(keep, { recursive: true, force: true });
      fs.mkdirSync(keep, { recursive: true });
      fs.writeFileSync(path.join(keep, 'output.txt'), `$ st ${shown.join(' ')}\n\n${run.output}`);
      fs.writeFileSync(path.join(keep, 'summary.txt'), `${text}\n`);
      if (fs.existsSync(path.join(dir, 'junit.xml')))
        fs.renameSync(path.join(dir, 'junit.xml'), path.join(keep, 'junit.xml'));
      fs.rmSync(dir, { recursive: true, force: true });
      assert.ok(!run.timedOut, `st run did not end in time:\n${run.output.slice(-3000)}`);
      assert.ok(summary, `no NDJSON report:\n${run.output.slice(-3000)}`);
      process.stdout.write(`${text.split('\n').slice(0, 3).join('\n')}\n`);
      assert.ok(summary.requests > 0, `no request was sent:\n${run.output.slice(-3000)}`);
      assert.ok(summary.failures.length === 0, `${text}\n(full output: ${path.join(keep, 'output.txt')})`);
      // Rate limiting would hide the handlers from the fuzzer (see the limits above).
      assert.equal(summary.statuses['429'] ?? 0, 0, `rate-limited requests:\n${text}`);
      const after = await sys.requestAs(token, 'GET', '/api/me');
      assert.equal(
        after.status,
        200,
        `the fuzzer locked its own ${role} token out: ${JSON.stringify(after.body)}`,
      );
      // Anything Schemathesis itself counts as failed (an error, a crash) fails too.
      assert.equal(run.code, 0, `st run exited ${run.code} (seed ${SEED}):\n${errorsOf(run.output)}`);
    });
  }
});
