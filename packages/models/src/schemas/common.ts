import { z } from 'zod';

export const PROVIDER_TYPES = ['aws', 'hetzner', 'dummy'] as const;
export const providerTypeSchema = z.enum(PROVIDER_TYPES);
export type ProviderType = z.infer<typeof providerTypeSchema>;

export const debianReleaseSchema = z.enum(['bookworm', 'trixie', 'forky']);
export type DebianRelease = z.infer<typeof debianReleaseSchema>;

/** Where an instance gets debusine-worker from; `pre-installed` images only need the token and URL. */
export const installSourceSchema = z.enum(['release', 'backports', 'daily-builds', 'pre-installed']);
export type InstallSource = z.infer<typeof installSourceSchema>;

export const nonNegativeInt = z.number().int('must be a whole number').min(0, 'must be 0 or more');
export const positiveInt = z.number().int('must be a whole number').min(1, 'must be 1 or more');
export const labelMap = z.record(z.string().min(1), z.string());

/** Lower-case slug used for scope and pool names (they appear in URLs and worker names). */
export const slugSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'use lower-case letters, digits, "-" and "_", starting with a letter or digit');
