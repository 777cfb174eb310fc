// Every request, response and frame of the client-server protocol, one file per concept. Re-exports only.
export * from './common.ts';
export * from './accounts.ts';
export * from './keys.ts';
export * from './messages.ts';
export * from './groups.ts';
export * from './devices.ts';
export * from './provisioning.ts';
export * from './turn.ts';
export * from './attachments.ts';
export * from './frames.ts';
export * from './notices.ts';
export * from './profiles.ts';
export * from './certificates.ts';
