// The Temporal SDK's log entries (workflow `log`, activity `log`, worker lifecycle) as pino lines.
import { DefaultLogger, type LogEntry, type LogLevel } from '@temporalio/worker';
import type { Logger } from './logger';

const toPino = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;
const fromPino: Record<string, LogLevel> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
  fatal: 'ERROR',
};

/** Writes one SDK entry to `log`: its attributes as fields, its error under pino's `err`. */
export function writeSdkEntry(log: Logger, entry: LogEntry): void {
  // The task token completes the activity from outside: a credential, not a log field.
  const { taskToken: _taskToken, error, ...meta } = entry.meta ?? {};
  log[toPino[entry.level]](
    { ...meta, ...(error === undefined ? {} : { err: error }), sdk: true },
    entry.message,
  );
}

/** The SDK logger for `Runtime.install`: entries at or above `log`'s level go to `log`. */
export function sdkLogger(log: Logger): DefaultLogger {
  return new DefaultLogger(fromPino[log.level] ?? 'ERROR', (entry) => writeSdkEntry(log, entry));
}
