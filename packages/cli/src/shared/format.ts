import { type WorkerPoolView, type WorkerView } from '@buildfleet/models';
import { type WorkRequestView } from '@buildfleet/scheduler';
import { stringify } from 'yaml';

/** A plain-text table with a header row, or `empty` when there are no rows. */
export function renderTable(headers: string[], rows: string[][], empty: string): string {
  if (!rows.length) return empty;
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** `key: value` lines, then YAML blocks for the nested values. */
export function renderDetails(fields: [string, string][], blocks: [string, unknown][] = []): string {
  const width = Math.max(...fields.map(([key]) => key.length)) + 1;
  return [
    ...fields.map(([key, value]) => `${`${key}:`.padEnd(width)} ${value}`),
    ...blocks.map(([key, value]) => `${key}:\n${indent(stringify(value).trimEnd())}`),
  ].join('\n');
}

/** A worker's draining as its status page words it: `since <when> (<reason>)`, or `-`. */
export function draining(worker: WorkerView): string {
  return worker.draining ? `since ${worker.draining.since} (${worker.draining.reason})` : '-';
}

export function yesNo(value: boolean): string {
  return value ? 'yes' : 'no';
}

export function list(values: string[]): string {
  return values.length ? values.join(', ') : '-';
}

export function poolDetails(pool: WorkerPoolView): string {
  return renderDetails(
    [
      ['Name', pool.name],
      ['Provider account', `${pool.providerAccount} (${pool.providerType})`],
      ['Enabled', yesNo(pool.enabled)],
      ['Architectures', list(pool.architectures)],
      ['Tags', list(pool.tags)],
      ['Instance-wide', yesNo(pool.instanceWide)],
      ['Ephemeral', yesNo(pool.ephemeral)],
      ['Image', pool.image ?? '-'],
      ['Scopes', list(pool.scopes.map((s) => `${s.scope} (priority ${s.priority})`))],
      ['Workers', `${pool.workers.total} (${pool.workers.running} running${pool.workers.outdatedImage ? `, ${pool.workers.outdatedImage} on an outdated image` : ''})`],
      ['Registered', pool.registeredAt],
    ],
    [
      ['Limits', pool.limits],
      ['Specifications', pool.specifications],
    ],
  );
}

export function workRequestDetails(request: WorkRequestView): string {
  const { base, adjustment, effective } = request.priority;
  return renderDetails(
    [
      ['Id', request.id],
      ['Scope', request.scope],
      ['Task', `${request.taskName} (${request.taskType})`],
      ['Status', request.result ? `${request.status} (${request.result})` : request.status],
      ['Priority', adjustment ? `${effective} (${base} ${adjustment < 0 ? '-' : '+'} ${Math.abs(adjustment)})` : String(base)],
      ['Requirements', request.requirements || '-'],
      ['Worker', request.worker ?? '-'],
      ['Created', request.createdAt],
      ['Started', request.startedAt ?? '-'],
      ['Completed', request.completedAt ?? '-'],
      ['Retries', String(request.retryCount)],
      ['Supersedes', request.supersedes ?? '-'],
      ['Superseded by', request.supersededBy ?? '-'],
    ],
    [['Task data', request.taskData], ...(request.errors.length ? [['Errors', request.errors] as [string, unknown]] : [])],
  );
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
