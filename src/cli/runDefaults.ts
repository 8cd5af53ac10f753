/** `pubkeeper run`'s defaults, apart from run.ts so that help shows them without loading ws. */
export const DEFAULT_RUN_TIMEOUT_MS = 30_000;
export const DEFAULT_RUN_TYPE = 'controller';
