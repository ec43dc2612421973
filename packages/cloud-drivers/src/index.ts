export * from './driver';
export * from './errors';
export * from './retry';
export { OWNERSHIP_LABELS, MANAGED_BY } from './ownership';
export * from './dummy';
export { AwsDriver, type AwsDriverOptions, type DriverLogger } from './aws/driver';
export { awsErrorKind } from './aws/errors';
