export { AUTH_CONTEXT, AUTH_MAGIC, EPCConnection, answerChallenge, type ByteChannel, type ConnectionOptions } from './connection.js';
export {
  CHILD_IN_FD,
  CHILD_OUT_FD,
  connectExecutor,
  connectTcp,
  parseHostPort,
  resolveSecret,
  spawnExecutor,
  type ConnectExecutorOptions,
  type ConnectedExecutor,
} from './connect.js';
export {
  BootstrapNames,
  DEFAULT_MAX_MESSAGE_SIZE,
  HEADER_SIZE,
  MessageDecoder,
  Opcode,
  REQUIRED_BOOTSTRAP_SYMBOLS,
  decodeHangup,
  decodeSetup,
  encodeHangup,
  encodeMessage,
  encodeSetup,
  type ExecutorInfo,
  type Message,
} from './protocol.js';
export { RemoteExecutorProcessControl, type RemoteControlOptions } from './remote-control.js';
export { RemoteMemoryManager, layOutSegments, remoteAllocGroup } from './remote-memory-manager.js';
export { SPSReader, SPSWriter, readSPSError, readSPSExpected, writeSPSError, type SPSSource } from './sps.js';
export { RemoteRuntimeServices } from './runtime-services.js';
export { SharedMemoryManager, sharedMemoryPath } from './shared-memory-manager.js';
