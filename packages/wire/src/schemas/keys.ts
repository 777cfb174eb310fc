/** Prekeys: uploads, counts, and the bundles a peer fetches to start a session. */
import { array, int, object } from '../decode.ts';
import { LIMITS } from '../limits.ts';
import { accountId, deviceId, ecPublicKey, kemPublicKey, keyId, registrationId, signature, username } from './common.ts';

export const signedPreKey = object({ keyId, publicKey: ecPublicKey, signature });
export const kemSignedPreKey = object({ keyId, publicKey: kemPublicKey, signature });
export const oneTimePreKey = object({ keyId, publicKey: ecPublicKey });

export const uploadKeysRequest = object(
  {},
  {
    preKeys: array(oneTimePreKey, LIMITS.maxPreKeysPerUpload),
    pqPreKeys: array(kemSignedPreKey, LIMITS.maxPreKeysPerUpload),
    signedPreKey,
    pqLastResortPreKey: kemSignedPreKey,
  },
);
export type UploadKeysRequest = ReturnType<typeof uploadKeysRequest>;

const count = int(0, 1_000_000);
export const preKeyCountResponse = object({ preKeys: count, pqPreKeys: count });
export type PreKeyCount = ReturnType<typeof preKeyCountResponse>;

/** Public keys of one device, as fetched by a peer (binary as base64). */
export interface DeviceBundleJson {
  deviceId: number;
  registrationId: number;
  signedPreKey: { keyId: number; publicKey: string; signature: string };
  pqPreKey: { keyId: number; publicKey: string; signature: string };
  preKey?: { keyId: number; publicKey: string };
}
export interface BundleResponseJson {
  accountId: string;
  username: string;
  identityKey: string;
  devices: DeviceBundleJson[];
}

/** `GET /v1/keys/:username[?device=N]` decoded on the client: binary fields as bytes. */
export const bundleResponse = object({
  accountId,
  username,
  identityKey: ecPublicKey,
  devices: array(
    object(
      { deviceId, registrationId, signedPreKey, pqPreKey: kemSignedPreKey },
      { preKey: oneTimePreKey },
    ),
    LIMITS.maxDevicesPerAccount,
  ),
});
export type BundleResponse = ReturnType<typeof bundleResponse>;
