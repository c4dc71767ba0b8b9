// Drop-folder watchers: a settled new file in a files channel's folder triggers the channel's poll at once.
import { mkdir } from 'node:fs/promises';
import { type FSWatcher, watch } from 'chokidar';
import type { Logger } from '../platform/logger';
import type { FilesChannel } from './files/normalize';
import { reasonOf } from './normalize-common';
import { parseChannel } from './registry';
import type { ChannelRow } from './types';

export function createFolderWatchers({
  log,
  trigger,
}: {
  log: Logger;
  trigger: (channel: string) => Promise<void>;
}) {
  const watchers = new Map<string, { dir: string; watcher: FSWatcher }>();

  return {
    /** Starts, moves or stops the channel's watcher to match its row (enabled files channel with `watch`). */
    async follow(row: ChannelRow): Promise<void> {
      const current = watchers.get(row.name);
      let ch: FilesChannel | undefined;
      try {
        ch = row.kind === 'files' && row.enabled ? (parseChannel(row) as FilesChannel) : undefined;
      } catch (err) {
        log.warn({ channel: row.name, err: reasonOf(err) }, 'not watching a misconfigured files channel');
      }
      if (ch && !ch.config.watch) ch = undefined;
      if (current && current.dir === ch?.config.dir) return;
      if (current) {
        watchers.delete(row.name);
        await current.watcher.close();
      }
      if (!ch) return;
      const { dir, settleMs } = ch.config;
      await mkdir(dir, { recursive: true });
      let timer: NodeJS.Timeout | undefined;
      const watcher = watch(dir, {
        depth: 0,
        ignoreInitial: false,
        awaitWriteFinish: { stabilityThreshold: Math.max(200, settleMs), pollInterval: 100 },
        ignored: (p: string) =>
          p !== dir && /\/(processed|failed|outbox)(\/|$)|\/\.[^/]*$/.test(p.slice(dir.length)),
      });
      watcher.on('add', () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          trigger(row.name).catch((err) =>
            log.warn({ channel: row.name, err: reasonOf(err) }, 'poll trigger failed'),
          );
        }, 250);
      });
      watcher.on('error', (err) =>
        log.warn({ channel: row.name, err: reasonOf(err) }, 'drop folder watcher error'),
      );
      watchers.set(row.name, { dir, watcher });
    },

    async close(): Promise<void> {
      await Promise.all([...watchers.values()].map((w) => w.watcher.close()));
      watchers.clear();
    },
  };
}
