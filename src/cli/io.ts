/** Where the CLI writes; passed in so tests and embedders capture it (no console in src/). */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
}
