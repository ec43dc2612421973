import { randomBytes } from 'node:crypto';
import { DEFAULT_HETZNER_API_URL, HetznerClient, makeRedactor, MANAGED_BY, OWNERSHIP_LABELS, ProviderError, type RetryOptions, withRetry } from '@buildfleet/cloud-drivers';
import { recordImage } from '../manifest';
import { IMAGE_KIND, IMAGE_LABELS, imageBaseName } from '../publish';
import { renderBuildUserData } from '../render/script';
import type { BuildPlan } from '../types';
import { nameStamp, runCleanup, type RunnerOptions, waitFor, withCleanupFailures } from './common';
import { imageLabels, type PublishedImage } from './labels';
import { type BuildResult } from './result';

/** A Hetzner Cloud project: its API token and, for tests, another API URL. */
export interface HetznerAccess {
  token: string;
  /** (Default: https://api.hetzner.cloud/v1) */
  apiUrl?: string;
  /** (Default: DEFAULT_RETRY of @buildfleet/cloud-drivers) */
  retry?: RetryOptions;
}

export interface HetznerBuildOptions extends RunnerOptions, HetznerAccess {
  /** Where the build server runs; the snapshot can be used in every location. (Default: "fsn1") */
  location?: string;
  /** (Default: the plan's: the smallest disk of the architecture, "cx23" or "cax11") */
  serverType?: string;
  /** (Default: 10000) */
  pollIntervalMs?: number;
  /** How long provisioning may take until the server is off. (Default: 45 minutes) */
  serverOffTimeoutMs?: number;
  /** How long the snapshot may take. (Default: 45 minutes) */
  imageTimeoutMs?: number;
}

interface HetznerServer {
  id: number;
  status: string;
}
interface HetznerAction {
  id: number;
  status: 'running' | 'success' | 'error';
  error?: { code: string; message: string } | null;
}
interface HetznerImage {
  id: number;
  description: string | null;
  created: string;
  status: string;
  labels: Record<string, string>;
}

function client(access: HetznerAccess) {
  const api = new HetznerClient({
    apiUrl: access.apiUrl ?? DEFAULT_HETZNER_API_URL,
    token: access.token,
    redact: makeRedactor([access.token]),
  });
  return <T>(method: string, path: string, extra: { query?: Record<string, string>; body?: unknown } = {}): Promise<T> =>
    withRetry(async () => (await api.request<T>(method, path, extra)).body, access.retry);
}

type Request = ReturnType<typeof client>;

/**
 * Builds the image on a Hetzner Cloud server: a server from the stock
 * Debian image boots with the build user data, provisions itself and powers off; a snapshot with
 * the ownership labels is taken; the server is deleted. The snapshot id is what a pool's
 * `image_name` takes. On failure or abort the server (and an unfinished snapshot) is deleted.
 */
export async function buildOnHetzner(buildPlan: BuildPlan, options: HetznerBuildOptions): Promise<BuildResult> {
  if (buildPlan.target !== 'hetzner') throw new Error(`buildOnHetzner needs a plan for target hetzner, not ${buildPlan.target}`);
  const now = options.now ?? (() => new Date());
  const report = (step: string, message: string) => options.onProgress?.({ step, message });
  const request = client(options);
  const { signal } = options;
  const pollIntervalMs = options.pollIntervalMs ?? 10_000;
  const started = now();
  const description = `${imageBaseName(buildPlan.options)}-${nameStamp(started)}`;
  const labels = imageLabels(buildPlan);
  const createParams = buildPlan.publish.find((s) => s.step === 'create_server')?.params ?? {};
  const baseImage = String(createParams.image);
  const location = options.location ?? 'fsn1';
  const cleanup: { what: string; run: () => Promise<void> }[] = [];

  try {
    signal?.throwIfAborted();
    const created = await request<{ server: HetznerServer }>('POST', '/servers', {
      body: {
        name: `buildfleet-image-${randomBytes(4).toString('hex')}`,
        server_type: options.serverType ?? String(createParams.server_type),
        image: baseImage,
        location,
        user_data: renderBuildUserData(buildPlan),
        labels,
        start_after_create: true,
      },
    });
    const serverId = created.server.id;
    cleanup.push({ what: `delete build server ${serverId}`, run: () => deleteServer(request, serverId, pollIntervalMs) });
    report('create_server', `build server ${serverId} is provisioning (${baseImage}, ${location})`);

    let lastStatus = '';
    await waitFor(
      async () => {
        const { server } = await request<{ server: HetznerServer }>('GET', `/servers/${serverId}`);
        if (server.status !== lastStatus) report('wait_server_off', `build server ${serverId} is ${server.status}`);
        lastStatus = server.status;
        return server.status === 'off' ? true : undefined;
      },
      { what: `build server ${serverId} to power itself off`, intervalMs: pollIntervalMs, timeoutMs: options.serverOffTimeoutMs ?? 45 * 60_000, signal },
    );

    const snapshot = await request<{ image: HetznerImage; action: HetznerAction }>('POST', `/servers/${serverId}/actions/create_image`, {
      body: { type: 'snapshot', description, labels },
    });
    const imageId = snapshot.image.id;
    const actionId = snapshot.action.id;
    const imageTimeoutMs = options.imageTimeoutMs ?? 45 * 60_000;
    cleanup.push({
      what: `delete unfinished snapshot ${imageId}`,
      // A snapshot cannot be deleted while it is being created: let the action end first.
      run: async () => {
        await waitForAction(request, actionId, { what: `snapshot ${imageId} to finish before deleting it`, intervalMs: pollIntervalMs, timeoutMs: imageTimeoutMs }).catch(() => undefined);
        await deleteImage(request, imageId);
      },
    });
    report('create_image', `snapshot ${imageId} (${description}) is being created`);
    await waitForAction(request, actionId, { what: `snapshot ${imageId}`, intervalMs: pollIntervalMs, timeoutMs: imageTimeoutMs, signal });
    report('create_image', `snapshot ${imageId} is available`);

    cleanup.length = 0;
    await deleteServer(request, serverId, pollIntervalMs);
    report('delete_server', `deleted build server ${serverId}`);

    const finished = now();
    const { manifest, path } = await recordImage(options.outputDir, buildPlan, {
      id: String(imageId),
      name: description,
      built_at: finished.toISOString(),
      build_seconds: Math.round((finished.getTime() - started.getTime()) / 1000),
      location,
      base_image: baseImage,
    });
    report('manifest', `wrote ${path}`);
    return { target: 'hetzner', imageId: String(imageId), image: manifest.images.hetzner!, manifest, manifestPath: path };
  } catch (error) {
    const failures = await runCleanup(cleanup, (what) => report('cleanup', what));
    throw withCleanupFailures(error, failures);
  }
}

async function waitForAction(request: Request, actionId: number, wait: { what: string; intervalMs: number; timeoutMs: number; signal?: AbortSignal | undefined }): Promise<void> {
  await waitFor(async () => {
    const { action } = await request<{ action: HetznerAction }>('GET', `/actions/${actionId}`);
    if (action.status === 'success') return true;
    if (action.status === 'error') throw new ProviderError('invalid', `hetzner action ${actionId} failed: ${action.error?.code ?? 'error'}: ${action.error?.message ?? ''}`, { code: action.error?.code });
    return undefined;
  }, wait);
}

/** Deletes the server and waits for the delete action, so "deleted" is true when this returns. */
async function deleteServer(request: Request, serverId: number, intervalMs: number): Promise<void> {
  let action: HetznerAction;
  try {
    ({ action } = await request<{ action: HetznerAction }>('DELETE', `/servers/${serverId}`));
  } catch (error) {
    if (error instanceof ProviderError && error.kind === 'not_found') return;
    throw error;
  }
  await waitForAction(request, action.id, { what: `build server ${serverId} to be deleted`, intervalMs, timeoutMs: 10 * 60_000 });
}

async function deleteImage(request: Request, imageId: number | string): Promise<void> {
  try {
    await request('DELETE', `/images/${imageId}`);
  } catch (error) {
    if (!(error instanceof ProviderError && error.kind === 'not_found')) throw error;
  }
}

/** buildfleet's debusine-worker snapshots in the project, found by their labels. */
export async function listHetznerImages(access: HetznerAccess): Promise<PublishedImage[]> {
  const request = client(access);
  const images: PublishedImage[] = [];
  for (let page = 1; page; ) {
    const out = await request<{ images: HetznerImage[]; meta?: { pagination?: { next_page: number | null } } }>('GET', '/images', {
      query: {
        type: 'snapshot',
        label_selector: `${OWNERSHIP_LABELS.managedBy}=${MANAGED_BY},${IMAGE_LABELS.image}=${IMAGE_KIND}`,
        per_page: '50',
        page: String(page),
      },
    });
    for (const image of out.images) {
      images.push({ id: String(image.id), name: image.description ?? '', createdAt: image.created, state: image.status, labels: image.labels });
    }
    page = out.meta?.pagination?.next_page ?? 0;
  }
  return images;
}

export async function deleteHetznerImage(access: HetznerAccess, imageId: string): Promise<void> {
  await deleteImage(client(access), imageId);
}

