import request from 'supertest';
import { authFromHeader, baseHrefOf, hostApp, linksOf, SIGNED_IN, useDatabase } from './helpers';
import {
  ACCOUNT_NAME,
  AWS_ACCESS_KEY_ID,
  AWS_SECRET_ACCESS_KEY,
  type Fleet,
  HETZNER_ACCOUNT_NAME,
  HETZNER_API_TOKEN,
  seedFleet,
  XSS,
} from './seed';

const database = useDatabase();
let fleet: Fleet;
const ESCAPED_XSS = '&lt;script&gt;alert(1)&lt;/script&gt;';

beforeAll(async () => {
  fleet = await seedFleet(database.db);
});

const app = () => hostApp('/-/status', { db: database.db, auth: authFromHeader, metrics: true });

/** Every page reachable from the workers page for this viewer, plus error and metrics answers. */
async function crawl(headers: Record<string, string>): Promise<Map<string, string>> {
  const answers = new Map<string, string>();
  const queue = [
    '/-/status/workers/',
    '/-/status/workers/aws-amd64-003/',
    '/-/status/workers/hetzner-arm-001/',
    '/-/status/workers/no-such-worker/',
    `/-/status/workers/?filter-name=${encodeURIComponent(XSS)}`,
    '/-/status/worker-pools/no-such-pool/',
    '/-/status/decisions/',
    '/-/status/metrics',
  ];
  while (queue.length) {
    const path = queue.shift()!;
    if (answers.has(path)) continue;
    const res = await request(app()).get(path).set(headers);
    answers.set(path, res.text);
    const asJson = await request(app()).get(path).set(headers).set('Accept', 'application/json');
    answers.set(`${path} (JSON)`, asJson.text);
    if (res.type !== 'text/html') continue;
    const base = new URL(baseHrefOf(res.text)!, 'http://host');
    for (const href of linksOf(res.text)) {
      const target = new URL(href, base);
      if (!target.pathname.startsWith('/-/status/static/')) queue.push(target.pathname + target.search);
    }
  }
  return answers;
}

describe.each([
  ['an anonymous viewer', {}],
  ['an authenticated viewer', SIGNED_IN],
])('what %s can read', (_who, headers) => {
  let answers: Map<string, string>;
  beforeAll(async () => {
    answers = await crawl(headers);
  });

  it('covers every page kind, in HTML and JSON', () => {
    const paths = [...answers.keys()];
    for (const page of ['workers/static-idle/', 'workers/aws-amd64-001/', 'worker-pools/aws-amd64/', 'worker-pools/hetzner-arm/', 'queue/']) {
      expect(paths).toContain(`/-/status/${page}`);
      expect(paths).toContain(`/-/status/${page} (JSON)`);
    }
    expect(answers.size).toBeGreaterThan(40);
  });

  it('never contains a provider account name or credential, a token key or a token hash', () => {
    const secrets = [ACCOUNT_NAME, HETZNER_ACCOUNT_NAME, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, HETZNER_API_TOKEN, ...fleet.tokenSecrets];
    expect(fleet.tokenSecrets.length).toBeGreaterThan(10);
    const leaks = [...answers].flatMap(([path, text]) =>
      secrets.filter((s) => text.toLowerCase().includes(s.toLowerCase())).map((s) => `${path}: ${s}`),
    );
    expect(leaks).toEqual([]);
  });

  it('escapes markup from tags, specifications, scope labels, metadata and the query in every HTML page', () => {
    const html = [...answers].filter(([path, text]) => !path.endsWith('(JSON)') && text.startsWith('<!doctype'));
    expect(html.filter(([, text]) => text.includes(XSS)).map(([path]) => path)).toEqual([]);
    const escapedOn = html.filter(([, text]) => text.includes(ESCAPED_XSS)).map(([path]) => path);
    expect(escapedOn).toEqual(
      expect.arrayContaining([
        '/-/status/workers/static-idle/',
        '/-/status/worker-pools/hetzner-arm/',
        '/-/status/worker-pools/aws-amd64/',
        `/-/status/workers/?filter-name=${encodeURIComponent(XSS)}`,
      ]),
    );
  });
});

it('shows worker metadata only to the authenticated viewer', async () => {
  const anonymous = await request(app()).get('/-/status/workers/static-idle/').expect(200);
  const signedIn = await request(app()).get('/-/status/workers/static-idle/').set(SIGNED_IN).expect(200);
  expect(anonymous.text).not.toContain('system:cpu_count');
  expect(signedIn.text).toContain('system:cpu_count: 8');
  expect(signedIn.text).toContain(`note: ${ESCAPED_XSS}`);
});
