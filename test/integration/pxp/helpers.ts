import type { InvalidMessageError } from '../../../src/client/inbound.js';
import { PxpAgent, type PxpAgentOptions } from '../../../src/client/pxpAgent.js';
import { PxpController, type PxpControllerOptions } from '../../../src/client/pxpController.js';
import { nextEvent } from '../../helpers/nextEvent.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

export const AGENT = 'pcp://node-1/agent';
export const CONTROLLER = 'pcp://ops/controller';

/** A server, an SDK agent `pcp://node-1/agent` and an SDK controller `pcp://ops/controller`. */
export async function pxpPair(
  agentOptions: PxpAgentOptions = {},
  controllerOptions: PxpControllerOptions = {},
): Promise<{ t: TestServer; agent: PxpAgent; controller: PxpController }> {
  const t = await startTestServer();
  const agent = new PxpAgent(await t.pcp('node-1', ['send:pcp://*/controller']), agentOptions);
  const controller = new PxpController(await t.pcp('ops', ['send:pcp://*/agent'], { type: 'controller' }), controllerOptions);
  return { t, agent, controller };
}

/** A promise with its resolve exposed: an action waits on it, the test releases it. */
export function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

/** The next 'invalid' report of an agent or a controller. */
export function nextInvalid(emitter: PxpAgent | PxpController, pred: (e: InvalidMessageError) => boolean = () => true): Promise<InvalidMessageError> {
  return nextEvent<InvalidMessageError>(emitter, 'invalid', pred, 5000, "'invalid' report");
}
