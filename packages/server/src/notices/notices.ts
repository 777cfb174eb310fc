/**
 * Security notices and the feature kill switch (`GET /v1/notices`). The server
 * hands each account the operator's signed notices addressed to it or to everyone,
 * with the operator's public key, and the features switched off by configuration.
 * It never signs: the key that signs stays with the operator (`npm run notice`), so a
 * server that forges or alters a notice is caught by the clients, which pin the key.
 */
import { readFileSync } from 'node:fs';
import type { FastifyPluginAsync } from 'fastify';
import { decodeJson, MAX_NOTICES, noticePayload, noticesFile, type Feature, type NoticesFile, type SignedNotice } from '@parley/wire';
import type { Authenticator } from '../auth/auth.ts';

export interface NoticesOptions {
  readonly auth: Authenticator;
  readonly now: () => number;
  readonly notices?: NoticesFile | undefined;
  readonly disabledFeatures: readonly Feature[];
}

/** Reads and checks an operator's notices file; a bad one stops the server with what to do. */
export function loadNoticesFile(path: string): NoticesFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read the notices file ${path}: ${(e as Error).message}; create it with npm run notice -- sign`);
  }
  try {
    return decodeJson(text, noticesFile, 16 * 1024 * 1024);
  } catch (e) {
    throw new Error(`the notices file ${path} is not valid (${(e as Error).message}); write it only with npm run notice`);
  }
}

interface Addressed {
  readonly notice: SignedNotice;
  readonly to: ReadonlySet<string>;
  readonly expiresAt: number;
  readonly issuedAt: number;
}

/** Who each notice is for (read once; its signature is the clients' to check). */
function address(file: NoticesFile | undefined): Addressed[] {
  const out: Addressed[] = [];
  for (const notice of file?.notices ?? []) {
    try {
      const p = decodeJson(new TextDecoder().decode(notice.payload), noticePayload, 4096);
      out.push({ notice, to: new Set(p.to), expiresAt: p.expiresAt, issuedAt: p.issuedAt });
    } catch {
      // A payload that does not decode is handed to nobody (clients would reject it too).
    }
  }
  return out.sort((a, b) => b.issuedAt - a.issuedAt);
}

export const noticesPlugin: FastifyPluginAsync<NoticesOptions> = async (app, { auth, now, notices, disabledFeatures }) => {
  const addressed = address(notices);
  app.get('/v1/notices', async (req) => {
    const a = await auth.request(req);
    const t = now();
    const mine = addressed.filter((n) => n.expiresAt > t && (n.to.has('*') || n.to.has(a.username))).slice(0, MAX_NOTICES);
    return {
      disabledFeatures,
      notices: mine.map((n) => ({ payload: Buffer.from(n.notice.payload).toString('base64'), signature: Buffer.from(n.notice.signature).toString('base64') })),
      ...(notices ? { publicKey: Buffer.from(notices.publicKey).toString('base64') } : {}),
    };
  });
};
