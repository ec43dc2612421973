import { rm } from 'node:fs/promises';
import { stopTemplateServer } from '@buildfleet/testdb';

export default async function globalTeardown(): Promise<void> {
  if (process.env.BUILDFLEET_IMAGE_CACHE_TEMPORARY && process.env.BUILDFLEET_IMAGE_CACHE) {
    await rm(process.env.BUILDFLEET_IMAGE_CACHE, { recursive: true, force: true });
  }
  await stopTemplateServer();
}
