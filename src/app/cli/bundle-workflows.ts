// `npm run bundle:workflows [-- <file>]`: the order workflows bundled ahead (webpack), with the
// log-context interceptors, into dist/workflow-bundle.js. A worker started with
// ORDER_HUB_WORKFLOW_BUNDLE=<file> loads it instead of bundling at start: it starts faster and keeps
// webpack's memory out of its own.
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { failureConverterPath } from '../../platform/crypto';
import { workflowInterceptorModules } from '../../platform/temporal/interceptors';
import { newestMtime } from '../../platform/web-bundle';

export async function bundleWorkflows(file: string, opts: { quiet?: boolean } = {}): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    workflowInterceptorModules,
    // Workflow failures' messages and stacks as encoded (encrypted) attributes, like the worker's.
    failureConverterPath,
    ...(opts.quiet ? { logger: new DefaultLogger('ERROR') } : {}),
  });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, code);
  return file;
}

/**
 * For `npm start`: the bundle cached under the data directory, rebuilt only when a file under src/
 * changed since (the worker then starts without webpack's few seconds of bundling).
 */
export async function cachedWorkflowBundle(dataDir: string, log: (line: string) => void): Promise<string> {
  const dir = path.join(dataDir, 'workflow-bundle');
  const stamp = Math.floor(newestMtime(path.resolve(__dirname, '..', '..')));
  const file = path.join(dir, `workflows-${stamp}.js`);
  if (fs.existsSync(file)) return file;
  const t = Date.now();
  await bundleWorkflows(file, { quiet: true });
  for (const old of fs.readdirSync(dir))
    if (old !== path.basename(file)) fs.rmSync(path.join(dir, old), { force: true });
  log(`workflows bundled in ${Date.now() - t} ms → ${file}`);
  return file;
}

if (require.main === module) {
  const file = path.resolve(process.argv[2] ?? 'dist/workflow-bundle.js');
  bundleWorkflows(file).then(
    () => process.stdout.write(`workflow bundle written to ${file}\n`),
    (err) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
