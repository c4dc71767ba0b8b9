// The bench worker's workflow bundle: the real order workflow and its ceiling.
export { orderWorkflow } from '../src/workflows';
export { ceilingWorkflow } from './ceiling';
