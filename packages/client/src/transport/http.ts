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
  attachmentUploadResponse,
  type AttachmentUpload,
  contentRange,
  int,
  LIMITS,
  nestedDeeperThan,
  base64Encode,
  bundleResponse,
  channelKeyResponse,
  CLIENT_VERSION_HEADER,
  type Decoder,
  deviceId,
  deviceListResponse,
  deviceSessionsResponse,
  type DeviceSessionsResponse,
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
  profileResponse,
  type ProfileResponse,
  PROVISIONING_TOKEN_HEADER,
  provisioningMessageResponse,
  sendResponse,
  str,
  turnCredentialsResponse,
  noticesResponse,
  type NoticesResponse,
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
const errorDetails = object(
  {},
  { missingDevices: array(deviceId, 6), extraDevices: array(deviceId, 6), staleDevices: array(deviceId, 6), requiredVersion: str(32), committed: int(0, LIMITS.attachmentSizeCap), size: int(0, LIMITS.attachmentSizeCap) },
);
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

  private authHeader(c = this.credentials): string {
    if (!c) throw new WireError('UNAUTHORIZED', 'this profile has no account; run register first');
    const raw = `${c.accountId}.${c.deviceId}:${b64(c.password)}`;
    return `Basic ${b64(new TextEncoder().encode(raw))}`;
  }

  /**
   * One request. `decode` checks the answer (a 204 or empty body reaches it as undefined).
   * `auth`: false for unauthenticated endpoints; extra headers in `headers`.
   */
  async request<T>(
    method: string,
    path: string,
    body: unknown,
    decode: Decoder<T>,
    opts: { auth?: boolean; credentials?: Credentials; headers?: Record<string, string>; timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<T> {
    const headers: Record<string, string> = { [CLIENT_VERSION_HEADER]: this.opts.version ?? PARLEY_VERSION, ...opts.headers };
    // Bytes go as they are (attachment chunks); anything else as JSON.
    const raw = body instanceof Uint8Array;
    if (body !== undefined) headers['content-type'] = raw ? 'application/octet-stream' : 'application/json';
    if (opts.auth !== false) headers.authorization = this.authHeader(opts.credentials);
    let res: Response;
    let text: string;
    try {
      res = await this.fetchImpl(`${this.baseUrl}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: raw ? (body as BodyInit) : JSON.stringify(body) }),
        signal: this.signal(opts.timeoutMs, opts.signal),
      });
      text = await res.text();
    } catch (e) {
      throw this.networkError(e, opts.signal);
    }
    let json: unknown;
    try {
      // A deeply nested answer is not parsed at all (JSON.parse would stall on it; see LIMITS.maxJsonDepth).
      json = text && text.length <= MAX_ANSWER_CHARS && !nestedDeeperThan(text, LIMITS.maxJsonDepth) ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) throw this.errorFrom(res, json);
    try {
      return decode(res.status === 204 ? undefined : json, 'answer');
    } catch (e) {
      // Why: an answer that does not decode is the server's fault, never acted on.
      throw new WireError('INTERNAL', `the server at ${this.baseUrl} answered ${method} ${path.split('?')[0]} with something unexpected (${(e as Error).message})`);
    }
  }

  private signal(timeoutMs: number | undefined, signal: AbortSignal | undefined): AbortSignal {
    const timeout = AbortSignal.timeout(timeoutMs ?? this.opts.timeoutMs ?? 15_000);
    return signal ? AbortSignal.any([timeout, signal]) : timeout;
  }

  /** A failed fetch as the WireError a caller acts on (or the caller's own abort, as is). */
  private networkError(e: unknown, signal: AbortSignal | undefined): unknown {
    if (signal?.aborted) return signal.reason;
    const timeout = (e as Error).name === 'TimeoutError';
    return new WireError(timeout ? 'TIMEOUT' : 'SERVER_UNREACHABLE', `${timeout ? 'no answer from' : 'cannot reach'} ${this.baseUrl}`);
  }

  /** An error answer as a WireError with only the details a client acts on. */
  private errorFrom(res: Response, json: unknown): WireError {
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
    return new WireError(code, message, details);
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

  /** The account the credentials (by default this transport's) belong to; UNAUTHORIZED if they are refused. */
  whoami(credentials?: Credentials): Promise<AccountResponse> {
    return this.request('GET', '/v1/accounts/me', undefined, accountResponse, credentials ? { credentials } : {});
  }

  lookup(username: string): Promise<{ accountId: string; username: string }> {
    return this.request('GET', `/v1/accounts/username/${encodeURIComponent(username)}`, undefined, accountLookupResponse);
  }

  // ---- profiles

  /** Replaces our profile on the server (sealed name and picture, the version, the access key). */
  setProfile(p: { version: string; name: Uint8Array; avatar?: Uint8Array | undefined; accessKey: Uint8Array }): Promise<void> {
    return this.request('PUT', '/v1/profile', { version: p.version, name: b64(p.name), accessKey: b64(p.accessKey), ...(p.avatar ? { avatar: b64(p.avatar) } : {}) }, nothing);
  }

  /** `username`'s sealed profile at `version`; UNKNOWN_USER if that is not their current version (or no such user). */
  profile(username: string, version: string): Promise<ProfileResponse> {
    return this.request('GET', `/v1/profile/${encodeURIComponent(username)}/${encodeURIComponent(version)}`, undefined, profileResponse);
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

  /** The operator's signed notices for this account and the features the server switched off. */
  notices(): Promise<NoticesResponse> {
    return this.request('GET', '/v1/notices', undefined, noticesResponse);
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

  // ---- attachments

  /** Reserves an upload of exactly `size` bytes of ciphertext. */
  createAttachment(size: number, signal?: AbortSignal): Promise<AttachmentUpload> {
    return this.request('POST', '/v1/attachments', { size }, attachmentUploadResponse, signal ? { signal } : {});
  }

  /** Where an upload stands (how much the server has committed). */
  attachmentUpload(id: string, signal?: AbortSignal): Promise<AttachmentUpload> {
    return this.request('GET', `/v1/attachments/${encodeURIComponent(id)}/upload`, undefined, attachmentUploadResponse, signal ? { signal } : {});
  }

  /** One chunk at `offset` (what the server has committed); CONFLICT with `committed` otherwise. */
  putAttachmentChunk(id: string, offset: number, chunk: Uint8Array, signal?: AbortSignal): Promise<AttachmentUpload> {
    return this.request('PUT', `/v1/attachments/${encodeURIComponent(id)}?offset=${offset}`, chunk, attachmentUploadResponse, { timeoutMs: 120_000, ...(signal ? { signal } : {}) });
  }

  /**
   * Starts downloading an attachment's ciphertext from byte `from` (no credentials: the id
   * is the capability). Answers where the body starts, the blob's whole size and the body
   * stream; the caller reads it (`idleMs` without a byte aborts it) or cancels it.
   */
  async downloadAttachment(
    id: string,
    from: number,
    opts: { signal?: AbortSignal; idleMs?: number } = {},
  ): Promise<{ start: number; total: number; body: AsyncIterable<Uint8Array>; cancel(): Promise<void> }> {
    const headers: Record<string, string> = { [CLIENT_VERSION_HEADER]: this.opts.version ?? PARLEY_VERSION };
    if (from > 0) headers.range = `bytes=${from}-`;
    const abort = new AbortController();
    const idleMs = opts.idleMs ?? 30_000;
    let timer = setTimeout(() => abort.abort(new WireError('TIMEOUT', `no data from ${this.baseUrl} for ${idleMs / 1000} s`)), idleMs);
    const signal = opts.signal ? AbortSignal.any([abort.signal, opts.signal]) : abort.signal;
    let res: Response;
    try {
      res = await this.fetchImpl(`${this.baseUrl}/v1/attachments/${encodeURIComponent(id)}`, { headers, signal });
    } catch (e) {
      clearTimeout(timer);
      if (abort.signal.aborted) throw abort.signal.reason;
      throw this.networkError(e, opts.signal);
    }
    if (!res.ok || !res.body) {
      clearTimeout(timer);
      let json: unknown;
      try {
        const text = await res.text();
        json = text.length <= MAX_ANSWER_CHARS && !nestedDeeperThan(text, LIMITS.maxJsonDepth) ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      throw this.errorFrom(res, json);
    }
    let start = 0;
    let total: number;
    try {
      if (res.status === 206) {
        const r = contentRange(res.headers.get('content-range') ?? undefined, 'Content-Range');
        start = r.start;
        total = r.size;
        if (r.end !== total - 1) throw new Error('a range that stops before the end');
      } else {
        total = int(0, LIMITS.attachmentSizeCap)(Number(res.headers.get('content-length') ?? 'x'), 'Content-Length');
      }
    } catch (e) {
      clearTimeout(timer);
      await res.body.cancel().catch(() => undefined);
      throw new WireError('INTERNAL', `the server at ${this.baseUrl} answered a download with unexpected headers (${(e as Error).message})`);
    }
    const reader = res.body.getReader();
    const baseUrl = this.baseUrl;
    const body: AsyncIterable<Uint8Array> = {
      async *[Symbol.asyncIterator]() {
        try {
          for (;;) {
            let step: ReadableStreamReadResult<Uint8Array>;
            try {
              step = await reader.read();
            } catch (e) {
              if (abort.signal.aborted) throw abort.signal.reason;
              if (opts.signal?.aborted) throw opts.signal.reason;
              throw new WireError('SERVER_UNREACHABLE', `the download from ${baseUrl} broke off (${(e as Error).message})`);
            }
            if (step.done) return;
            clearTimeout(timer);
            timer = setTimeout(() => abort.abort(new WireError('TIMEOUT', `no data from ${baseUrl} for ${idleMs / 1000} s`)), idleMs);
            yield step.value;
          }
        } finally {
          clearTimeout(timer);
          await reader.cancel().catch(() => undefined);
        }
      },
    };
    return {
      start,
      total,
      body,
      cancel: async () => {
        clearTimeout(timer);
        await reader.cancel().catch(() => undefined);
      },
    };
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

  /** Sets this device's password (authenticated with the current one); every connection made with the old one closes. */
  changePassword(password: Uint8Array): Promise<void> {
    return this.request('PUT', '/v1/devices/password', { password: b64(password) }, nothing);
  }

  /** The open connections of this account's devices (on every server node). */
  deviceSessions(): Promise<DeviceSessionsResponse['sessions']> {
    return this.request('GET', '/v1/devices/sessions', undefined, deviceSessionsResponse).then((r) => r.sessions);
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
