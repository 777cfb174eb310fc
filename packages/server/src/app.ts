/**
 * The Parley server: `buildApp(config, deps)` wires storage, delivery and HTTP
 * routes; `listen` is separate so tests can use `app.inject()` or a real port.
 * Every /v1 request is authenticated (except registration) and version-checked;
 * every body goes through one strict decoder from @parley/wire.
 */
import { createHmac, randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { WebSocketServer, type WebSocket } from 'ws';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import {
  base64Decode,
  base64Encode,
  checkClientVersion,
  CLIENT_VERSION_HEADER,
  clientFrame,
  decodeJson,
  ERROR_TABLE,
  LIMITS,
  registerRequest,
  sendRequest,
  uploadKeysRequest,
  USERNAME_PATTERN,
  WireError,
  type BundleResponseJson,
  type RegisterResponse,
  type SendFailedFrame,
  type SendRequest,
} from '@parley/wire';
import { hashPassword, passwordMatches } from './credentials.ts';
import { DeliveryHub, newConnection, type Connection } from './delivery.ts';
import { RateLimiter } from './rate-limit.ts';
import { CSP, StaticSite } from './static.ts';
import type { EnqueueItem, MessageQueue, NewEnvelope, Storage } from './storage/storage.ts';

export interface AppConfig {
  /** Directory of the built web app to serve at `/` (none: API only). */
  readonly webRoot?: string | undefined;
  readonly minClientVersion: string;
  readonly bundleFetchesPerMinute: number;
  /** Defaults: LIMITS.maxBodyBytes, LIMITS.maxQueuedPerDevice. */
  readonly maxBodyBytes?: number;
  readonly maxQueuedPerDevice?: number;
  readonly logLevel: string;
  readonly turnUrls?: readonly string[];
  readonly turnSecret?: string | undefined;
  /** WebSocket ping interval (default LIMITS.pingIntervalMs); a socket that misses one pong is closed. */
  readonly pingIntervalMs?: number;
}

export interface AppDeps {
  readonly storage: Storage;
  readonly serverSecret: Uint8Array;
  readonly now?: () => number;
}

interface Authed {
  accountId: string;
  deviceId: number;
  username: string;
}

export interface ParleyApp {
  readonly app: FastifyInstance;
  readonly hub: DeliveryHub;
  close(): Promise<void>;
}

/**
 * Group commit: enqueues that arrive in the same turn of the event loop share one
 * durable transaction (one fsync), and each sender hears OK only after it.
 */
class EnqueueBatcher {
  private pending: Array<{ item: EnqueueItem; resolve: (ids: number[]) => void; reject: (e: unknown) => void }> = [];
  private scheduled = false;

  constructor(private readonly queue: MessageQueue) {}

  /** Resolves with the envelopes' ids once the batch holding them is committed. */
  add(item: EnqueueItem): Promise<number[]> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    this.scheduled = false;
    this.queue.enqueueBatch(batch.map((b) => b.item)).then(
      (ids) => batch.forEach((b, n) => b.resolve(ids[n]!)),
      (e: unknown) => batch.forEach((b) => b.reject(e)),
    );
  }
}

export async function buildApp(config: AppConfig, deps: AppDeps): Promise<ParleyApp> {
  const now = deps.now ?? Date.now;
  const maxBody = config.maxBodyBytes ?? LIMITS.maxBodyBytes;
  const maxQueued = config.maxQueuedPerDevice ?? LIMITS.maxQueuedPerDevice;
  const { storage, serverSecret } = deps;
  const app = Fastify({
    logger: {
      level: config.logLevel,
      // Why: credentials and ciphertext never reach logs.
      redact: ['req.headers.authorization'],
    },
    bodyLimit: maxBody,
  });

  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const sent = new Counter({ name: 'parley_messages_accepted_total', help: 'envelopes accepted for delivery', labelNames: ['transport'], registers: [registry] });
  const delivered = new Counter({ name: 'parley_envelopes_acknowledged_total', help: 'envelopes acknowledged by devices', registers: [registry] });
  const errors = new Counter({ name: 'parley_errors_total', help: 'requests answered with an error', labelNames: ['code'], registers: [registry] });
  const hub = new DeliveryHub(storage, now, () => delivered.inc(), (err) => app.log.error({ err }, 'delivery failed'));
  new Gauge({ name: 'parley_websockets', help: 'open authenticated WebSockets', registers: [registry], collect() { this.set(hub.size); } });

  const batcher = new EnqueueBatcher(storage);
  const bundleByRequester = new RateLimiter(config.bundleFetchesPerMinute, 60_000, now);
  const bundleByTarget = new RateLimiter(config.bundleFetchesPerMinute * 3, 60_000, now);
  const ephemeralSweep = setInterval(() => {
    storage.dropExpiredEphemeral(now() - LIMITS.ephemeralTtlMs).catch((err: unknown) => app.log.error({ err }, 'ephemeral sweep failed'));
  }, 30_000);
  ephemeralSweep.unref();

  // Bodies are parsed by our strict decoders, not Fastify's JSON parser.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, _body, done) =>
    done(new WireError('BAD_REQUEST', 'send JSON with Content-Type: application/json'), undefined),
  );

  app.setErrorHandler((err: unknown, req, reply) => {
    let we: WireError;
    if (err instanceof WireError) we = err;
    else {
      const code = (err as { code?: string }).code;
      const status = (err as { statusCode?: number }).statusCode;
      if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') we = new WireError('PAYLOAD_TOO_LARGE', `body larger than ${maxBody} bytes`);
      else if (status && status < 500) we = new WireError('BAD_REQUEST', (err as Error).message);
      else {
        req.log.error({ err }, 'unhandled error');
        we = new WireError('INTERNAL', 'internal error');
      }
    }
    errors.inc({ code: we.code });
    void reply.status(we.status).send(we.toBody());
  });
  const site = config.webRoot ? new StaticSite(config.webRoot) : undefined;
  app.setNotFoundHandler((req, reply) => {
    if (site && (req.method === 'GET' || req.method === 'HEAD') && !req.url.startsWith('/v1/')) {
      const f = site.get(req.url);
      void reply
        .header('content-type', f.type)
        .header('content-security-policy', CSP)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .header('cache-control', f.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
        .send(f.body);
      return;
    }
    void reply.status(404).send(new WireError('NOT_FOUND', 'no such endpoint').toBody());
  });

  app.addHook('onRequest', async (req) => {
    if (!req.url.startsWith('/v1/')) return;
    const v = req.headers[CLIENT_VERSION_HEADER];
    checkClientVersion(typeof v === 'string' ? v : undefined, config.minClientVersion);
  });

  async function authenticate(req: FastifyRequest): Promise<Authed> {
    const h = req.headers.authorization;
    const m = typeof h === 'string' ? /^Basic ([A-Za-z0-9+/=]{1,200})$/.exec(h) : null;
    if (!m) throw new WireError('UNAUTHORIZED', 'missing or malformed credentials');
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const cm = /^([0-9a-f-]{36})\.(\d{1,3}):([A-Za-z0-9+/=]{44})$/.exec(decoded);
    if (!cm) throw new WireError('UNAUTHORIZED', 'malformed credentials');
    return check(cm[1]!, Number(cm[2]), base64Decode(cm[3]!));
  }

  async function check(accountId: string, deviceId: number, password: Uint8Array): Promise<Authed> {
    const device = await storage.device(accountId, deviceId);
    const account = device ? await storage.accountById(accountId) : undefined;
    if (!device || !account || !passwordMatches(serverSecret, password, device.passwordHash)) {
      throw new WireError('UNAUTHORIZED', 'unknown device or wrong password');
    }
    return { accountId, deviceId, username: account.username };
  }

  function body<T>(req: FastifyRequest, decoder: (v: unknown, p: string) => T): T {
    if (typeof req.body !== 'string') throw new WireError('BAD_REQUEST', 'a JSON body is required');
    return decodeJson(req.body, decoder, maxBody);
  }

  function normalizedUsername(raw: string): string {
    const u = raw.toLowerCase();
    if (!USERNAME_PATTERN.test(u)) throw new WireError('UNKNOWN_USER', `no user named ${JSON.stringify(raw.slice(0, 40))}`);
    return u;
  }

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/metrics', async (_req, reply) => {
    void reply.header('content-type', registry.contentType);
    return registry.metrics();
  });

  app.post('/v1/accounts', async (req, reply: FastifyReply) => {
    const r = body(req, registerRequest);
    const accountId = randomUUID();
    const ok = await storage.createAccount(
      { id: accountId, username: r.username, identityKey: r.identityKey },
      { accountId, deviceId: 1, registrationId: r.registrationId, passwordHash: hashPassword(serverSecret, r.password) },
      { signedPreKey: r.signedPreKey, pqLastResort: r.pqLastResortPreKey },
      now(),
    );
    if (!ok) throw new WireError('USERNAME_TAKEN', `the username ${r.username} is taken`);
    const res: RegisterResponse = { accountId, deviceId: 1, username: r.username };
    return reply.status(201).send(res);
  });

  app.get('/v1/accounts/me', async (req) => {
    const a = await authenticate(req);
    return { accountId: a.accountId, deviceId: a.deviceId, username: a.username };
  });

  // TURN REST credentials (coturn `use-auth-secret`): username "<expiry>:<account>",
  // password base64(HMAC-SHA1(secret, username)); valid for an hour.
  app.get('/v1/turn', async (req) => {
    const a = await authenticate(req);
    if (!config.turnSecret || !config.turnUrls?.length) throw new WireError('NOT_FOUND', 'this server has no TURN relay configured');
    const ttl = 3600;
    const username = `${Math.floor(now() / 1000) + ttl}:${a.accountId}`;
    const credential = createHmac('sha1', config.turnSecret).update(username).digest('base64');
    return { urls: config.turnUrls, username, credential, ttl };
  });

  app.put('/v1/keys', async (req) => {
    const a = await authenticate(req);
    const k = body(req, uploadKeysRequest);
    await storage.storeKeys(a.accountId, a.deviceId, {
      preKeys: k.preKeys,
      pqPreKeys: k.pqPreKeys,
      signedPreKey: k.signedPreKey,
      pqLastResort: k.pqLastResortPreKey,
    });
    return storage.preKeyCounts(a.accountId, a.deviceId);
  });

  app.get('/v1/keys/count', async (req) => {
    const a = await authenticate(req);
    return storage.preKeyCounts(a.accountId, a.deviceId);
  });

  app.get<{ Params: { username: string } }>('/v1/keys/:username', async (req) => {
    const a = await authenticate(req);
    const target = await storage.accountByUsername(normalizedUsername(req.params.username));
    if (!target) throw new WireError('UNKNOWN_USER', `no user named ${req.params.username}`);
    // Why: one-time prekeys are a finite resource; draining them weakens every new session.
    if (!bundleByRequester.take(a.accountId) || !bundleByTarget.take(target.id)) {
      throw new WireError('RATE_LIMITED', 'too many prekey bundle requests');
    }
    const devices = [];
    for (const d of await storage.devices(target.id)) {
      const keys = await storage.takeDeviceKeys(target.id, d.deviceId);
      if (keys) devices.push(keys);
    }
    const res: BundleResponseJson = {
      accountId: target.id,
      username: target.username,
      identityKey: base64Encode(target.identityKey),
      devices: devices.map((d) => ({
        deviceId: d.deviceId,
        registrationId: d.registrationId,
        signedPreKey: { keyId: d.signedPreKey.keyId, publicKey: base64Encode(d.signedPreKey.publicKey), signature: base64Encode(d.signedPreKey.signature) },
        pqPreKey: { keyId: d.pqPreKey.keyId, publicKey: base64Encode(d.pqPreKey.publicKey), signature: base64Encode(d.pqPreKey.signature) },
        ...(d.preKey ? { preKey: { keyId: d.preKey.keyId, publicKey: base64Encode(d.preKey.publicKey) } } : {}),
      })),
    };
    return res;
  });

  /**
   * One send, over HTTP or the socket: checks the device list, stores the envelopes
   * durably, then wakes the recipient's connections. Resolves once stored.
   */
  async function acceptSend(a: Authed, toUsername: string, s: SendRequest, via: 'http' | 'ws'): Promise<{ serverTimestamp: number }> {
    const target = await storage.accountByUsername(normalizedUsername(toUsername));
    if (!target) throw new WireError('UNKNOWN_USER', `no user named ${toUsername.slice(0, 40)}`);
    const devices = (await storage.devices(target.id)).filter((d) => !(target.id === a.accountId && d.deviceId === a.deviceId));
    const want = new Set(devices.map((d) => d.deviceId));
    const got = new Set(s.messages.map((m) => m.deviceId));
    if (got.size !== s.messages.length) throw new WireError('BAD_REQUEST', 'a device appears twice');
    const missing = [...want].filter((d) => !got.has(d));
    const extra = [...got].filter((d) => !want.has(d));
    if (missing.length || extra.length) {
      throw new WireError('MISMATCHED_DEVICES', 'the device list does not match the recipient\'s devices', { missingDevices: missing, extraDevices: extra });
    }
    const stale = s.messages.filter((m) => devices.find((d) => d.deviceId === m.deviceId)!.registrationId !== m.registrationId).map((m) => m.deviceId);
    if (stale.length) throw new WireError('STALE_DEVICES', 'some devices were re-registered', { staleDevices: stale });
    const full = await storage.fullQueues([target.id], maxQueued);
    if (full.some((f) => got.has(f.deviceId))) throw new WireError('RATE_LIMITED', 'the recipient has too many undelivered messages');
    const serverTimestamp = now();
    // Why: committed (synchronous=FULL) before the sender hears OK, so nothing acknowledged is lost.
    const envelopes: NewEnvelope[] = s.messages.map((m) => ({
      destinationAccountId: target.id,
      destinationDeviceId: m.deviceId,
      sourceAccountId: a.accountId,
      sourceUsername: a.username,
      sourceDeviceId: a.deviceId,
      timestamp: s.timestamp,
      serverTimestamp,
      messageType: m.type,
      content: m.content,
      ephemeral: s.ephemeral ?? false,
    }));
    const ids = await batcher.add({ envelopes });
    sent.inc({ transport: via }, s.messages.length);
    envelopes.forEach((e, i) => hub.notify(target.id, e.destinationDeviceId, [{ ...e, id: ids[i]! }]));
    return { serverTimestamp };
  }

  app.put<{ Params: { username: string } }>('/v1/messages/:username', async (req) => {
    const a = await authenticate(req);
    return acceptSend(a, req.params.username, body(req, sendRequest), 'http');
  });

  // ---- WebSocket: authenticate with the first frame, then receive envelopes and send acks.
  const wss = new WebSocketServer({ noServer: true, maxPayload: LIMITS.maxClientFrameBytes });
  app.server.on('upgrade', (req, socket, head) => {
    if ((req.url ?? '').split('?')[0] !== '/v1/websocket') {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => onSocket(ws));
  });

  function closeWith(ws: WebSocket, e: WireError): void {
    ws.send(JSON.stringify({ type: 'error', code: e.code, message: e.describe(), ...e.details }));
    ws.close(ERROR_TABLE[e.code].wsClose, e.code);
  }

  /** Sends in progress per socket; bounded so one socket cannot queue unbounded work. */
  const sendsInFlight = new WeakMap<WebSocket, number>();

  function onSend(ws: WebSocket, a: Authed, requestId: number, to: string, request: SendRequest): void {
    const n = sendsInFlight.get(ws) ?? 0;
    const answer = (frame: object) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
    };
    const refuse = (e: WireError) => {
      errors.inc({ code: e.code });
      const f: SendFailedFrame = { type: 'send-failed', requestId, code: e.code, message: e.message };
      // Only the device lists a client acts on (the frame's decoder allows nothing else).
      for (const k of ['missingDevices', 'extraDevices', 'staleDevices'] as const) {
        const list = e.details[k];
        if (Array.isArray(list)) f[k] = list as number[];
      }
      answer(f);
    };
    if (n >= LIMITS.maxSendsInFlightPerSocket) {
      refuse(new WireError('RATE_LIMITED', `more than ${LIMITS.maxSendsInFlightPerSocket} sends in progress on this connection`));
      return;
    }
    sendsInFlight.set(ws, n + 1);
    acceptSend(a, to, request, 'ws').then(
      (r) => answer({ type: 'sent', requestId, serverTimestamp: r.serverTimestamp }),
      (e: unknown) => {
        if (!(e instanceof WireError)) app.log.error({ err: e }, 'send over websocket failed');
        refuse(e instanceof WireError ? e : new WireError('INTERNAL', 'internal error'));
      },
    ).finally(() => sendsInFlight.set(ws, (sendsInFlight.get(ws) ?? 1) - 1));
  }

  function onSocket(ws: WebSocket): void {
    let conn: Connection | undefined;
    let authed: Authed | undefined;
    let authenticating = false;
    // Frames are handled in arrival order; while the auth frame's check is in progress, later frames wait for it.
    let chain: Promise<void> = Promise.resolve();
    const authTimer = setTimeout(() => closeWith(ws, new WireError('UNAUTHORIZED', 'no authentication frame in time')), LIMITS.authTimeoutMs);
    // Heartbeat: a peer that has not answered the previous ping is gone (its network
    // died without a close); dropping it returns its unacknowledged envelopes to the queue.
    let answered = true;
    ws.on('pong', () => (answered = true));
    const ping = setInterval(() => {
      if (!answered) {
        ws.terminate();
        return;
      }
      answered = false;
      ws.ping();
      if (conn) ws.send('{"type":"ping"}');
    }, config.pingIntervalMs ?? LIMITS.pingIntervalMs);
    ws.on('message', (data, isBinary) => {
      chain = chain.then(() => onFrame(data, isBinary));
    });
    const onFrame = async (data: WebSocket.RawData, isBinary: boolean): Promise<void> => {
      if (ws.readyState !== ws.OPEN) return;
      try {
        if (isBinary) throw new WireError('BAD_REQUEST', 'frames are JSON text');
        // Why: only an authenticated device may make the server hold large frames.
        const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : (data as Buffer | ArrayBuffer).byteLength;
        if (!conn && size > LIMITS.maxPreAuthFrameBytes) throw new WireError('PAYLOAD_TOO_LARGE', `authenticate before sending frames over ${LIMITS.maxPreAuthFrameBytes} bytes`);
        const frame = decodeJson(data.toString(), clientFrame, LIMITS.maxClientFrameBytes);
        if (frame.type === 'auth') {
          if (conn || authenticating) throw new WireError('BAD_REQUEST', 'already authenticated');
          checkClientVersion(frame.version, config.minClientVersion);
          authenticating = true;
          const a = await check(frame.accountId, frame.deviceId, frame.password);
          if (ws.readyState !== ws.OPEN) return;
          clearTimeout(authTimer);
          authed = a;
          conn = newConnection(ws, a.accountId, a.deviceId);
          ws.send(JSON.stringify({ type: 'ready' }));
          hub.add(conn);
        } else if (frame.type === 'send') {
          if (!authed) throw new WireError('UNAUTHORIZED', 'authenticate first');
          onSend(ws, authed, frame.requestId, frame.to, frame.request);
        } else if (frame.type === 'group-send') {
          throw new WireError('BAD_REQUEST', 'this server does not carry group messages yet');
        } else {
          if (!conn) throw new WireError('UNAUTHORIZED', 'authenticate first');
          hub.ack(conn, frame.id);
        }
      } catch (e) {
        const we = e instanceof WireError ? e : new WireError('INTERNAL', 'internal error');
        if (!(e instanceof WireError)) app.log.error({ err: e }, 'websocket handler failed');
        errors.inc({ code: we.code });
        closeWith(ws, we);
      }
    };
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      clearTimeout(authTimer);
      clearInterval(ping);
      if (conn) hub.remove(conn);
    });
  }

  return {
    app,
    hub,
    async close() {
      clearInterval(ephemeralSweep);
      for (const c of wss.clients) c.terminate();
      wss.close();
      await app.close();
      await storage.close();
    },
  };
}
