import type { Command } from '../../protocol/admin/commands.js';
import { ok, type Result } from '../../protocol/errors.js';
import type { AdminState } from './adminState.js';

/**
 * What each command does. A failed Result is fatal (retrying cannot fix it: the dead-letter store
 * at once); a storage error thrown (the state could not be written) is retried. [ADM-CMD-3]
 * A command the state already records as applied (a crash came before its outcome was written)
 * is not applied again.
 */
export async function runCommand(command: Command, uuid: string, state: AdminState): Promise<Result<unknown>> {
  if (state.applied(uuid)) return ok({ appliedBeforeRestart: true });
  switch (command.command) {
    case 'revoke token':
      return ok(await state.revoke(command.payload, uuid));
    case 'unrevoke token':
      return ok(await state.unrevoke(command.payload, uuid));
    case 'kick client':
      // Nothing is kept: run again after a crash, it kicks again, which is harmless.
      return ok(state.kick(command.payload));
    case 'register static brewer':
      return state.registerStatic(command.payload.topic, command.payload.brewer, uuid);
    case 'unregister static brewer':
      return state.unregisterStatic(command.payload.topic, command.payload.brewer, uuid);
  }
}
