// The partner-files connector: files are read by the ingest activity (no fetchPage); each order's
// rows are its raw payload; shipped orders go back as an export file.
import { knownFacts, orderFromInput, reasonOf } from '../normalize-common';
import type { Connector } from '../types';
import {
  type FilesConfig,
  fileOrderInput,
  filesConfigSchema,
  filesCredentialsSchema,
  parseFileOrderPayload,
} from './normalize';
import { writeBackFiles } from './writeback';

export const filesConnector: Connector<FilesConfig, Record<string, never>> = {
  kind: 'files',
  configSchema: filesConfigSchema,
  credentialsSchema: filesCredentialsSchema as unknown as Connector<
    FilesConfig,
    Record<string, never>
  >['credentialsSchema'],
  secretKeys: [],
  preview(ch, payload) {
    try {
      const input = fileOrderInput(ch, parseFileOrderPayload(payload));
      const order = orderFromInput(input, ch.config.zone);
      return { ok: true, paymentStatus: order.paymentStatus, cancelled: false, known: knownFacts(order) };
    } catch (err) {
      return { ok: false, reason: reasonOf(err) };
    }
  },
  toOrderInput(ch, raws) {
    const latest = raws[raws.length - 1];
    return { input: fileOrderInput(ch, parseFileOrderPayload(latest?.payload ?? '')), zone: ch.config.zone };
  },
  writeBack: (ch, order) => writeBackFiles(ch, order),
};
