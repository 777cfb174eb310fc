/**
 * Typed HTTP client for the Parley server. Maps answers to WireErrors; an
 * unreachable server becomes SERVER_UNREACHABLE naming the URL. Works with any
 * `fetch` (Node 20's global, browsers).
 */
import {
  base64Encode,
  CLIENT_VERSION_HEADER,
  isWireErrorCode,
  PARLEY_VERSION,
  WireError,
  type BundleResponseJson,
  type PreKeyCount,
  type RegisterResponse,
} from '@parley/wire';

export interface Credentials {
  readonly accountId: string;
  readonly deviceId: number;
  readonly password: Uint8Array;
}

export interface HttpOptions {
  readonly baseUrl: string;
  readonly fetch?: typeof fetch;
  readonly version?: string;
  readonly timeoutMs?: number;
}

type Json = Record<string, unknown>;

function b64(b: Uint8Array): string {
  return base64Encode(b);
}

export class HttpTransport {
  private readonly fetchImpl: typeof fetch;
  readonly baseUrl: string;
  credentials: Credentials | undefined;

  constructor(private readonly opts: HttpOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = opts.fetch ?? globalThis.fetch.bind(globalThis);
  }

  private authHeader(): string {
    const c = this.credentials;
    if (!c) throw new WireError('UNAUTHORIZED', 'this profile has no account; run register first');
    const raw = `${c.accountId}.${c.deviceId}:${b64(c.password)}`;
    return `Basic ${b64(new TextEncoder().encode(raw))}`;
  }

  async request<T>(method: string, path: string, body?: unknown, auth = true): Promise<T> {
    const headers: Record<string, string> = { [CLIENT_VERSION_HEADER]: this.opts.version ?? PARLEY_VERSION };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (auth) headers.authorization = this.authHeader();
    let res: Response;
    try {
      res = await this.fetchImpl(`${this.baseUrl}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 15_000),
      });
    } catch (e) {
      const timeout = (e as Error).name === 'TimeoutError';
      throw new WireError(timeout ? 'TIMEOUT' : 'SERVER_UNREACHABLE', `${timeout ? 'no answer from' : 'cannot reach'} ${this.baseUrl}`);
    }
    const text = await res.text();
    let json: Json | undefined;
    try {
      json = text ? (JSON.parse(text) as Json) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const err = (json?.error ?? {}) as Json;
      const code = isWireErrorCode(err.code) ? err.code : res.status >= 500 ? 'INTERNAL' : 'BAD_REQUEST';
      const { code: _c, message, ...details } = err;
      throw new WireError(code, typeof message === 'string' ? message : `HTTP ${res.status}`, details);
    }
    return json as T;
  }

  register(args: {
    username: string;
    password: Uint8Array;
    registrationId: number;
    identityKey: Uint8Array;
    signedPreKey: { keyId: number; publicKey: Uint8Array; signature: Uint8Array };
    pqLastResortPreKey: { keyId: number; publicKey: Uint8Array; signature: Uint8Array };
  }): Promise<RegisterResponse> {
    return this.request(
      'POST',
      '/v1/accounts',
      {
        username: args.username,
        password: b64(args.password),
        registrationId: args.registrationId,
        identityKey: b64(args.identityKey),
        signedPreKey: { keyId: args.signedPreKey.keyId, publicKey: b64(args.signedPreKey.publicKey), signature: b64(args.signedPreKey.signature) },
        pqLastResortPreKey: {
          keyId: args.pqLastResortPreKey.keyId,
          publicKey: b64(args.pqLastResortPreKey.publicKey),
          signature: b64(args.pqLastResortPreKey.signature),
        },
      },
      false,
    );
  }

  whoami(): Promise<{ accountId: string; deviceId: number; username: string }> {
    return this.request('GET', '/v1/accounts/me');
  }

  uploadKeys(keys: {
    preKeys?: { keyId: number; publicKey: Uint8Array }[];
    pqPreKeys?: { keyId: number; publicKey: Uint8Array; signature: Uint8Array }[];
  }): Promise<PreKeyCount> {
    return this.request('PUT', '/v1/keys', {
      preKeys: keys.preKeys?.map((k) => ({ keyId: k.keyId, publicKey: b64(k.publicKey) })),
      pqPreKeys: keys.pqPreKeys?.map((k) => ({ keyId: k.keyId, publicKey: b64(k.publicKey), signature: b64(k.signature) })),
    });
  }

  preKeyCount(): Promise<PreKeyCount> {
    return this.request('GET', '/v1/keys/count');
  }

  /** Time-limited TURN credentials for relaying calls (NOT_FOUND when the server has none). */
  turnCredentials(): Promise<{ urls: string[]; username: string; credential: string; ttl: number }> {
    return this.request('GET', '/v1/turn');
  }

  fetchBundles(username: string): Promise<BundleResponseJson> {
    return this.request('GET', `/v1/keys/${encodeURIComponent(username)}`);
  }

  sendMessages(username: string, req: OutgoingMessages): Promise<{ serverTimestamp: number }> {
    return this.request('PUT', `/v1/messages/${encodeURIComponent(username)}`, sendBody(req));
  }
}

/** Encrypted copies of one message, one per recipient device. */
export interface OutgoingMessages {
  readonly timestamp: number;
  readonly ephemeral?: boolean;
  readonly messages: ReadonlyArray<{ deviceId: number; registrationId: number; type: 'prekey' | 'whisper'; content: Uint8Array }>;
}

/** The JSON body of a send, as `PUT /v1/messages/:to` and the socket's `send` frame carry it. */
export interface SendBodyJson {
  timestamp: number;
  ephemeral?: true;
  messages: Array<{ deviceId: number; registrationId: number; type: 'prekey' | 'whisper'; content: string }>;
}

export function sendBody(req: OutgoingMessages): SendBodyJson {
  return {
    timestamp: req.timestamp,
    ...(req.ephemeral ? { ephemeral: true as const } : {}),
    messages: req.messages.map((m) => ({ deviceId: m.deviceId, registrationId: m.registrationId, type: m.type, content: b64(m.content) })),
  };
}
