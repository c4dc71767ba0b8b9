// The MySQL connector: watermark polling of a table or view, column mapping, status write-back.
import { asRecord, knownFacts, orderFromInput, parseJsonOr, reasonOf, str } from '../normalize-common';
import type { Connector } from '../types';
import {
  createMysqlClient,
  type MysqlConfig,
  type MysqlCredentials,
  mysqlConfigSchema,
  mysqlCredentialsSchema,
} from './client';
import { normalizeMysqlOrder, parseMysqlPayload } from './normalize';

export const mysqlConnector: Connector<MysqlConfig, MysqlCredentials> = {
  kind: 'mysql',
  configSchema: mysqlConfigSchema,
  credentialsSchema: mysqlCredentialsSchema,
  secretKeys: ['password'],
  fetchPage: (ch, position) => createMysqlClient(ch).ordersPage(position),
  externalIdOf(ch, payload) {
    const key = asRecord(asRecord(ch.config).columns).externalId;
    return str(asRecord(asRecord(parseJsonOr(payload)).order)[String(key)]);
  },
  preview(ch, payload) {
    try {
      const order = orderFromInput(
        normalizeMysqlOrder(parseMysqlPayload(payload), ch.config, ch.name),
        ch.config.zone,
      );
      return { ok: true, paymentStatus: order.paymentStatus, cancelled: false, known: knownFacts(order) };
    } catch (err) {
      return { ok: false, reason: reasonOf(err) };
    }
  },
  toOrderInput(ch, raws) {
    const latest = raws[raws.length - 1];
    return {
      input: normalizeMysqlOrder(parseMysqlPayload(latest?.payload ?? ''), ch.config, ch.name),
      zone: ch.config.zone,
    };
  },
  writeBack: (ch, order) => createMysqlClient(ch).writeBack(order),
};
