// The SDK's public API, the package's `pubkeeper/client` entry: the clients, their options, events
// and errors, and the protocol values a caller needs. It loads `ws` and the protocol codecs (zod)
// and nothing of the server (no prom-client, jsonwebtoken, pino or ioredis): test/integration/package.test.ts.
export { PubkeeperClient, PubkeeperRequestError, type BrewerEventArgs, type ClientEvents, type ConnectOptions } from './pubkeeperClient.js';
export { PcpClient, PcpConnectError, PcpRequestError, type PcpClientEvents, type PcpClientOptions, type PcpV2Message, type InventoryChange } from './pcpClient.js';
export { InvalidMessageError, type InvalidMessageCode } from './inbound.js';
export { DiscoveryClient, DiscoveryClientError, type DiscoveryClientOptions, type DiscoveryClientEvents, type DiscoveryOperation } from './discoveryClient.js';
export { type ClientTlsOptions } from './tls.js';
export { DEFAULT_RECONCILE_SETTLE_MS } from './settleWindow.js';
export { pubkeeperTransport, pcpTransport, TokenRefusedError, type DiscoveryTransport, type TransportSession, type SessionHandlers, type TransportOptions, type PcpTransportOptions } from './transports.js';
export { DEFAULT_BACKOFF, fullJitterDelay, closePolicy, seededRandom, type BackoffOptions, type ClosePolicy, type RandomSource } from './backoff.js';
export { DEFAULT_REFRESH, type TokenProvider, type TokenRequest, type TokenReason, type RefreshOptions } from './tokenRefresh.js';
export { ERROR_CODES, PubkeeperError, type ErrorCode } from '../protocol/errors.js';
export { CloseCode } from '../protocol/closeCodes.js';
export { Packet, type Brewer } from '../protocol/pubkeeper/packets.js';
export { MessageType as PcpMessageType, BROKER_URI } from '../protocol/pcp/message.js';
export { PxpAgent, type PxpAgentOptions, type PxpAgentEvents, type PxpAction, type PxpActionContext } from './pxpAgent.js';
export {
  PxpController,
  PxpJob,
  PxpError,
  PxpRpcError,
  PxpNotConnectedError,
  PxpUnauthorizedError,
  PxpTimeoutError,
  PxpClosedError,
  type PxpControllerOptions,
  type PxpControllerEvents,
  type PxpCallOptions,
  type PxpStartOptions,
  type PxpOutcome,
} from './pxpController.js';
export { PxpType, CANCELLED, STATUS_MODULE, STATUS_ACTION, type PxpMessageType, type StatusQueryResults, type TransactionStatus } from '../protocol/pxp/messages.js';
