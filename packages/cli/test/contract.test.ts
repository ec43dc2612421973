import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { contractPath, errorContractPath, generateContracts } from './contract/generate';
import { PACKAGE_ROOT } from './helpers';

/** `npm run contract:update` sets this to rewrite contract/ instead of comparing with it. */
const UPDATE = process.env.BUILDFLEET_UPDATE_CLI_CONTRACT === '1';
const CONTRACT_DIR = join(PACKAGE_ROOT, 'contract');

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => relative(CONTRACT_DIR, join(e.parentPath, e.name))).sort();
}

it('the committed contract/ matches every command\'s id, args and flags and the JSON schema of its --json result', async () => {
  const { commands, error } = await generateContracts(PACKAGE_ROOT);
  const expected = new Map<string, string>([
    [errorContractPath(PACKAGE_ROOT), `${JSON.stringify(error, null, 2)}\n`],
    ...commands.map((c) => [contractPath(PACKAGE_ROOT, c.id), `${JSON.stringify(c, null, 2)}\n`] as const),
  ]);
  if (UPDATE) {
    await rm(CONTRACT_DIR, { recursive: true, force: true });
    for (const [path, text] of expected) {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, text);
    }
  }
  const fix = 'If the change is intended, run `npm run contract:update` in packages/cli and commit contract/.';
  expect({ files: await filesUnder(CONTRACT_DIR), fix }).toEqual({
    files: [...expected.keys()].map((p) => relative(CONTRACT_DIR, p)).sort(),
    fix,
  });
  for (const [path, text] of expected) {
    expect({ file: relative(PACKAGE_ROOT, path), contract: JSON.parse(await readFile(path, 'utf8')), fix }).toEqual({
      file: relative(PACKAGE_ROOT, path),
      contract: JSON.parse(text),
      fix,
    });
  }
});
