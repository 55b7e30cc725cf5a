/**
 * A transport that asks who the caller is for every request it delivers. Streamable HTTP
 * authenticates each HTTP request; stdio has no requests of its own, so a long-running
 * `tollgate mcp` would otherwise act for ever as the key it started with, revoked or not.
 * Requests are delivered in the order they arrived, each with the caller as `extra.authInfo`.
 */
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import { isJSONRPCRequest, type JSONRPCMessage, type MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js';
import { isGatewayError } from '../../core/errors.js';
import type { Principal } from '../../policy/types.js';
import { authInfoFor } from './auth-info.js';
import { toolErrorResult } from './tool-errors.js';

/** The caller as of now; throws (a GatewayError saying why) once it may no longer call. */
export type CallerLookup = () => Promise<Principal>;

/** Requests that act for no one: the handshake and liveness checks. */
const UNAUTHENTICATED_METHODS = new Set(['initialize', 'ping']);
const SERVER_ERROR = -32000;

export class CallerTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;
  private delivered: Promise<void> = Promise.resolve();

  constructor(
    private readonly inner: Transport,
    private readonly caller: CallerLookup,
  ) {}

  get sessionId(): string | undefined {
    return this.inner.sessionId;
  }

  async start(): Promise<void> {
    this.inner.onclose = () => this.onclose?.();
    this.inner.onerror = (error) => this.onerror?.(error);
    this.inner.onmessage = (message, extra) => {
      this.delivered = this.delivered.then(() => this.receive(message, extra)).catch((error: unknown) => this.onerror?.(error as Error));
    };
    await this.inner.start();
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    return this.inner.send(message, options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private async receive(message: JSONRPCMessage, extra: MessageExtraInfo | undefined): Promise<void> {
    if (!isJSONRPCRequest(message) || UNAUTHENTICATED_METHODS.has(message.method)) {
      this.onmessage?.(message, extra);
      return;
    }
    let principal: Principal;
    try {
      principal = await this.caller();
    } catch (error) {
      // Never handed to the server: a request without a caller must not run as anyone.
      const refusal: JSONRPCMessage =
        message.method === 'tools/call'
          ? { jsonrpc: '2.0', id: message.id, result: toolErrorResult(error) }
          : { jsonrpc: '2.0', id: message.id, error: { code: SERVER_ERROR, message: isGatewayError(error) ? error.message : 'The caller could not be authenticated.' } };
      await this.inner.send(refusal);
      return;
    }
    this.onmessage?.(message, { ...extra, authInfo: authInfoFor(principal) });
  }
}
