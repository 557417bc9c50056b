// `twinguide serve` as a child process on 127.0.0.1 and an ephemeral port, for the browser tests,
// the display bench and the screenshot tool: resolves with its base URL once it listens.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = join(fileURLToPath(new URL('..', import.meta.url)), 'bin/twinguide.js');

export interface ServerChild {
  base: string;
  /** The OpenIGTLink port it listens on. */
  igtlPort: number;
  child: ChildProcess;
  /** SIGTERM, then wait for it to exit (recordings finalised). */
  stop(): Promise<void>;
  /** SIGKILL (kill -9: nothing finalised), then wait for it to exit. */
  kill(): Promise<void>;
  /** What it has printed on stdout so far. */
  output(): string;
}

export async function startServerChild(recordingsDir: string, extraArgs: readonly string[] = []): Promise<ServerChild> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--igtl-port', '0', '--recordings', recordingsDir, '--quiet', ...extraArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const [base, igtlPort] = await new Promise<[string, number]>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)(?:, OpenIGTLink on [\d.]+:(\d+))?/.exec(out);
      if (m) resolve([m[1]!, Number(m[2] ?? -1)]);
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
  return {
    base,
    igtlPort,
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
  };
}
