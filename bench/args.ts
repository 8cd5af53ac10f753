// The suite's command line: `--quick`, `--only <name>[,<name>…]` (repeatable), `--help`.

export interface SuiteArgs {
  readonly quick: boolean;
  /** Benchmarks to run; empty means all. */
  readonly only: readonly string[];
  readonly help: boolean;
}

export function parseArgs(argv: readonly string[], known: readonly string[]): SuiteArgs {
  let quick = false;
  let help = false;
  const only: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--quick') quick = true;
    else if (arg === '--help' || arg === '-h') help = true;
    else if (arg === '--only' || arg.startsWith('--only=')) {
      const value = arg === '--only' ? argv[++i] : arg.slice('--only='.length);
      if (!value) throw new Error('--only needs a benchmark name');
      only.push(...value.split(',').filter((v) => v !== ''));
    } else throw new Error(`unknown argument "${arg}"`);
  }
  for (const name of only) {
    if (!known.includes(name)) throw new Error(`unknown benchmark "${name}": use one of ${known.join(', ')}`);
  }
  return { quick, only, help };
}
