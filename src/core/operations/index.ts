import { authenticate } from './authenticate.js';
import { connectPcp } from './connectPcp.js';
import { inventoryRequest } from './inventoryRequest.js';
import { registerBrewer } from './registerBrewer.js';
import { registerPatron } from './registerPatron.js';
import { route } from './route.js';
import { subscribe } from './subscribe.js';
import { unregisterBrewer } from './unregisterBrewer.js';
import { unregisterPatron } from './unregisterPatron.js';
import { unsubscribe } from './unsubscribe.js';

/**
 * Every operation a client can ask for, shared by every dialect. Each is a short list of steps
 * (validate, authorize, limit, apply, reply) in a file of its own and returns a Result; the
 * dialects decide how a result is answered on their wire. Dialects call them through this table.
 */
export const operations = {
  authenticate,
  registerBrewer,
  unregisterBrewer,
  subscribe,
  unsubscribe,
  registerPatron,
  unregisterPatron,
  connectPcp,
  route,
  inventoryRequest,
};
