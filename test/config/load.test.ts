import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type ConfigSources } from '../../src/config/load.js';
import { tempDir } from '../helpers/keys.js';

/** The ConfigError loadConfig throws for these sources. */
function refusal(sources: ConfigSources): ConfigError {
  try {
    loadConfig(sources);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('loadConfig accepted the sources');
}

describe('loadConfig errors', () => {
  it('name the setting by the source whose value won the merge, with key and source for programs', () => {
    const file = join(tempDir(), 'config.json');
    writeFileSync(file, JSON.stringify({ maxFrameBytes: 0 }));
    expect(refusal({ file })).toMatchObject({
      key: 'maxFrameBytes',
      source: 'file',
      message: `invalid value for "maxFrameBytes" in config file ${file} (flag --max-frame-bytes, env PUBKEEPER_MAX_FRAME_BYTES): must be above 0`,
    });
    expect(refusal({ file, env: { PUBKEEPER_MAX_FRAME_BYTES: 'lots' } })).toMatchObject({
      source: 'env',
      message: 'invalid value for env PUBKEEPER_MAX_FRAME_BYTES (flag --max-frame-bytes): must be a number',
    });
    expect(refusal({ file, env: { PUBKEEPER_MAX_FRAME_BYTES: 'lots' }, flags: { maxFrameBytes: '1.5' } })).toMatchObject({
      source: 'flag',
      message: 'invalid value for --max-frame-bytes (env PUBKEEPER_MAX_FRAME_BYTES): must be a whole number',
    });
  });

  it('word the common refusals as what to do', () => {
    expect(refusal({ flags: { port: '70000' } }).message).toMatch(/--port .*: must be at most 65535$/);
    expect(refusal({ flags: { host: '' } }).message).toMatch(/--host .*: must not be empty$/);
    expect(refusal({ flags: { relayAllowAnonymous: 'yes' } }).message).toMatch(/--relay-allow-anonymous .*: must be true or false$/);
    expect(refusal({ flags: { cluster: 'http://x' } }).message).toMatch(/--cluster .*: must be a redis:\/\/ URL$/);
  });

  it('name the file that holds an unknown key', () => {
    const file = join(tempDir(), 'config.json');
    writeFileSync(file, JSON.stringify({ prot: 1 }));
    expect(refusal({ file }).message).toBe(`unknown config key "prot" in config file ${file}`);
  });
});
