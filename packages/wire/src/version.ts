/** Client versions: every request carries `X-Parley-Version`; servers refuse old ones. */
import { WireError } from './errors.ts';

export const CLIENT_VERSION_HEADER = 'x-parley-version';
/** The version of this source tree's clients. */
export const PARLEY_VERSION = '0.1.0';

export type Semver = readonly [number, number, number];

export function parseVersion(v: string): Semver | undefined {
  const m = /^(\d{1,5})\.(\d{1,5})\.(\d{1,5})$/.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

export function compareVersions(a: Semver, b: Semver): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** Throws UPGRADE_REQUIRED when `clientVersion` is missing, malformed or below `minimum`. */
export function checkClientVersion(clientVersion: string | undefined, minimum: string): void {
  const min = parseVersion(minimum);
  const have = clientVersion === undefined ? undefined : parseVersion(clientVersion);
  if (!min) throw new Error(`invalid minimum client version ${minimum}`);
  if (!have || compareVersions(have, min) < 0) {
    throw new WireError(
      'UPGRADE_REQUIRED',
      `this client is ${clientVersion ?? 'unversioned'}; the server needs ${minimum} or newer`,
      { requiredVersion: minimum },
    );
  }
}
