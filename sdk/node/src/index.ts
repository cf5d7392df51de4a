// The Pontoon SDK for TypeScript: the watcher API (getInput, done, fail), the context, and the
// handler form (serve for one execution per process, invoke for a warm replica's many).
export { Contract, ContractError, ENV, type Env, type Streams } from './contract.js';
export { Context, type ContextInit } from './context.js';
export { Logger } from './logger.js';
export { invoke, serve, type Handler, type Outcome, type Parse, type ServeOptions } from './handler.js';
export { context, done, fail, getInput, getInputAsJson } from './watcher.js';
