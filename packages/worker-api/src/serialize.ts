import { workerTaskData } from '@buildfleet/scheduler';
import { type DbArtifact } from './sql/artifacts';
import { type DbWorkRequest } from './interfaces';

/** buildfleet has no workspaces: every work request reports Debusine's default one. */
export const WORKSPACE = 'System';

/**
 * A work request in Debusine's WorkRequestResponse shape (what the worker and client parse);
 * `artifacts` are the ids of those it produced (its debug logs).
 */
export function workRequestResponse(row: DbWorkRequest, artifactIds: string[] = []): Record<string, unknown> {
  const iso = (date: Date | null) => (date ? date.toISOString() : null);
  return {
    id: Number(row.id),
    task_name: row.task_name,
    created_at: row.created_at.toISOString(),
    started_at: iso(row.started_at),
    completed_at: iso(row.completed_at),
    duration:
      row.started_at && row.completed_at ? Math.round((row.completed_at.getTime() - row.started_at.getTime()) / 1000) : null,
    worker: row.worker_id === null ? null : Number(row.worker_id),
    task_type: row.task_type,
    task_data: workerTaskData(row.task_data),
    dynamic_task_data: null,
    priority_base: row.priority_base,
    priority_adjustment: row.priority_adjustment,
    event_reactions: {},
    status: row.status,
    result: row.result,
    artifacts: artifactIds.map(Number),
    workspace: WORKSPACE,
  };
}

/**
 * An artifact in Debusine's ArtifactResponse shape. Its URLs must be absolute (the worker
 * validates them) and are built from `apiUrl`; `files_to_upload` lists the incomplete files.
 */
export function artifactResponse(artifact: DbArtifact, apiUrl: string): Record<string, unknown> {
  const base = `${apiUrl}/1.0/artifact/${artifact.id}`;
  return {
    id: Number(artifact.id),
    workspace: artifact.workspace,
    category: artifact.category,
    data: artifact.data,
    created_at: new Date(artifact.created_at).toISOString(),
    expire_at: artifact.expire_at ? new Date(artifact.expire_at).toISOString() : null,
    download_tar_gz_url: `${base}/download/?archive=tar.gz`,
    files_to_upload: artifact.files.filter((f) => !f.complete).map((f) => f.path),
    files: Object.fromEntries(
      artifact.files.map((f) => [
        f.path,
        {
          size: Number(f.size),
          type: 'file',
          checksums: { sha256: f.sha256 },
          url: `${base}/files/${f.path.split('/').map(encodeURIComponent).join('/')}`,
        },
      ]),
    ),
  };
}
