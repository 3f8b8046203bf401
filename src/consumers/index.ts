export * from './checkpoints';
export * from './consumer';
export * from './dead-letters';
export * from './feed';
export * from './group';
export * from './service';
export * from './status';
export * from './row-cache';
