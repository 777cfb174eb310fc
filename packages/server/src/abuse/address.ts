/**
 * Owns what counts as one client's network address for per-address limits:
 * IPv4 addresses as they are, IPv6 addresses by their /64 prefix (one host is
 * usually given a whole /64, so counting single IPv6 addresses would let it
 * rotate through 2^64 of them). Behind a reverse proxy every client has the
 * proxy's address (docs/LIMITS.md says what to configure then).
 */
import { isIPv6 } from 'node:net';

export function addressKey(ip: string | undefined): string {
  if (!ip) return 'unknown';
  const v4mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (v4mapped) return v4mapped[1]!;
  if (!isIPv6(ip)) return ip;
  // Expand "::" to find the first four groups.
  const [head = '', tail = ''] = ip.split('%')[0]!.split('::');
  const h = head ? head.split(':') : [];
  const t = ip.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
  return `${groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
