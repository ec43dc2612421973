export { workerTagsFromMetadata, mergedMetadata } from './metadata-tags';
export {
  findTask,
  knownTaskNames,
  taskRequirements,
  taskTag,
  validateTask,
  workerTaskData,
  type TaskDefinition,
} from './task-types';
export { refreshWorkerTags } from './sql/refreshWorkerTags';
export { tagWorker, untagWorker } from './worker-tags';
export { createWorkRequest, requirementSetIdFor, validateWorkRequest, type WorkRequestInput } from './work-requests';
export {
  getWorkRequest,
  listWorkRequests,
  DEFAULT_LIST_LIMIT,
  MAX_LIST_LIMIT,
  type WorkRequestFilter,
  type WorkRequestPage,
  type WorkRequestView,
} from './work-request-views';
export { runDispatchPass, type DispatchResult } from './dispatch';
export { DispatchPasses } from './dispatch-passes';
export { assignableHeadSize, planDispatch, type Assignment } from './plan-dispatch';
export { readDispatchSnapshot, STATIC, type DispatchSnapshot, type QueuedRequest } from './sql/readDispatchSnapshot';
export { WORK_ASSIGNED_CHANNEL } from './sql/assignRequests';
export {
  assignNextForWorker,
  markRunning,
  settleCall,
  settleFrom,
  settleNextForWorker,
  type SettleRow,
  startNextForWorker,
  startWaitingCtesSql,
  WORK_REQUEST_ROW_COLUMNS,
  type WorkRequestRow,
} from './sql/nextForWorker';
export { describeUnmetDemand, getUnmetDemand, UNMET_DEMAND_LISTED, type UnmetDemand } from './unmet-demand';
export { satisfiesSql } from './sql/matching';
export { satisfies } from './matching';
export {
  abortWorkRequests,
  MAX_AUTOMATIC_RETRIES,
  type AbortCause,
  type AbortOptions,
  type AbortResult,
  type AbortSelection,
} from './sql/abortWorkRequests';
export { abortWorkRequestsAsAdmin, retryWorkRequest, setPriorityAdjustment } from './work-request-lifecycle';
export { abortLostWork, DEFAULT_LOST_WORK_SECONDS, listLostWork, type LostWorkView } from './sql/lostWork';
export { notifyWorkRequested, requestedIds, WORK_REQUESTED_CHANNEL } from './sql/workRequested';
export { placeWorkRequests } from './place-work-requests';
