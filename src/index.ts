// The public API: embed the server, or talk to one with the SDK.
export { PubkeeperServer, type ServerOptions } from './server/pubkeeperServer.js';
export { startServer, type StartOptions, type StartedServer } from './server/start.js';
export { loadConfig, ConfigError } from './config/load.js';
export { configSchema, type Config } from './config/schema.js';
export { PubkeeperClient, PubkeeperRequestError, type BrewerEventArgs, type ConnectOptions } from './client/pubkeeperClient.js';
export { ERROR_CODES, PubkeeperError, type ErrorCode } from './protocol/errors.js';
export { CloseCode } from './protocol/closeCodes.js';
export { Packet, type Brewer } from './protocol/pubkeeper/packets.js';
export { PcpClient, PcpConnectError, PcpRequestError, type PcpClientOptions, type PcpV2Message, type InventoryChange } from './client/pcpClient.js';
export { InvalidMessageError, type InvalidMessageCode } from './client/inbound.js';
export { MessageType as PcpMessageType, BROKER_URI } from './protocol/pcp/message.js';
export { DiscoveryClient, DiscoveryClientError, type DiscoveryClientOptions, type DiscoveryClientEvents, type DiscoveryOperation } from './client/discoveryClient.js';
export { type ClientTlsOptions } from './client/tls.js';
export { DEFAULT_RECONCILE_SETTLE_MS } from './client/settleWindow.js';
export { pubkeeperTransport, pcpTransport, TokenRefusedError, type DiscoveryTransport, type TransportSession, type SessionHandlers, type TransportOptions, type PcpTransportOptions } from './client/transports.js';
export { DEFAULT_BACKOFF, fullJitterDelay, closePolicy, seededRandom, type BackoffOptions, type ClosePolicy, type RandomSource } from './client/backoff.js';
export { DEFAULT_REFRESH, type TokenProvider, type TokenRequest, type TokenReason, type RefreshOptions } from './client/tokenRefresh.js';
