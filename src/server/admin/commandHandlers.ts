import type { Command } from '../../protocol/admin/commands.js';
import { ok, type Result } from '../../protocol/errors.js';
import type { AdminState } from './adminState.js';

/**
 * What each command does. A failed Result is fatal (retrying cannot fix it: the dead-letter store
 * at once); a throw (the state could not be written) is retried. [ADM-CMD-3]
 */
export async function runCommand(command: Command, state: AdminState): Promise<Result<unknown>> {
  switch (command.command) {
    case 'revoke token':
      return ok(await state.revoke(command.payload));
    case 'unrevoke token':
      return ok(await state.unrevoke(command.payload));
    case 'kick client':
      return ok(state.kick(command.payload));
    case 'register static brewer':
      return state.registerStatic(command.payload.topic, command.payload.brewer);
    case 'unregister static brewer':
      return state.unregisterStatic(command.payload.topic, command.payload.brewer);
  }
}
