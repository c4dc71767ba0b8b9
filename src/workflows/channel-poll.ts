// The channel poll: started by the channel's Schedule (overlap: skip), it reads the channel one page
// at a time from the stored position until the channel has nothing newer. Each page is stored (with
// the advanced watermark) before the next is fetched; a long pull continues as new to keep history small.
import { ActivityFailure, continueAsNew, log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ChannelPollInput, PollPosition, PollStats, RetrySettings } from '../domain/channels/model';

export type { ChannelPollInput, PollStats };

/** Pages per run before continuing as new (each page is a few events in the history). */
const PAGES_PER_RUN = 100;

/** Channel calls: 429 and 5xx retried with exponential backoff; Retry-After / cost bucket via nextRetryDelay. */
function channelActivities(retry: RetrySettings | undefined) {
  return proxyActivities<Activities>({
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: '2 minutes',
    retry: {
      initialInterval: Math.round((retry?.initialIntervalSeconds ?? 2) * 1000),
      backoffCoefficient: 2,
      maximumAttempts: retry?.maximumAttempts ?? 5,
      nonRetryableErrorTypes: ['EndpointRejected', 'ChannelMisconfigured'],
    },
  });
}
const bookkeeping = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export async function channelPollWorkflow(input: ChannelPollInput): Promise<PollStats> {
  const { channel } = input;
  let stats: PollStats = input.resume?.stats ?? {
    pages: 0,
    orders: 0,
    stored: 0,
    errors: 0,
    skipped: 0,
    started: 0,
    closed: 0,
    signalled: 0,
  };
  let position: PollPosition;
  if (input.resume) position = input.resume.position;
  else {
    const begin = await bookkeeping.beginChannelPoll(channel);
    if ('skip' in begin) {
      log.info('poll skipped', { channel, reason: begin.skip });
      return stats;
    }
    position = begin.position;
  }

  const pages = channelActivities(input.retry);
  let more = false;
  try {
    for (let run = 0; ; run++) {
      if (run >= PAGES_PER_RUN || workflowInfo().continueAsNewSuggested) {
        more = true;
        break;
      }
      const page = await pages.ingestChannelPage.executeWithOptions(
        { summary: `${channel} page ${stats.pages + 1}` },
        [{ channel, position }],
      );
      stats = {
        pages: stats.pages + 1,
        orders: stats.orders + page.stats.orders,
        stored: stats.stored + page.stats.stored,
        errors: stats.errors + page.stats.errors,
        skipped: stats.skipped + page.stats.skipped,
        started: stats.started + page.stats.started,
        closed: stats.closed + page.stats.closed,
        signalled: stats.signalled + page.stats.signalled,
      };
      position = page.next;
      if (page.done) break;
    }
  } catch (err) {
    // The stored position is where the next scheduled poll resumes; the failure is shown on the channel.
    const cause = err instanceof ActivityFailure ? err.cause : undefined;
    await bookkeeping.finishChannelPoll({ channel, stats, error: (cause ?? (err as Error)).message });
    throw err;
  }
  if (more) return continueAsNew<typeof channelPollWorkflow>({ ...input, resume: { position, stats } });
  await bookkeeping.finishChannelPoll({ channel, stats });
  return stats;
}
