import { buildInfo } from '../server/buildInfo.js';

/** This package's version, as `pubkeeper_build_info` reports it (one search for package.json). */
export function packageVersion(): string {
  return buildInfo().version;
}
