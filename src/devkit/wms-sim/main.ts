// `npm run wms-sim`: the WMS simulator on WMS_SIM_PORT (default 4010).
import { startWmsSimulator } from './simulator';

async function main(): Promise<void> {
  const port = Number(process.env.WMS_SIM_PORT ?? 4010);
  const sim = await startWmsSimulator({ port, host: process.env.HOST ?? '127.0.0.1' });
  process.stdout.write(
    `WMS simulator listening on ${sim.url} (POST /pick-lists, GET /pick-lists?fulfiller=)\n`,
  );
  const stop = () => void sim.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

void main();
