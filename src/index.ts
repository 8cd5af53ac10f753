// The public API: embed the server, or talk to one with the SDK.
export { PubkeeperServer, type ServerOptions } from './server/pubkeeperServer.js';
export { startServer, type StartOptions, type StartedServer } from './server/start.js';
export { loadConfig, ConfigError } from './config/load.js';
export { configSchema, type Config } from './config/schema.js';
export { PubkeeperClient, PubkeeperRequestError, type BrewerEventArgs, type ConnectOptions } from './client/pubkeeperClient.js';
export { ERROR_CODES, PubkeeperError, type ErrorCode } from './protocol/errors.js';
export { CloseCode } from './protocol/closeCodes.js';
export { Packet, type Brewer } from './protocol/pubkeeper/packets.js';
export { PcpClient, PcpConnectError, PcpRequestError, type PcpClientOptions, type PcpV2Message } from './client/pcpClient.js';
export { MessageType as PcpMessageType, BROKER_URI } from './protocol/pcp/message.js';
