/** The smallest task data Debusine's models accept for each task used in these tests, with overrides. */
const MINIMAL: Record<string, Record<string, unknown>> = {
  noop: {},
  sbuild: { input: { source_artifact: 1 }, host_architecture: 'amd64', environment: 'debian/match:codename=trixie' },
  autopkgtest: {
    input: { source_artifact: 1, binary_artifacts: [2] },
    host_architecture: 'amd64',
    environment: 'debian/match:codename=trixie',
  },
  lintian: { input: { source_artifact: 1 } },
  mmdebstrap: {
    bootstrap_options: { architecture: 'amd64' },
    bootstrap_repositories: [{ mirror: 'http://deb.debian.org/debian', suite: 'trixie', components: ['main'] }],
  },
};

export function taskData(task: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const minimal = MINIMAL[task];
  if (!minimal) throw new Error(`no minimal task data for ${task} in the tests`);
  return { ...minimal, ...overrides };
}
