export * from './commands';
export * from './decider';
export * from './events';
export { lineProblems, linesTotal, MAX_ORDER_LINES, OrderLines } from './lines';
