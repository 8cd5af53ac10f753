// Pattern compiling and matching live in protocol/ so the SDK (which may not import the core)
// matches topics with the very same code as the server.
export * from '../../protocol/topicPattern.js';
