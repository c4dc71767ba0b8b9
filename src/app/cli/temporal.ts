// `npm run temporal -- <args>`: the project's Temporal CLI (found or installed like `npm start`
// does) against the configured server and namespace, e.g. `npm run temporal -- workflow list`.
// With an API token in TOKEN, payloads decode through the API's codec endpoint (as that person).
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
    ...(process.env.TOKEN && !process.env.TEMPORAL_CODEC_ENDPOINT
      ? {
          TEMPORAL_CODEC_ENDPOINT: `${(config.PUBLIC_URL ?? `http://127.0.0.1:${config.PORT}`).replace(/\/$/, '')}/codec`,
          TEMPORAL_CODEC_AUTH: `Bearer ${process.env.TOKEN}`,
        }
      : {}),
  },
});
process.exit(result.status ?? 1);
