import { PubkeeperError } from '../protocol/errors.js';
import type { Logger } from './logger.js';

/**
 * What a throw while handling one frame becomes, for every dialect. JSON nested thousands of
 * levels deep parses fine but overflows the stack where the server walks it (canonical form,
 * encoding); that is bad input, answered "Invalid payload", and it throws before any state
 * changes. Anything else is a bug: logged with its stack, answered "Internal error".
 */
export function unexpectedError(err: unknown, log: Logger): PubkeeperError {
  if (err instanceof RangeError && /call stack/i.test(err.message)) {
    log.debug('payload nested too deeply');
    return new PubkeeperError('INVALID_PAYLOAD', 'nested too deeply');
  }
  log.error({ err }, 'unexpected error handling a frame');
  return new PubkeeperError('INTERNAL');
}
