export { bill, type BillingModel, type Price } from './billing';
export { simulate, type InstanceRecord, type LoggedDecision, type RunOptions, type SimulationRun } from './engine';
export { type FleetView, type Policy, type PolicyActions, type PolicyDecision, type SimInstance, type SimJob } from './fleet';
export { defaultGeneratorOptions, generateTrace, type GeneratedTask, type GeneratorOptions } from './generate';
export { measure, quantile, type Metrics, type PoolMetrics, type WaitMetrics } from './metrics';
export { oracleLowerBound } from './oracle';
export {
  buildfleetPolicy,
  karpenterPolicy,
  staticPolicy,
  taskscalerPolicy,
  type KarpenterSettings,
  type TaskscalerSettings,
} from './policies';
export { defaultScenario, parseScenario, resolveScenario, type Scenario, type ScenarioPool, type ScenarioScope } from './scenario';
export {
  formatTrace,
  jobRequirements,
  OUTCOMES,
  parseTrace,
  TraceError,
  unknownNames,
  type Outcome,
  type Trace,
  type TraceFault,
  type TraceIssue,
  type TraceJob,
  type TraceMeta,
  type UnknownNames,
} from './trace';
export { cheapestAtWait, makePolicy, POLICY_DEFAULTS, POLICY_NAMES, sweep, sweepSettings, type PolicyName, type SweepPoint } from './sweep';
export { readSwf, SWF_SCOPE_FIELDS, type SwfOptions, type SwfScopeBy } from './swf';
export { htmlReport } from './report-html';
export { exportTrace } from './sql/exportTrace';
