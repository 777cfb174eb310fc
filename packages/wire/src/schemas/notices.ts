/**
 * Security notices and the feature kill switch. A notice ("update now") is signed
 * offline by the operator with an Ed25519 key; the server only hands it out, so a
 * server or network that forges or alters one is caught by every client. The kill
 * switch is plain server configuration: features a client must stop offering.
 */
import { array, bytes, int, object, oneOf, str } from '../decode.ts';

/** What the kill switch can turn off, for every client of a server. */
export const FEATURES = ['calls', 'video-calls', 'attachments'] as const;
export type Feature = (typeof FEATURES)[number];

/** Signed bytes are this context (UTF-8) followed by the payload, so no other Parley signature can pass as a notice. */
export const SECURITY_NOTICE_CONTEXT = 'parley-security-notice-v1';
/** Notices handed out at once, at most. */
export const MAX_NOTICES = 20;

export const signedNotice = object({ payload: bytes(1, 4096), signature: bytes(64, 64) });
export type SignedNotice = ReturnType<typeof signedNotice>;

/** `GET /v1/notices`: the operator's public key (when configured), the notices for this account, what is switched off. */
export const noticesResponse = object(
  { disabledFeatures: array(oneOf(...FEATURES), FEATURES.length), notices: array(signedNotice, MAX_NOTICES) },
  { publicKey: bytes(32, 32) },
);
export type NoticesResponse = ReturnType<typeof noticesResponse>;

/** The signed payload (JSON). `to` is usernames, or `["*"]` for everyone. */
export const noticePayload = object(
  {
    v: int(1, 1),
    id: str(64, /^[A-Za-z0-9._-]{1,64}$/),
    issuedAt: int(0, Number.MAX_SAFE_INTEGER),
    expiresAt: int(0, Number.MAX_SAFE_INTEGER),
    to: array(str(32, /^(\*|[a-z][a-z0-9_]{2,31})$/), 1000, 1),
    title: str(200),
    body: str(2000),
  },
  { minVersion: str(32, /^\d+\.\d+\.\d+$/) },
);
export type NoticePayload = ReturnType<typeof noticePayload>;

/** The operator's notices file (`--notices-file`), written by `npm run notice`. */
export const noticesFile = object({ publicKey: bytes(32, 32), notices: array(signedNotice, 1000) });
export type NoticesFile = ReturnType<typeof noticesFile>;
