// The monitoring files SRE deploy: alert rules valid for promtool, and every Order Hub metric the
// alerts and the Grafana dashboard query is one the application really exports.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createMetrics } from '../../src/platform/metrics';

const root = path.resolve(__dirname, '..', '..');
const alerts = path.join(root, 'deploy', 'prometheus', 'alerts.yml');
const dashboard = path.join(root, 'deploy', 'grafana', 'dashboards', 'order-hub.json');

/** promtool from PATH, else Debian's `prometheus` package is installed (as root, like CI). */
function promtool(): string {
  const found = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' }).stdout.trim();
  if (found) return found;
  process.stdout.write('# promtool not found: installing Debian package prometheus\n');
  execFileSync(
    'sh',
    [
      '-c',
      'apt-get install -y -qq prometheus >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq prometheus)',
    ],
    {
      stdio: 'inherit',
      timeout: 300_000,
    },
  );
  return 'promtool';
}

/** Names this code base exports: the registry's metrics plus the scrape-time gauge in src/app/system.ts. */
async function exportedNames(): Promise<Set<string>> {
  const text = await createMetrics().registry.metrics();
  const names = new Set(
    [...text.matchAll(/^# TYPE (\S+) (\S+)/gm)].flatMap((m) => {
      const [name, type] = [m[1]!, m[2]!];
      return type === 'histogram' ? [name, `${name}_bucket`, `${name}_count`, `${name}_sum`] : [name];
    }),
  );
  const system = fs.readFileSync(path.join(root, 'src', 'app', 'system.ts'), 'utf8');
  for (const m of system.matchAll(/name: '(orderhub_[a-z_]+)'/g)) names.add(m[1]!);
  return names;
}

describe('observability files', () => {
  it('the Prometheus alert rules pass promtool', () => {
    const r = spawnSync(promtool(), ['check', 'rules', alerts], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /SUCCESS: \d+ rules found/);
  });

  it('every orderhub_* metric in the alerts and the dashboard is exported by the application', async () => {
    const used = new Set(
      [fs.readFileSync(alerts, 'utf8'), fs.readFileSync(dashboard, 'utf8')].flatMap((t) =>
        [...t.matchAll(/orderhub_[a-z_]+/g)].map((m) => m[0]),
      ),
    );
    assert.ok(used.size >= 5, `only ${used.size} metrics referenced`);
    const exported = await exportedNames();
    const missing = [...used].filter((n) => !exported.has(n));
    assert.deepEqual(missing, []);
  });

  it('the dashboard is valid JSON with panels for throughput, stage latency, SLA breaches and worker slots', () => {
    const d = JSON.parse(fs.readFileSync(dashboard, 'utf8')) as {
      panels: { title: string; targets?: { expr: string }[] }[];
    };
    const exprs = d.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)).join('\n');
    for (const needle of [
      'orderhub_orders_received_total',
      'orderhub_order_stage_duration_seconds_bucket',
      'orderhub_sla_breaches_total',
      'temporal_worker_task_slots_available',
    ]) {
      assert.ok(exprs.includes(needle), `dashboard has no panel on ${needle}`);
    }
  });
});
