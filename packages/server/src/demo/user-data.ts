import { parse } from 'yaml';

/** The activation token and API URL a worker would find in its cloud-init user data. */
export function bootstrapFromUserData(userData: string): { activationToken?: string; apiUrl?: string } {
  const document = parse(userData) as { write_files?: { path?: string; content?: string }[] } | null;
  const files = document?.write_files ?? [];
  const token = files.find((f) => f.path === '/etc/debusine/worker/activation-token')?.content?.trim();
  const config = files.find((f) => f.path === '/etc/debusine/worker/config.ini')?.content ?? '';
  const apiUrl = /^\s*api-url\s*=\s*(\S+)\s*$/m.exec(config)?.[1];
  return { ...(token ? { activationToken: token } : {}), ...(apiUrl ? { apiUrl } : {}) };
}
