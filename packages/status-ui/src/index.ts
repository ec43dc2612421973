export { normalizeBasePath, statusUi } from './app';
export { STATIC_POOL_LABEL } from './metrics';
export { WORKER_STATUSES, type WorkerStatus } from './queries/workers';
export type {
  MonthlyUsageHook,
  PageRequest,
  PoolDecision,
  PoolDecisionsHook,
  SectionsHook,
  StatusSection,
  StatusUiOptions,
  Viewer,
} from './types';
export type { PoolData, PoolsData } from './pages/pools';
export type { DecisionsData, QueueData } from './pages/queue';
export type { WorkerData, WorkersData } from './pages/workers';
