/**
 * Targets for @parley/wire's decoders, on both sides of the client-server protocol:
 * what the server reads from any client (HTTP bodies, query strings, headers,
 * WebSocket frames), and what a client reads from a server it does not trust
 * (answers, frames, Content-Range, group-update envelopes). Each runs the bytes
 * the way its caller does (text through `decodeJson`, as the server's readBody
 * and socket handler and the client's socket do); the typed rejection is WireError.
 */
import querystring from 'fast-querystring';
import {
  accountLookupResponse,
  accountResponse,
  attachmentUploadResponse,
  bundleResponse,
  byteRange,
  channelKeyResponse,
  checkClientVersion,
  chunkQuery,
  clientFrame,
  contentRange,
  createAttachmentRequest,
  createGroupRequest,
  decodeJson,
  changePasswordRequest,
  deviceListResponse,
  deviceSessionsResponse,
  groupListResponse,
  groupResponse,
  groupSendRequest,
  groupUpdateEvent,
  LIMITS,
  MAX_SEALED_SEND_FRAME_BYTES,
  leaveGroupResponse,
  linkDeviceRequest,
  linkTokenResponse,
  multiRecipientQuery,
  openChannelRequest,
  openChannelResponse,
  preKeyCountResponse,
  profileResponse,
  provisioningMessageRequest,
  registerRequest,
  sealedSendRequest,
  sendRequest,
  sendResponse,
  deliveryCertificateResponse,
  serverFrame,
  setProfileRequest,
  turnCredentialsResponse,
  unidentifiedClientFrame,
  unidentifiedServerFrame,
  updateGroupRequest,
  uploadKeysRequest,
  WireError,
  type Decoder,
} from '@parley/wire';
import type { Target } from '../lib/target.ts';

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const isWireError = (e: unknown) => e instanceof WireError;

function json(name: string, what: string, decoder: Decoder<unknown>, maxLength = Number.POSITIVE_INFINITY): Target {
  return { name, what, format: 'json', typed: isWireError, setup: () => (b) => decodeJson(text(b), decoder, maxLength) };
}

/** The server's side: bodies and frames from any client, authenticated or not. */
export const serverTargets: Target[] = [
  json('server.register-request', 'POST /v1/accounts body (unauthenticated)', registerRequest),
  json('server.upload-keys-request', 'PUT /v1/keys body', uploadKeysRequest),
  json('server.send-request', 'PUT /v1/messages/:username body', sendRequest),
  json('server.sealed-send-request', 'PUT /v1/messages/:username body of a sealed send (no credentials: anyone may send it)', sealedSendRequest),
  json('server.create-group-request', 'POST /v1/groups body', createGroupRequest),
  json('server.update-group-request', 'PATCH /v1/groups/:groupId body', updateGroupRequest),
  json('server.group-send-request', 'PUT /v1/groups/:groupId/messages body', groupSendRequest),
  json('server.link-device-request', 'POST /v1/devices body (a link token is the only credential)', linkDeviceRequest),
  json('server.change-password-request', 'PUT /v1/devices/password body', changePasswordRequest),
  json('server.open-channel-request', 'POST /v1/provisioning body (unauthenticated)', openChannelRequest),
  json('server.provisioning-message-request', 'PUT /v1/provisioning/:channelId body', provisioningMessageRequest),
  json('server.create-attachment-request', 'POST /v1/attachments body', createAttachmentRequest),
  json('server.set-profile-request', 'PUT /v1/profile body (a sealed profile name and picture, its version and access key)', setProfileRequest),
  {
    name: 'server.websocket-frame',
    what: 'a client frame on /v1/websocket (auth, ack, send, group-send), as the socket handler reads it, with the auth frame\'s version check',
    format: 'json',
    typed: isWireError,
    setup: () => (b) => {
      const frame = decodeJson(text(b), clientFrame, LIMITS.maxClientFrameBytes);
      if (frame.type === 'auth') checkClientVersion(frame.version, '0.1.0');
    },
  },
  // Anyone may open the unidentified socket: no account, no credentials.
  json('server.unidentified-frame', 'a client frame on /v1/websocket/unidentified (sealed-send: recipient, access key, sealed body), as the socket handler reads it', unidentifiedClientFrame, MAX_SEALED_SEND_FRAME_BYTES),
  {
    name: 'server.multi-recipient-query',
    what: 'PUT /v1/messages/multi-recipient query string (the sealed group send\'s timestamp), through Fastify\'s parser (fast-querystring)',
    format: 'text',
    typed: isWireError,
    setup: () => (b) => multiRecipientQuery(querystring.parse(text(b)), 'query'),
  },
  {
    name: 'server.chunk-query',
    what: 'PUT /v1/attachments/:id query string, through Fastify\'s parser (fast-querystring)',
    format: 'text',
    typed: isWireError,
    setup: () => (b) => chunkQuery(querystring.parse(text(b)), 'query'),
  },
  {
    name: 'server.range-header',
    what: 'the Range header of an attachment download (unauthenticated)',
    format: 'text',
    typed: isWireError,
    setup: () => (b) => byteRange(text(b), 'Range'),
  },
  {
    name: 'server.version-header',
    what: 'X-Parley-Version on every request (UPGRADE_REQUIRED below the minimum)',
    format: 'text',
    typed: isWireError,
    setup: () => (b) => checkClientVersion(text(b), '0.1.0'),
  },
];

/** The client's side: what a server (maybe hostile) answers and pushes. */
export const clientWireTargets: Target[] = [
  // The client's socket bounds frames at 4 MiB (transport/socket.ts).
  json('client.server-frame', 'a server frame on the client\'s socket (envelope, sent, send-failed, error, ...)', serverFrame, 4 * 1024 * 1024),
  // The unidentified socket bounds frames at 64 KiB (transport/unidentified-socket.ts).
  json('client.unidentified-server-frame', 'a server frame on the client\'s unidentified socket (sent, send-failed, ping, error; never an envelope)', unidentifiedServerFrame, 64 * 1024),
  json('client.account-response', 'answer to register / whoami / link', accountResponse),
  json('client.account-lookup-response', 'answer to a username lookup', accountLookupResponse),
  json('client.bundle-response', 'a prekey bundle answer (keys of every device of a peer)', bundleResponse),
  json('client.prekey-count-response', 'answer to GET /v1/keys', preKeyCountResponse),
  json('client.send-response', 'answer to a send', sendResponse),
  json('client.certificate-response', 'answer to GET /v1/certificate/delivery (our sender certificate and the trust root)', deliveryCertificateResponse),
  json('client.group-response', 'a group as the server keeps it', groupResponse),
  json('client.group-list-response', 'GET /v1/groups answer', groupListResponse),
  json('client.leave-group-response', 'answer to leaving a group', leaveGroupResponse),
  json('client.group-update-event', 'the JSON inside a server-written group-update envelope', groupUpdateEvent),
  json('client.link-token-response', 'answer to POST /v1/devices/link-token', linkTokenResponse),
  json('client.device-list-response', 'GET /v1/devices answer', deviceListResponse),
  json('client.device-sessions-response', 'GET /v1/devices/sessions answer', deviceSessionsResponse),
  json('client.open-channel-response', 'answer to opening a provisioning channel', openChannelResponse),
  json('client.channel-key-response', 'a provisioning channel\'s public key', channelKeyResponse),
  json('client.provisioning-message-response', 'the sealed provisioning message as the server hands it over', provisioningMessageRequest),
  json('client.turn-credentials-response', 'GET /v1/turn answer', turnCredentialsResponse),
  json('client.profile-response', 'a sealed profile as GET /v1/profile/:username/:version answers it', profileResponse),
  json('client.attachment-upload-response', 'an upload\'s state (after every chunk)', attachmentUploadResponse),
  {
    name: 'client.content-range-header',
    what: 'the Content-Range of a 206 attachment answer',
    format: 'text',
    typed: isWireError,
    setup: () => (b) => contentRange(text(b), 'Content-Range'),
  },
];
