import { Console } from 'node:console';

// oclif prints through console.log. Jest's own console adds each line's origin, which would
// corrupt the output that runCommand captures (and --json output would no longer parse).
globalThis.console = new Console({ stdout: process.stdout, stderr: process.stderr });
