// The public API, the package's `.` entry: embed the server, or talk to one with the SDK (whose
// entry of its own, `pubkeeper/client`, loads none of the server's dependencies).
export { PubkeeperServer, type ServerOptions } from './server/pubkeeperServer.js';
export { startServer, type StartOptions, type StartedServer } from './server/start.js';
export { loadConfig, ConfigError } from './config/load.js';
export { configSchema, type Config } from './config/schema.js';
export * from './client/index.js';
