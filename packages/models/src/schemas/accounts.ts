import { z } from 'zod';

const accountName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'use letters, digits, ".", "-" and "_", starting with a letter or digit')
  .max(100);
const secret = (what: string) => z.string().min(1, `give the ${what}`);
const url = z.url({ protocol: /^https?$/, error: 'give an http:// or https:// URL' });

/**
 * A cloud provider account as given to `account create --data`.
 * `configuration` is public; `credentials` is secret and only drivers read it.
 */
export const awsAccountSchema = z.strictObject({
  name: accountName,
  provider_type: z.literal('aws'),
  configuration: z
    .strictObject({
      region_name: z.string().min(1).optional(),
      ec2_endpoint_url: url.optional(),
      s3_endpoint_url: url.optional(),
    })
    .default({}),
  credentials: z.strictObject({
    access_key_id: secret('access key id'),
    secret_access_key: secret('secret access key'),
  }),
});

export const hetznerAccountSchema = z.strictObject({
  name: accountName,
  provider_type: z.literal('hetzner'),
  configuration: z
    .strictObject({
      region_name: z.string().min(1).optional(),
      /** API base URL, for tests against a fake. (Default: Hetzner's public API) */
      api_url: url.optional(),
    })
    .default({}),
  credentials: z.strictObject({ api_token: secret('API token') }),
});

export const dummyAccountSchema = z.strictObject({
  name: accountName,
  provider_type: z.literal('dummy'),
  configuration: z.strictObject({}).default({}),
  credentials: z.strictObject({ secret: z.string().default('secret') }).default({ secret: 'secret' }),
});

export const providerAccountDataSchema = z.discriminatedUnion('provider_type', [
  awsAccountSchema,
  hetznerAccountSchema,
  dummyAccountSchema,
]);

export type ProviderAccountData = z.output<typeof providerAccountDataSchema>;
export type AwsCredentials = z.output<typeof awsAccountSchema>['credentials'];
export type HetznerCredentials = z.output<typeof hetznerAccountSchema>['credentials'];
