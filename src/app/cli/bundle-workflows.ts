// `npm run bundle:workflows [-- <file>]`: the order workflows bundled ahead (webpack), with the
// log-context interceptors, into dist/workflow-bundle.js. A worker started with
// ORDER_HUB_WORKFLOW_BUNDLE=<file> loads it instead of bundling at start: it starts faster and keeps
// webpack's memory out of its own.
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { workflowInterceptorModules } from '../../platform/temporal/interceptors';

export async function bundleWorkflows(file: string, opts: { quiet?: boolean } = {}): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    workflowInterceptorModules,
    ...(opts.quiet ? { logger: new DefaultLogger('ERROR') } : {}),
  });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, code);
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
