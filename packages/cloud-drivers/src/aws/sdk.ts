import type * as Ec2 from '@aws-sdk/client-ec2';

export type Ec2Sdk = typeof Ec2;

/**
 * The AWS SDK's EC2 client, loaded at its first use rather than when this package is imported:
 * it is a third of an idle `serve` process's memory (about 55 MiB), which a server whose pools
 * are not on EC2 never needs. Node keeps it loaded once loaded.
 */
export function ec2Sdk(): Ec2Sdk {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@aws-sdk/client-ec2') as Ec2Sdk;
}
