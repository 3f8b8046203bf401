export * from './events';
export * from './forget';
export * from './privacy';
export * from './sealed';
