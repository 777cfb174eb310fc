// Security notices and the kill switch through a real server: the operator signs
// notices offline (npm run notice); clients show only those that verify with the
// pinned operator key and are addressed to them, keep them, and refuse forged,
// altered, misaddressed, expired and replayed ones, also from a server that lies.
// A feature switched off in the server's configuration stops on every client.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { rawPublicKey, signNotice } from '@parley/server';
import type { NoticePayload, NoticesResponse, SignedNotice } from '@parley/wire';
import { sendRawContent } from '../src/test-support.ts';
import { bytesSource, checkNotices, MemoryNoticeKeeper, WireError, type ClientEvent } from '../src/index.ts';
import { person, registered, startServer, stopAll, type PersonOptions } from './harness.ts';

/** Registered but not connected (connecting checks notices in the background). */
async function offline(server: { url: string }, name: string, options: PersonOptions = {}) {
  const p = person(server, name, undefined, undefined, options);
  await p.client.register(name);
  return p;
}

afterAll(stopAll);

const HOUR = 3600_000;
const operator = generateKeyPairSync('ed25519').privateKey;
const impostor = generateKeyPairSync('ed25519').privateKey;

function notice(id: string, to: string[], extra: Partial<NoticePayload> = {}, key: KeyObject = operator): SignedNotice {
  const now = Date.now();
  return signNotice(key, { v: 1, id, issuedAt: now, expiresAt: now + 24 * HOUR, to, title: `Notice ${id}`, body: 'Update Parley now: a flaw in calls is fixed in 0.2.0.', ...extra });
}

const notices = (e: ClientEvent[]) => e.flatMap((x) => (x.type === 'security-notice' ? [x.notice.id] : []));

describe('security notices', () => {
  it('each person gets the verified notices addressed to them or to everyone, once; forged and altered ones are refused', async () => {
    const altered = notice('altered', ['*']);
    const payload = new TextEncoder().encode(new TextDecoder().decode(altered.payload).replace('0.2.0', '0.1.9'));
    const server = await startServer({
      notices: {
        publicKey: rawPublicKey(operator),
        notices: [notice('everyone', ['*'], { minVersion: '0.2.0' }), notice('for-alice', ['alice']), notice('for-bob', ['bob']), notice('forged', ['*'], {}, impostor), { ...altered, payload }],
      },
    });
    const keeper = new MemoryNoticeKeeper();
    const alice = await offline(server, 'alice', { noticeKeeper: keeper });
    const check = await alice.client.checkNotices();
    expect(check.fresh.map((n) => n.id).sort()).toEqual(['everyone', 'for-alice']);
    expect([...check.rejected].sort()).toEqual(['bad-signature', 'bad-signature']);
    expect(alice.client.notices().find((n) => n.id === 'everyone')).toMatchObject({ title: 'Notice everyone', minVersion: '0.2.0' });
    // Checked again, and on connecting: nothing is shown twice.
    expect((await alice.client.checkNotices()).fresh).toEqual([]);
    await alice.client.connect();
    await new Promise((r) => setTimeout(r, 300));
    expect(notices(alice.events).sort()).toEqual(['everyone', 'for-alice']);
    expect(keeper.load().publicKey).toEqual(rawPublicKey(operator));
    const bob = await offline(server, 'bob');
    expect((await bob.client.checkNotices()).fresh.map((n) => n.id).sort()).toEqual(['everyone', 'for-bob']);
  });

  it('a server that swaps in its own key and notices is caught: the pinned key refuses them all', async () => {
    const honest = await startServer({ notices: { publicKey: rawPublicKey(operator), notices: [notice('real', ['*'])] } });
    const keeper = new MemoryNoticeKeeper();
    const alice = await offline(honest, 'alice', { noticeKeeper: keeper });
    expect((await alice.client.checkNotices()).fresh.map((n) => n.id)).toEqual(['real']);
    // The same device, later, on a server that signs its own "notice" with its own key.
    const kept = keeper.load();
    const res: NoticesResponse = { disabledFeatures: [], publicKey: rawPublicKey(impostor), notices: [notice('fake', ['*'], {}, impostor)] };
    const check = checkNotices(res, kept, 'alice', Date.now());
    expect(check).toMatchObject({ fresh: [], rejected: ['bad-signature'], keyChanged: true });
    expect(check.publicKey).toEqual(rawPublicKey(operator));
  });

  it('a lying server cannot make a client show a notice for someone else, an expired one, or an old one again', () => {
    const now = Date.now();
    const kept = { publicKey: rawPublicKey(operator), notices: [{ id: 'old', issuedAt: now - HOUR, expiresAt: now + HOUR, title: 'x', body: 'y' }] };
    const res: NoticesResponse = {
      disabledFeatures: [],
      notices: [notice('for-carol', ['carol']), notice('expired', ['*'], { issuedAt: now - 48 * HOUR, expiresAt: now - HOUR }), notice('old', ['*'])],
    };
    expect(checkNotices(res, kept, 'alice', now)).toMatchObject({ fresh: [], rejected: ['not-for-us', 'expired', 'replayed'] });
  });

  it('any change to a signed notice (a flipped bit in its payload or signature) is refused', () => {
    const good = notice('prop', ['*']);
    const kept = { publicKey: rawPublicKey(operator), notices: [] };
    expect(checkNotices({ disabledFeatures: [], notices: [good] }, kept, 'alice', Date.now()).fresh).toHaveLength(1);
    fc.assert(
      fc.property(fc.boolean(), fc.nat(), fc.integer({ min: 0, max: 7 }), (inPayload, at, bit) => {
        const bytes = new Uint8Array(inPayload ? good.payload : good.signature);
        bytes[at % bytes.length]! ^= 1 << bit;
        const bad = inPayload ? { ...good, payload: bytes } : { ...good, signature: bytes };
        const check = checkNotices({ disabledFeatures: [], notices: [bad] }, kept, 'alice', Date.now());
        expect(check.fresh).toEqual([]);
        expect(check.rejected).toHaveLength(1);
      }),
      { numRuns: 300 },
    );
  });
});

describe('kill switch', () => {
  it('video calls and attachments switched off on the server stop on every client; voice calls go on', async () => {
    const server = await startServer({ disabledFeatures: ['video-calls', 'attachments'] });
    const alice = await registered(server, 'alice');
    const bob = await registered(server, 'bob');
    await bob.client.sendText('alice', 'hi');
    await alice.receives('hi');
    await alice.client.acceptRequest('bob');
    await alice.client.checkNotices();
    await bob.client.checkNotices();
    expect(alice.client.featureDisabled('video-calls')).toBe(true);
    expect(alice.client.featureDisabled('calls')).toBe(false);
    await expect(alice.client.startCall('bob', 'video')).rejects.toMatchObject({ code: 'FEATURE_DISABLED' });
    const err = await alice.client.attachments.send('bob', bytesSource(new Uint8Array(100)), { fileName: 'a.bin' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WireError);
    expect((err as WireError).code).toBe('FEATURE_DISABLED');
    // A video ring from a client that ignores the switch (an old or modified one) does not ring; it is logged.
    const forcedId = 'f'.repeat(32);
    await sendRawContent(alice.client, 'bob', { v: 1, kind: 'call', id: crypto.randomUUID(), ts: Date.now(), call: { type: 'ring', callId: forcedId, media: 'video' } }, { ephemeral: true });
    const voice = await alice.client.startCall('bob', 'audio');
    await bob.waitFor((e) => e.type === 'call' && e.event === 'incoming' && e.callId === voice, 'the voice call to ring');
    await alice.client.hangupCall(voice);
    expect(bob.client.callLog().find((e) => e.callId === forcedId)).toMatchObject({ event: 'switched-off', media: 'video', peer: 'alice' });
    expect(bob.events.some((e) => e.type === 'call' && e.callId === forcedId)).toBe(false);
  });
});
