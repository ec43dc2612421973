import { type Database } from '@buildfleet/models';
import { QueryTypes } from 'sequelize';

export interface ArtifactFileInput {
  path: string;
  size: number;
  sha256: string;
}

export interface DbArtifact {
  id: string;
  work_request_id: string;
  /** The worker the artifact's work request is assigned to. */
  worker_id: string | null;
  workspace: string;
  category: string;
  data: Record<string, unknown>;
  created_at: Date;
  expire_at: Date | null;
  files: { path: string; size: number; sha256: string; complete: boolean }[];
}

const ARTIFACT = `a.id, a.work_request_id, wr.worker_id, a.workspace, a.category, a.data, a.created_at, a.expire_at,
  coalesce((select jsonb_agg(jsonb_build_object('path', f.path, 'size', f.size, 'sha256', f.sha256,
                                                'complete', f.complete) order by f.path)
              from artifact_files f where f.artifact_id = a.id), '[]') as files`;

/** Stores an artifact and its file list in one statement; empty files are complete at once. */
export async function createArtifact(
  db: Database,
  artifact: {
    workRequestId: string;
    workspace: string;
    category: string;
    data: Record<string, unknown>;
    expireAt: Date | null;
    files: ArtifactFileInput[];
  },
): Promise<DbArtifact> {
  const [row] = await db.sequelize.query<DbArtifact>(
    `with a as (
       insert into artifacts (work_request_id, workspace, category, data, expire_at)
       values ($1::bigint, $2::text, $3::text, $4::jsonb, $5::timestamptz)
       returning *
     ), files as (
       insert into artifact_files (artifact_id, path, size, sha256, complete)
       select a.id, f.path, f.size, f.sha256, f.size = 0
         from a, jsonb_to_recordset($6::jsonb) as f(path text, size bigint, sha256 text)
       returning path, size, sha256, complete
     )
     select a.id, a.work_request_id, wr.worker_id, a.workspace, a.category, a.data, a.created_at, a.expire_at,
            coalesce((select jsonb_agg(jsonb_build_object('path', path, 'size', size, 'sha256', sha256,
                                                          'complete', complete) order by path) from files), '[]') as files
       from a join work_requests wr on wr.id = a.work_request_id`,
    {
      bind: [
        artifact.workRequestId,
        artifact.workspace,
        artifact.category,
        JSON.stringify(artifact.data),
        artifact.expireAt,
        JSON.stringify(artifact.files),
      ],
      type: QueryTypes.SELECT,
    },
  );
  return row!;
}

export async function readArtifact(db: Database, artifactId: string): Promise<DbArtifact | null> {
  const [row] = await db.sequelize.query<DbArtifact>(
    `select ${ARTIFACT} from artifacts a join work_requests wr on wr.id = a.work_request_id where a.id = $1::bigint`,
    { bind: [artifactId], type: QueryTypes.SELECT },
  );
  return row ?? null;
}

export interface FileProgress {
  size: number;
  /** Bytes stored so far, from the start of the file. */
  received: number;
  complete: boolean;
}

export async function readFileProgress(db: Database, artifactId: string, path: string): Promise<FileProgress | null> {
  const [row] = await db.sequelize.query<{ size: string; received: number; complete: boolean }>(
    `select size, length(content) as received, complete from artifact_files where artifact_id = $1::bigint and path = $2::text`,
    { bind: [artifactId, path], type: QueryTypes.SELECT },
  );
  return row ? { size: Number(row.size), received: row.received, complete: row.complete } : null;
}

/**
 * Writes `chunk` at byte `start` of an incomplete file (dropping anything stored after it),
 * provided nothing is missing before `start`. When the file is then whole, it is complete if
 * its sha256 matches, else emptied for a fresh upload. Returns the outcome with the bytes held.
 */
export async function writeFileChunk(
  db: Database,
  artifactId: string,
  path: string,
  start: number,
  chunk: Buffer,
): Promise<{ outcome: 'partial' | 'complete' | 'hash-mismatch' | 'gap'; received: number }> {
  return db.sequelize.transaction(async (transaction) => {
    const [written] = await db.sequelize.query<{ received: number; whole: boolean }>(
      `update artifact_files
          set content = substring(content from 1 for $3::integer) || $4::bytea
        where artifact_id = $1::bigint and path = $2::text and not complete
          and length(content) >= $3::integer and $3::integer + length($4::bytea) <= size
       returning length(content) as received, length(content) = size as whole`,
      { bind: [artifactId, path, start, chunk], type: QueryTypes.SELECT, transaction },
    );
    if (!written) return { outcome: 'gap', received: (await readFileProgress(db, artifactId, path))?.received ?? 0 };
    if (!written.whole) return { outcome: 'partial', received: written.received };
    const [settled] = await db.sequelize.query<{ complete: boolean }>(
      `update artifact_files
          set complete = encode(sha256(content), 'hex') = sha256,
              content = case when encode(sha256(content), 'hex') = sha256 then content else ''::bytea end
        where artifact_id = $1::bigint and path = $2::text
       returning complete`,
      { bind: [artifactId, path], type: QueryTypes.SELECT, transaction },
    );
    return settled!.complete ? { outcome: 'complete', received: written.received } : { outcome: 'hash-mismatch', received: 0 };
  });
}

/** The contents of the artifact's complete files (all of them, or those at `paths`). */
export async function readFileContents(
  db: Database,
  artifactId: string,
  paths?: string[],
): Promise<{ path: string; content: Buffer }[]> {
  return db.sequelize.query<{ path: string; content: Buffer }>(
    `select path, content from artifact_files
      where artifact_id = $1::bigint and complete and ($2::text[] is null or path = any($2::text[]))
      order by path`,
    { bind: [artifactId, paths ?? null], type: QueryTypes.SELECT },
  );
}
