// The workflow bundle's entry: every workflow type the worker runs.
export { channelPollWorkflow } from './channel-poll';
/** Orders started before shipments became child workflows finish on the code they started with. */
export { orderWorkflow } from './legacy/order-v1';
export { order } from './order';
export { shipment } from './shipment';
