// The failure converter of every client, worker and workflow bundle: a failure's message and stack
// travel as an encoded payload (so the payload codec encrypts them), not as plain proto fields.
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
