// Starts the servers under test as child processes: ours (`pubkeeper serve`, the CLI a user runs)
// and the baseline scripts of this folder. Each is a `Server`: a pid to read /proc from, a port,
// a way to force a GC (for memory readings) and to stop.
import { pathToFileURL } from 'node:url';
import { startChild, type Child } from '../children.js';
import { benchKeys, tempDir } from '../keys.js';
import { BIN, distBench, ROOT } from '../paths.js';

export interface Server {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  /** Runs a full GC in the server (where it can) and resolves once it is done. */
  gc(): Promise<void>;
  stop(): Promise<void>;
}

// BENCH_CPU_PROF=<dir> profiles every Node server the suite starts (written when it stops), for
// the profile a missed goal calls for.
const profile = (): string[] => (process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []);
const NODE_FLAGS = (): string[] => ['--expose-gc', ...profile(), '--import', pathToFileURL(distBench('servers/gcOnSignal.js')).href];

function nodeServer(name: string, child: Child, port: number): Server {
  return {
    name,
    pid: child.pid,
    port,
    gc: async () => {
      const done = child.line((line) => line.startsWith('bench:gc'), 10_000);
      child.process.kill('SIGUSR2');
      await done;
    },
    stop: () => child.stop(),
  };
}

/**
 * Our server, as `pubkeeper serve`: port 0 on 127.0.0.1 (the port is read from its "listening"
 * log line), the suite's own keys and data dir, logging at info (lifecycle lines only), and the
 * connection caps raised so that one load generator on one address may open every connection a
 * benchmark needs. `flags` adds or overrides flags (`{ 'max-frame-bytes': '2048' }`).
 */
export async function startPubkeeper(flags: Readonly<Record<string, string>> = {}): Promise<Server> {
  const all: Record<string, string> = {
    host: '127.0.0.1',
    port: '0',
    keys: benchKeys().dir,
    'data-dir': tempDir(),
    'log-level': 'info',
    'max-connections': '100000',
    'max-connections-per-address': '100000',
    ...flags,
  };
  const args = [...NODE_FLAGS(), BIN, 'serve', ...Object.entries(all).flatMap(([k, v]) => [`--${k}`, v])];
  // No PUBKEEPER_* from the shell: the flags above are the whole configuration.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PUBKEEPER_')));
  const child = startChild('pubkeeper', process.execPath, args, { cwd: ROOT, env });
  const line = await child.line((l) => l.includes('"listening on '), 15_000);
  const port = (JSON.parse(line) as { port?: unknown }).port;
  if (typeof port !== 'number') throw new Error(`pubkeeper's listening line has no port: ${line}`);
  return nodeServer('pubkeeper', child, port);
}

export type BaselineScript = 'rawBroadcast' | 'coalescedRaw' | 'rawRelay';

/** One of the baseline ws servers of this folder, announcing `{"listening":port}` on stdout. */
export async function startBaseline(script: BaselineScript): Promise<Server> {
  const child = startChild(script, process.execPath, [...NODE_FLAGS(), distBench(`servers/${script}.js`)], { cwd: ROOT });
  const line = await child.line((l) => l.startsWith('{"listening"'), 10_000);
  const port = (JSON.parse(line) as { listening: number }).listening;
  return nodeServer(script, child, port);
}
