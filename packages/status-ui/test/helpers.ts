import { connectDatabase, type Database } from '@buildfleet/models';
import { useConnectedDatabase } from '@buildfleet/testdb';
import express from 'express';
import { statusUi, type StatusUiOptions } from '../src';

/** A Database on this test file's own migrated clone, open for the whole file. */
export function useDatabase(): { readonly db: Database } {
  return useConnectedDatabase((url) => connectDatabase(url, 4));
}

/** The test viewer signs in by sending this header; anyone else is anonymous. */
export const SIGNED_IN = { 'x-test-user': 'alice' };
export const authFromHeader: NonNullable<StatusUiOptions['auth']> = (req) => req.get('x-test-user') === 'alice';

/**
 * A host app that mounts the status UI at `mount`, the way a real host does, with host settings
 * of its own that the UI must not change or depend on.
 */
export function hostApp(mount: string, options: StatusUiOptions): express.Express {
  const host = express();
  host.set('view engine', 'host-engine-that-does-not-exist');
  host.set('views', '/nonexistent/host/views');
  host.set('query parser', 'extended');
  host.get('/host-page', (_req, res) => res.send('host'));
  host.use(mount, statusUi({ ...options, basePath: mount }));
  host.get('/after-ui', (_req, res) => res.send('host after ui'));
  return host;
}

/** Every link, source and form action of an HTML page (the <base href> is not a link). */
export function linksOf(html: string): string[] {
  return [...html.replace(/<base [^>]*>/, '').matchAll(/\s(?:href|src|action)="([^"]*)"/g)].map((m) => decodeEntities(m[1]!));
}

export function baseHrefOf(html: string): string | undefined {
  return /<base href="([^"]*)">/.exec(html)?.[1];
}

/** HTML with its character references decoded, to look for text as a reader sees it. */
export function decodeEntities(text: string): string {
  return text.replace(/&amp;/g, '&').replace(/&#34;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
}
