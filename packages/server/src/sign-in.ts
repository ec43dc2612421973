import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { type Database } from '@buildfleet/models';
import { authenticateUser } from '@buildfleet/worker-api';
import express, { type Request, type Router } from 'express';
import { QueryTypes } from 'sequelize';

export const SESSION_COOKIE = 'buildfleet_session';

export interface SignInOptions {
  /** Require sign-in for every page. (Default: false) */
  private?: boolean;
  /** A header naming the signed-in user, set by an SSO proxy, believed only from `trustedProxies`. */
  trustedUserHeader?: string;
  /** Addresses (as the socket sees them, e.g. 127.0.0.1) whose `trustedUserHeader` is believed. */
  trustedProxies?: string[];
  /** How long a session cookie lasts. (Default: 8 hours) */
  sessionSeconds?: number;
}

export interface StatusViewer {
  user: string;
  /** Admins see worker metadata; so do users named by a trusted proxy. */
  admin: boolean;
}

/**
 * Sign-in for the status UI: a form that takes a user token and sets a signed, HttpOnly,
 * SameSite=Strict cookie with an expiry, and a sign-out. The key signing cookies lives in the
 * database (installation_settings), created by the first replica that needs it, so every replica
 * accepts every cookie. `viewerOf` reads the cookie, or the trusted proxy's header.
 */
export function signIn(db: Database, basePath: string, options: SignInOptions = {}) {
  const sessionSeconds = options.sessionSeconds ?? 8 * 3600;
  const trusted = new Set(options.trustedProxies ?? []);
  let key: Promise<Buffer> | undefined;
  const signingKey = () =>
    (key ??= db.sequelize
      .query<{ key: string }>(
        `update installation_settings set session_signing_key = coalesce(session_signing_key, $1::text) returning session_signing_key as key`,
        { bind: [randomBytes(32).toString('hex')], type: QueryTypes.SELECT },
      )
      .then(([row]) => Buffer.from(row!.key, 'hex'))
      .catch((error: unknown) => {
        key = undefined;
        throw error;
      }));
  const sign = async (payload: string) => createHmac('sha256', await signingKey()).update(payload).digest('base64url');

  async function viewerOf(req: Request): Promise<StatusViewer | null> {
    if (options.trustedUserHeader && trusted.has(normalizeAddress(req.socket.remoteAddress))) {
      const user = req.get(options.trustedUserHeader);
      if (user && /^[\x21-\x7e]{1,150}$/.test(user)) return { user, admin: true };
    }
    const cookie = cookieValue(req.get('cookie'), SESSION_COOKIE);
    const match = cookie && /^([A-Za-z0-9_.@+-]{1,150})\.([01])\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(cookie);
    if (!match) return null;
    const [, user, admin, expires, mac] = match;
    if (Number(expires) * 1000 <= Date.now()) return null;
    const expected = Buffer.from(await sign(`${user}.${admin}.${expires}`));
    const given = Buffer.from(mac!);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
    return { user: user!, admin: admin === '1' };
  }

  const router: Router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '4kb' });
  const cookiePath = basePath.endsWith('/') ? basePath : `${basePath}/`;

  router.get(`${basePath}/sign-in/`, async (req, res) => {
    const viewer = await viewerOf(req);
    res.type('html').send(page(basePath, viewer, req.query.failed === '1' ? 'That token is not a valid user token.' : ''));
  });
  router.post(`${basePath}/sign-in/`, form, async (req, res) => {
    const token = typeof req.body?.token === 'string' ? req.body.token.trim() : '';
    const user = await authenticateUser(db, token);
    if (!user) {
      res.redirect(303, `${basePath}/sign-in/?failed=1`);
      return;
    }
    const expires = Math.floor(Date.now() / 1000) + sessionSeconds;
    const payload = `${user.user}.${user.admin ? 1 : 0}.${expires}`;
    res.cookie(SESSION_COOKIE, `${payload}.${await sign(payload)}`, {
      httpOnly: true,
      sameSite: 'strict',
      secure: req.secure,
      path: cookiePath,
      maxAge: sessionSeconds * 1000,
    });
    res.redirect(303, `${basePath}/workers/`);
  });
  router.post(`${basePath}/sign-out/`, (req, res) => {
    res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: cookiePath });
    res.redirect(303, `${basePath}/sign-in/`);
  });
  if (options.private) {
    router.use(basePath, async (req, res, next) => {
      if (req.path.startsWith('/static/') || (await viewerOf(req))) return next();
      res.redirect(303, `${basePath}/sign-in/`);
    });
  }
  return { router, viewerOf };
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

function normalizeAddress(address: string | undefined): string {
  return (address ?? '').replace(/^::ffff:/, '');
}

function page(basePath: string, viewer: StatusViewer | null, error: string): string {
  const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const body = viewer
    ? `<p>Signed in as <strong>${escape(viewer.user)}</strong>${viewer.admin ? ' (admin)' : ''}.</p>
       <form method="post" action="${basePath}/sign-out/"><button type="submit">Sign out</button></form>`
    : `<form method="post" action="${basePath}/sign-in/">
         <label>User token <input type="password" name="token" autocomplete="off" required></label>
         <button type="submit">Sign in</button>
       </form>${error ? `<p role="alert">${escape(error)}</p>` : ''}`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in · buildfleet</title></head>
<body><h1>buildfleet status</h1>${body}<p><a href="${basePath}/workers/">Workers</a></p></body></html>`;
}
