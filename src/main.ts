/** The package's programmatic entry: start a server in-process (tests, embedding), optionally with a logger built here. */
export { startServer, type RunningServer } from './server.js';
export { loadConfig, DEFAULTS, type Config } from './config.js';
export { buildApp } from './api/app.js';
export { createLogger, type PinoLogger } from './log.js';
