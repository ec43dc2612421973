export * from './driver';
export * from './errors';
export * from './retry';
export { OWNERSHIP_LABELS, MANAGED_BY } from './ownership';
export * from './dummy';
