// The workflow bundle's entry: every workflow type the worker runs.
export { channelPollWorkflow } from './channel-poll';
export { orderWorkflow } from './order';
