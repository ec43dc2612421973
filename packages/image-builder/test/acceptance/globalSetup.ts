import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrateUp } from '@buildfleet/models';
import { prepareTemplate } from '@buildfleet/testdb';

/**
 * A migrated template database for the worker API the booted image talks to, and the image
 * cache: BUILDFLEET_IMAGE_CACHE if set (kept between runs, for development), else a directory
 * for this run only, removed by globalTeardown.
 */
export default async function globalSetup(): Promise<void> {
  await prepareTemplate({ name: 'image-builder', migrate: (url) => migrateUp(url).then(() => undefined) });
  if (!process.env.BUILDFLEET_IMAGE_CACHE) {
    process.env.BUILDFLEET_IMAGE_CACHE = await mkdtemp(join(tmpdir(), 'buildfleet-image-cache-'));
    process.env.BUILDFLEET_IMAGE_CACHE_TEMPORARY = '1';
  }
}
