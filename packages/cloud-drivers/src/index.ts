export * from './driver';
export * from './errors';
export * from './retry';
export { OWNERSHIP_LABELS, MANAGED_BY } from './ownership';
export * from './dummy';
export { AwsDriver, type AwsDriverOptions, type DriverLogger } from './aws/driver';
export { awsErrorKind } from './aws/errors';
export { HetznerDriver, type HetznerDriverOptions } from './hetzner/driver';
export { DEFAULT_HETZNER_API_URL } from './hetzner/client';
