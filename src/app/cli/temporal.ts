// `npm run temporal -- <args>`: the project's Temporal CLI (found or installed like `npm start`
// does) against the configured server and namespace, e.g. `npm run temporal -- workflow list`.
import { spawnSync } from 'node:child_process';
import { findTemporalCli } from '../../devkit/temporal-cli';
import { loadConfig } from '../../platform/config';

const config = loadConfig(process.env);
const cli = findTemporalCli({
  ...(config.TEMPORAL_CLI_PATH ? { explicitPath: config.TEMPORAL_CLI_PATH } : {}),
  log: (line) => process.stderr.write(`${line}\n`),
});
// The CLI reads its address and namespace from these variables unless the arguments say otherwise.
const result = spawnSync(cli, process.argv.slice(2), {
  stdio: 'inherit',
  env: {
    ...process.env,
    TEMPORAL_ADDRESS: config.TEMPORAL_ADDRESS ?? `127.0.0.1:${config.TEMPORAL_DEV_PORT}`,
    TEMPORAL_NAMESPACE: config.TEMPORAL_NAMESPACE,
  },
});
process.exit(result.status ?? 1);
