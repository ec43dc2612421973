import { type FieldIssue, ValidationError } from '@buildfleet/models';
import { stringify } from 'yaml';
import { WORKER_CONFIG_DIR, workerConfigIni } from '../files';

export interface BootUserDataInput {
  /** Single-use token from the server; written 0600 for debusine-worker and never echoed. */
  activationToken: string;
  /** Server API URL, e.g. "https://debusine.example.net/api". Leave out when the image has it baked (`api_url`). */
  apiUrl?: string;
}

/**
 * The minimal `#cloud-config` a pre-built image needs at boot: config.ini (unless baked), the
 * activation token, and a restart of the worker. The token appears only in its file entry.
 */
export function renderBootUserData(input: BootUserDataInput): string {
  const issues: FieldIssue[] = [];
  if (typeof input.activationToken !== 'string' || !/^[A-Za-z0-9._~+/=-]{16,}$/.test(input.activationToken)) {
    issues.push({ field: 'activationToken', message: 'give the token exactly as the server issued it: one line of at least 16 token characters' });
  }
  if (input.apiUrl !== undefined && !isHttpUrl(input.apiUrl)) {
    issues.push({ field: 'apiUrl', message: 'give an http(s) URL such as "https://debusine.example.net/api", or leave it out when the image has api_url baked' });
  }
  if (issues.length > 0) throw new ValidationError('boot user data', issues);

  const owner = 'debusine-worker:debusine-worker';
  const document = {
    write_files: [
      ...(input.apiUrl ? [{ path: `${WORKER_CONFIG_DIR}/config.ini`, owner, permissions: '0644', content: workerConfigIni(input.apiUrl) }] : []),
      { path: `${WORKER_CONFIG_DIR}/activation-token`, owner, permissions: '0600', content: `${input.activationToken}\n` },
    ],
    runcmd: [['systemctl', 'restart', 'debusine-worker.service']],
  };
  return `#cloud-config\n${stringify(document, { lineWidth: 0 })}`;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && !/\s/.test(value);
  } catch {
    return false;
  }
}
