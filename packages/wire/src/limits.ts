/** Every bound on network input, in one place (documented in docs/LIMITS.md). */
export const LIMITS = {
  /** HTTP request bodies: a message to 10 devices of 64 KiB each, base64, fits. */
  maxBodyBytes: 1024 * 1024,
  /** WebSocket frames from clients: auth and acks are small; a `send` frame carries what an HTTP send body may. */
  maxClientFrameBytes: 1024 * 1024 + 1024,
  /** Before it has authenticated, a socket may send only frames this small (an auth frame is ~200 bytes). */
  maxPreAuthFrameBytes: 16 * 1024,
  /** Sends a socket may have in progress at once; more are refused with RATE_LIMITED. */
  maxSendsInFlightPerSocket: 64,
  /**
   * Nesting of arrays and objects in JSON text (every schema is at most 7 deep). Checked
   * before JSON.parse, whose time grows faster than the text when it is deeply nested:
   * a 1 MiB body of 500,000 nested arrays took it 0.7 s (found by fuzzing).
   */
  maxJsonDepth: 32,
  /** One encrypted message body (ciphertext), before base64. */
  maxMessageBytes: 64 * 1024,
  /** One sealed-sender message: a message body plus the seal (keys, MACs, the sender certificate of at most 4 KiB). */
  maxSealedMessageBytes: 64 * 1024 + 8 * 1024,
  /** A sender certificate as the server issues it (libsignal's bound on a certificate). */
  maxSenderCertificateBytes: 4096,
  /** Devices per account (Signal allows 6 linked devices). */
  maxDevicesPerAccount: 6,
  /** Prekeys per upload. */
  maxPreKeysPerUpload: 200,
  /** Envelopes pushed to a device before it must acknowledge some. */
  maxUnackedEnvelopes: 200,
  /** Envelopes kept queued per device; past this the sender gets RATE_LIMITED. */
  maxQueuedPerDevice: 10_000,
  /** Ephemeral (call) envelopes older than this are dropped instead of delivered. */
  ephemeralTtlMs: 60_000,
  /** The server pings every socket this often; one that has not answered by the next ping is closed. */
  pingIntervalMs: 25_000,
  /** A client that has heard nothing from the server for this long (2.6 pings) reconnects. */
  clientIdleTimeoutMs: 65_000,
  /** Seconds a new socket has to authenticate. */
  authTimeoutMs: 5_000,
  /** Members per group, the creator included (WhatsApp's limit). */
  maxGroupMembers: 1024,
  /** Groups one account may belong to (bounds `GET /v1/groups`). */
  maxGroupsPerAccount: 1000,
  /** A group's encrypted name and avatar reference. */
  maxGroupAttributesBytes: 4096,
  /** An encrypted device name. */
  maxDeviceNameBytes: 256,
  /** A link token and a provisioning channel live this long. */
  linkTtlMs: 10 * 60_000,
  /** The encrypted provisioning message (identity, account, link token). */
  maxProvisioningMessageBytes: 16 * 1024,
  /** How long `GET /v1/provisioning/:id/message` waits before answering 204. */
  provisioningPollMs: 25_000,
  /** Provisioning message polls waiting at once on one server (one per channel); more get RATE_LIMITED. */
  maxProvisioningPolls: 1000,
  /** Provisioning channels one network address may open per minute (opening needs no account). */
  provisioningChannelsPerMinute: 20,
  /** Link tokens one account may ask for per minute. */
  linkTokensPerMinute: 10,
  /** The largest attachment (plaintext bytes) a server accepts by default (`--max-attachment-bytes`); its encrypted, padded size is what is uploaded. */
  maxAttachmentBytes: 100 * 1024 * 1024,
  /** No server stores a blob larger than this (bounds every size field of the attachment endpoints). */
  attachmentSizeCap: 2 ** 31,
  /** One `PUT /v1/attachments/:id` chunk: what an interrupted upload redoes at most; the HTTP body limit of that route. */
  attachmentChunkBytes: 1024 * 1024,
  /** A finished upload is kept this long by default (`--attachment-ttl-days`), then deleted from disk. */
  attachmentTtlMs: 30 * 24 * 3600_000,
  /** An upload not finished this long after it began is abandoned and deleted. */
  attachmentUploadWindowMs: 24 * 3600_000,
  /** Uploads one account may begin per minute. */
  attachmentsPerMinute: 30,
  /** Unfinished uploads one account may have at once (each reserves disk space). */
  maxPendingUploadsPerAccount: 10,
  /**
   * A profile picture (plaintext bytes) before encryption: a small picture every contact downloads;
   * its ciphertext, base64, keeps `PUT /v1/profile` within the 1 MiB body limit.
   */
  maxProfileAvatarBytes: 512 * 1024,
  /** Attachment downloads (GET and HEAD requests) one network address may make per minute. */
  attachmentDownloadsPerMinute: 600,
} as const;
