/**
 * Typed HTTP client for the Parley server. Every answer goes through the strict
 * decoder @parley/wire has for it (the server is untrusted input too); errors
 * become WireErrors with only the details a client acts on; an unreachable server
 * becomes SERVER_UNREACHABLE naming the URL. Works with any `fetch` (Node 20's
 * global, browsers).
 */
import {
  accountLookupResponse,
  accountResponse,
  array,
  base64Encode,
  bundleResponse,
  channelKeyResponse,
  CLIENT_VERSION_HEADER,
  type Decoder,
  deviceId,
  deviceListResponse,
  groupListResponse,
  groupResponse,
  invalid,
  isWireErrorCode,
  leaveGroupResponse,
  linkTokenResponse,
  object,
  openChannelResponse,
  PARLEY_VERSION,
  preKeyCountResponse,
  PROVISIONING_TOKEN_HEADER,
  provisioningMessageResponse,
  sendResponse,
  str,
  turnCredentialsResponse,
  WireError,
  type AccountResponse,
  type BundleResponse,
  type GroupResponse,
  type PreKeyCount,
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

const b64 = base64Encode;
const MAX_ANSWER_CHARS = 4 * 1024 * 1024;

/** The only details of an error body a client acts on. */
const errorDetails = object({}, { missingDevices: array(deviceId, 6), extraDevices: array(deviceId, 6), staleDevices: array(deviceId, 6), requiredVersion: str(32) });
const nothing: Decoder<undefined> = (v, p) => (v === undefined ? undefined : invalid(p, 'expected no body'));

interface SignedKeyBytes {
  keyId: number;
  publicKey: Uint8Array;
  signature: Uint8Array;
}
const signed = (k: SignedKeyBytes) => ({ keyId: k.keyId, publicKey: b64(k.publicKey), signature: b64(k.signature) });

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

  /**
   * One request. `decode` checks the answer (a 204 or empty body reaches it as undefined).
   * `auth`: false for unauthenticated endpoints; extra headers in `headers`.
   */
  async request<T>(method: string, path: string, body: unknown, decode: Decoder<T>, opts: { auth?: boolean; headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<T> {
    const headers: Record<string, string> = { [CLIENT_VERSION_HEADER]: this.opts.version ?? PARLEY_VERSION, ...opts.headers };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (opts.auth !== false) headers.authorization = this.authHeader();
    let res: Response;
    let text: string;
    try {
      res = await this.fetchImpl(`${this.baseUrl}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(opts.timeoutMs ?? this.opts.timeoutMs ?? 15_000),
      });
      text = await res.text();
    } catch (e) {
      const timeout = (e as Error).name === 'TimeoutError';
      throw new WireError(timeout ? 'TIMEOUT' : 'SERVER_UNREACHABLE', `${timeout ? 'no answer from' : 'cannot reach'} ${this.baseUrl}`);
    }
    let json: unknown;
    try {
      json = text && text.length <= MAX_ANSWER_CHARS ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const err = typeof json === 'object' && json !== null ? (json as { error?: unknown }).error : undefined;
      const e = (typeof err === 'object' && err !== null ? err : {}) as Record<string, unknown>;
      const code = isWireErrorCode(e.code) ? e.code : res.status >= 500 ? 'INTERNAL' : 'BAD_REQUEST';
      const message = typeof e.message === 'string' ? e.message.slice(0, 1000) : `HTTP ${res.status}`;
      const { code: _c, message: _m, ...rest } = e;
      let details: Record<string, unknown> = {};
      try {
        details = { ...errorDetails(rest, 'error') };
      } catch {
        details = {};
      }
      throw new WireError(code, message, details);
    }
    try {
      return decode(res.status === 204 ? undefined : json, 'answer');
    } catch (e) {
      // Why: an answer that does not decode is the server's fault, never acted on.
      throw new WireError('INTERNAL', `the server at ${this.baseUrl} answered ${method} ${path.split('?')[0]} with something unexpected (${(e as Error).message})`);
    }
  }

  // ---- accounts

  register(args: { username: string; password: Uint8Array; registrationId: number; identityKey: Uint8Array; signedPreKey: SignedKeyBytes; pqLastResortPreKey: SignedKeyBytes }): Promise<AccountResponse> {
    const body = {
      username: args.username,
      password: b64(args.password),
      registrationId: args.registrationId,
      identityKey: b64(args.identityKey),
      signedPreKey: signed(args.signedPreKey),
      pqLastResortPreKey: signed(args.pqLastResortPreKey),
    };
    return this.request('POST', '/v1/accounts', body, accountResponse, { auth: false });
  }

  whoami(): Promise<AccountResponse> {
    return this.request('GET', '/v1/accounts/me', undefined, accountResponse);
  }

  lookup(username: string): Promise<{ accountId: string; username: string }> {
    return this.request('GET', `/v1/accounts/username/${encodeURIComponent(username)}`, undefined, accountLookupResponse);
  }

  // ---- keys

  uploadKeys(keys: { preKeys?: { keyId: number; publicKey: Uint8Array }[]; pqPreKeys?: SignedKeyBytes[] }): Promise<PreKeyCount> {
    return this.request(
      'PUT',
      '/v1/keys',
      { preKeys: keys.preKeys?.map((k) => ({ keyId: k.keyId, publicKey: b64(k.publicKey) })), pqPreKeys: keys.pqPreKeys?.map(signed) },
      preKeyCountResponse,
    );
  }

  preKeyCount(): Promise<PreKeyCount> {
    return this.request('GET', '/v1/keys/count', undefined, preKeyCountResponse);
  }

  fetchBundles(username: string): Promise<BundleResponse> {
    return this.request('GET', `/v1/keys/${encodeURIComponent(username)}`, undefined, bundleResponse);
  }

  // ---- messages

  sendMessages(username: string, req: OutgoingMessages): Promise<{ serverTimestamp: number }> {
    return this.request('PUT', `/v1/messages/${encodeURIComponent(username)}`, sendBody(req), sendResponse);
  }

  // ---- calls

  /** Time-limited TURN credentials for relaying calls; undefined when the server has no relay (204). */
  turnCredentials(): Promise<{ urls: readonly string[]; username: string; credential: string; ttl: number } | undefined> {
    const maybe: Decoder<ReturnType<typeof turnCredentialsResponse> | undefined> = (v, p) => (v === undefined ? undefined : turnCredentialsResponse(v, p));
    return this.request('GET', '/v1/turn', undefined, maybe);
  }

  // ---- groups

  createGroup(groupId: string, encryptedAttributes: Uint8Array, members: readonly string[]): Promise<GroupResponse> {
    return this.request('POST', '/v1/groups', { groupId, encryptedAttributes: b64(encryptedAttributes), members }, groupResponse);
  }

  groups(): Promise<readonly GroupResponse[]> {
    return this.request('GET', '/v1/groups', undefined, groupListResponse).then((r) => r.groups);
  }

  group(groupId: string): Promise<GroupResponse> {
    return this.request('GET', `/v1/groups/${groupId}`, undefined, groupResponse);
  }

  updateGroup(
    groupId: string,
    change: { expectedRevision?: number; addMembers?: readonly string[]; removeMembers?: readonly string[]; promote?: readonly string[]; demote?: readonly string[]; encryptedAttributes?: Uint8Array },
  ): Promise<GroupResponse> {
    const { encryptedAttributes, ...rest } = change;
    return this.request('PATCH', `/v1/groups/${groupId}`, { ...rest, ...(encryptedAttributes ? { encryptedAttributes: b64(encryptedAttributes) } : {}) }, groupResponse);
  }

  leaveGroup(groupId: string): Promise<{ revision: number }> {
    return this.request('POST', `/v1/groups/${groupId}/leave`, undefined, leaveGroupResponse);
  }

  sendGroupMessage(groupId: string, req: GroupOutgoing): Promise<{ serverTimestamp: number }> {
    return this.request('PUT', `/v1/groups/${groupId}/messages`, groupSendBody(req), sendResponse);
  }

  // ---- devices and provisioning

  linkToken(): Promise<{ linkToken: Uint8Array; expiresAt: number }> {
    return this.request('POST', '/v1/devices/link-token', undefined, linkTokenResponse);
  }

  linkDevice(args: { linkToken: Uint8Array; password: Uint8Array; registrationId: number; signedPreKey: SignedKeyBytes; pqLastResortPreKey: SignedKeyBytes; encryptedName?: Uint8Array }): Promise<AccountResponse> {
    const body = {
      linkToken: b64(args.linkToken),
      password: b64(args.password),
      registrationId: args.registrationId,
      signedPreKey: signed(args.signedPreKey),
      pqLastResortPreKey: signed(args.pqLastResortPreKey),
      ...(args.encryptedName ? { encryptedName: b64(args.encryptedName) } : {}),
    };
    return this.request('POST', '/v1/devices', body, accountResponse, { auth: false });
  }

  devices(): Promise<ReturnType<typeof deviceListResponse>['devices']> {
    return this.request('GET', '/v1/devices', undefined, deviceListResponse).then((r) => r.devices);
  }

  unlinkDevice(id: number): Promise<void> {
    return this.request('DELETE', `/v1/devices/${id}`, undefined, nothing);
  }

  openProvisioningChannel(publicKey: Uint8Array): Promise<{ channelId: string; readToken: Uint8Array; expiresAt: number }> {
    return this.request('POST', '/v1/provisioning', { publicKey: b64(publicKey) }, openChannelResponse, { auth: false });
  }

  provisioningKey(channelId: string): Promise<Uint8Array> {
    return this.request('GET', `/v1/provisioning/${channelId}`, undefined, channelKeyResponse).then((r) => r.publicKey);
  }

  sendProvisioningMessage(channelId: string, message: Uint8Array): Promise<void> {
    return this.request('PUT', `/v1/provisioning/${channelId}`, { message: b64(message) }, nothing);
  }

  /** Waits (the server holds the request up to 25 s) for the provisioning message; undefined if none yet. */
  pollProvisioningMessage(channelId: string, readToken: Uint8Array): Promise<Uint8Array | undefined> {
    const maybe: Decoder<Uint8Array | undefined> = (v, p) => (v === undefined ? undefined : provisioningMessageResponse(v, p).message);
    return this.request('GET', `/v1/provisioning/${channelId}/message`, undefined, maybe, { auth: false, headers: { [PROVISIONING_TOKEN_HEADER]: b64(readToken) }, timeoutMs: 40_000 });
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

/** One Sender Key message for every member device named in `recipients`. */
export interface GroupOutgoing {
  readonly timestamp: number;
  readonly ephemeral?: boolean;
  readonly content: Uint8Array;
  readonly recipients: ReadonlyArray<{ accountId: string; devices: ReadonlyArray<{ deviceId: number; registrationId: number }> }>;
}

export interface GroupSendBodyJson {
  timestamp: number;
  ephemeral?: true;
  content: string;
  recipients: Array<{ accountId: string; devices: Array<{ deviceId: number; registrationId: number }> }>;
}

export function groupSendBody(req: GroupOutgoing): GroupSendBodyJson {
  return {
    timestamp: req.timestamp,
    ...(req.ephemeral ? { ephemeral: true as const } : {}),
    content: b64(req.content),
    recipients: req.recipients.map((r) => ({ accountId: r.accountId, devices: r.devices.map((d) => ({ deviceId: d.deviceId, registrationId: d.registrationId })) })),
  };
}
