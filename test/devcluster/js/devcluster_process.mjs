// The real switchyard-devcluster binary for the JavaScript client tests:
// started on a free port with TLS and a bearer token, stopped on exit (also
// when a test fails or the process is killed by a signal).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// Generous: other builds may share the machine's two cores.
const READY_TIMEOUT_MS = 60000;
// ctest's SKIP_RETURN_CODE for these tests.
export const SKIP_EXIT_CODE = 77;

const here = dirname(fileURLToPath(import.meta.url));
const clientDir = join(here, '..', '..', 'clients', 'js');

// The pinned @kubernetes/client-node from test/clients/js (scripts/install-deps
// runs `npm ci` there). Without it the tests skip with a message.
export async function loadClient() {
  if (!existsSync(join(clientDir, 'node_modules', '@kubernetes', 'client-node'))) {
    console.log(`SKIP: ${clientDir}/node_modules is absent; run scripts/install-deps (npm ci there) first`);
    process.exit(SKIP_EXIT_CODE);
  }
  const require = createRequire(join(clientDir, 'package.json'));
  return import(pathToFileURL(require.resolve('@kubernetes/client-node')).href);
}

const running = new Set();
function killAll() {
  for (const server of running) server.child.kill('SIGTERM');
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killAll();
    process.exit(1);
  });
}

export class Devcluster {
  constructor(binary, extraArgs = []) {
    this.binary = binary;
    this.extraArgs = extraArgs;
    this.token = randomBytes(16).toString('hex');
  }

  async start() {
    this.directory = mkdtempSync(join(tmpdir(), 'devcluster-js-'));
    this.kubeconfig = join(this.directory, 'kubeconfig');
    const args = ['--listen', '127.0.0.1:0', '--tls', '--token', this.token, '--kubeconfig-out', this.kubeconfig,
      '--context-name', 'js-test', ...this.extraArgs];
    this.child = spawn(this.binary, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    running.add(this);
    this.exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.url = await new Promise((resolve, reject) => {
      let buffered = '';
      const timer = setTimeout(() => reject(new Error('switchyard-devcluster printed no `ready <url>` line')),
        READY_TIMEOUT_MS);
      this.child.stdout.on('data', (chunk) => {
        buffered += chunk.toString();
        const newline = buffered.indexOf('\n');
        if (newline < 0) return;
        clearTimeout(timer);
        const line = buffered.slice(0, newline).trim();
        if (line.startsWith('ready ')) resolve(line.slice('ready '.length));
        else reject(new Error(`unexpected first line from switchyard-devcluster: ${line}`));
      });
      this.child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`switchyard-devcluster exited (${code}) before it was ready`));
      });
    });
    return this;
  }

  async stop() {
    if (!this.child) return;
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      await this.exited;
    }
    running.delete(this);
    rmSync(this.directory, { recursive: true, force: true });
    this.child = undefined;
  }
}

export function binaryFromArgv() {
  const binary = process.argv[2];
  if (!binary || !existsSync(binary)) {
    console.error(`usage: node ${process.argv[1]} /path/to/switchyard-devcluster`);
    process.exit(2);
  }
  return binary;
}

export const sourceDir = join(here, '..', '..', '..');

// Resolves once `condition()` is truthy; rejects naming `what` after `timeoutMs`.
export async function waitFor(condition, what, timeoutMs = 60000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
