import type { FastifyRequest } from 'fastify';
import type { AuthStrategy } from './auth/auth-strategy.ts';
import type { ConversationStore } from '../storage/conversation-store.ts';
import { ANSWER_KEEP_ALIVE_MS } from '../storage/cut-answers.ts';
import type { AnswerHub } from './app-api/answer-hub.ts';
import type { ModelRegistry } from './models/model-registry.ts';
import type { ServerMetrics } from './observability/server-metrics.ts';
import type { RunningGenerations } from './scheduling/running-generations.ts';
import type { GenerationStats } from './scheduling/run-generation.ts';

export interface ServerLimits {
  /** Largest accepted request body; larger ones get 413. */
  bodyLimitBytes: number;
  /** The same for an import (`POST /api/conversations/import`): a whole exported history. */
  importBodyLimitBytes: number;
  /** A generation running longer than this (queue wait included) is stopped. */
  requestTimeoutMs: number;
  /** An app answer is saved at least this often while it streams… */
  saveIntervalMs: number;
  /** …and at least every this many tokens. */
  saveEveryTokens: number;
  /**
   * With no new text (a long prompt, a queue), an answer is still saved this often, which tells
   * every server sharing the database that it is alive (src/storage/cut-answers.ts).
   */
  keepAliveMs: number;
  /**
   * How long an app answer keeps generating after its last reader has gone, so a page reload can
   * re-attach; then it stops, marked `disconnected`. 0 stops it at once.
   */
  reattachGraceMs: number;
  /**
   * On shutdown, the longest it may take (`--shutdown-timeout`): running answers finish meanwhile;
   * near its end the stragglers are stopped and saved, then storage and the engine close.
   */
  shutdownGraceMs: number;
  /** Longest a client may take to send a whole request (headers and body); then 408 and the socket closes. */
  receiveTimeoutMs: number;
  /** Longest a client may take to send the request headers. */
  headersTimeoutMs: number;
  /** Wrong API keys one client address may send at once before 429… */
  failedLoginBurst: number;
  /** …then one more every this many milliseconds. */
  failedLoginRefillMs: number;
  /** CSP violations one address may report at once (the endpoint is public)… */
  cspReportBurst: number;
  /** …then one more every this many milliseconds; past it, 429 and nothing counted. */
  cspReportRefillMs: number;
  /** The same, over all addresses together. */
  cspReportGlobalBurst: number;
  cspReportGlobalRefillMs: number;
  /**
   * An app-API reader this many bytes behind the answer (its socket not taking them) is dropped,
   * so one stalled follower neither stalls the others nor fills memory; it may re-attach with
   * Last-Event-ID.
   */
  followerBufferBytes: number;
}

export const defaultServerLimits: ServerLimits = {
  bodyLimitBytes: 1024 * 1024,
  importBodyLimitBytes: 64 * 1024 * 1024,
  requestTimeoutMs: 10 * 60 * 1000,
  saveIntervalMs: 500,
  saveEveryTokens: 32,
  keepAliveMs: ANSWER_KEEP_ALIVE_MS,
  reattachGraceMs: 5000,
  shutdownGraceMs: 10_000,
  // A 64 MiB import at 5 Mbit/s takes about 110 s.
  receiveTimeoutMs: 120_000,
  headersTimeoutMs: 30_000,
  // 10 at once, then 10 a minute: a person who mistypes is never slowed, a guesser is (~550/s before).
  failedLoginBurst: 10,
  failedLoginRefillMs: 6000,
  // A page that really breaks its policy reports a handful; 608 in 2 s was a flood (issue 12).
  cspReportBurst: 30,
  cspReportRefillMs: 2000,
  cspReportGlobalBurst: 300,
  cspReportGlobalRefillMs: 200,
  // Above the largest token an upstream may send (1 MiB, --upstream-max-token-bytes) plus the answer
  // that follows it, so a reader keeping up is never dropped for one large event.
  followerBufferBytes: 4 * 1024 * 1024,
};

/** What each API's plugin is registered with. */
export interface ApiPluginOptions {
  context: ServerContext;
  /** The auth mode's check each API plugin adds, and the session routes (auth-strategy.ts). */
  auth: AuthStrategy;
}

/** What every route group reads: built once in buildApp and passed down, never global. */
export interface ServerContext {
  models: ModelRegistry;
  store: ConversationStore;
  metrics: ServerMetrics;
  /** Every generation running here: stop, delete and the shutdown drain reach them through it. */
  running: RunningGenerations;
  hub: AnswerHub;
  limits: ServerLimits;
  authRequired: boolean;
  /** The conversations a request may see: its account's own under --auth accounts, else all. */
  conversationsFor: (request: FastifyRequest) => ConversationStore;
  /** Admins may read other accounts' conversations (the operator opted in). */
  adminReadsConversations: boolean;
  version: string;
  /** Removes upstream keys from text bound for a client (an upstream error may quote its URL or key). */
  scrubSecrets: (text: string) => string;
  /** The clock for rate limits; tests inject one. */
  now: () => number;
}

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * The first half of a graceful shutdown, before `close()` (graceful-shutdown.ts): refuses new
     * requests with 503, lets running answers finish, stops and saves the rest, all within
     * `limits.shutdownGraceMs`.
     */
    drainGenerations(): Promise<{ finished: number; aborted: number; unsaved: number }>;
  }
  interface FastifyRequest {
    /** Set by generation routes so the request's log line can report tokens and speed. */
    generationStats: GenerationStats | null;
  }
}
