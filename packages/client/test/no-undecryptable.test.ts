// No "unable to decrypt": a seeded random run of group and direct messages while
// the network reorders envelopes, devices go offline, new devices are linked,
// devices are reinstalled (unlinked and linked afresh), a device loses its
// sessions and sender keys, and members are removed and added back. After
// everything settles, every message is readable on every device that should read
// it (the devices of its conversation's members when it was sent, which still
// exist) and on none of the others.
import { afterAll, describe, expect, it } from 'vitest';
import { groupConversation, MemoryClientStore, type MinimalWebSocket, type WebSocketFactory } from '../src/index.ts';

/** A device whose protocol state can be lost, as after a bug or a partial restore. */
class LosableStore extends MemoryClientStore {
  loseSessionsAndSenderKeys(): void {
    this.tables.get('sessions')!.clear();
    this.tables.get('senderkeys')!.clear();
  }
}
import { nodeWebSocket } from '../src/node/index.ts';
import { whileIdle } from '../src/test-support.ts';
import { linkedDevice, registered, startServer, stopAll, type Person } from './harness.ts';

afterAll(stopAll);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A small seeded PRNG (mulberry32), so a failing run can be repeated with its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A WebSocket whose incoming envelopes are sometimes held back and delivered after
 * later ones: the network reordering what one device receives.
 */
function reordering(rand: () => number): WebSocketFactory {
  return (url) => {
    const ws = nodeWebSocket(url);
    const held: Array<{ data: unknown }> = [];
    let handler: ((ev: { data: unknown }) => void) | null = null;
    const wrapper: MinimalWebSocket = {
      get readyState() {
        return ws.readyState;
      },
      send: (d) => ws.send(d),
      close: (c, r) => ws.close(c, r),
      onopen: null,
      onclose: null,
      onerror: null,
      get onmessage() {
        return handler;
      },
      set onmessage(h) {
        handler = h;
      },
    };
    ws.onopen = (e) => wrapper.onopen?.(e);
    ws.onclose = (e) => wrapper.onclose?.(e);
    ws.onerror = (e) => wrapper.onerror?.(e);
    ws.onmessage = (ev) => {
      const isEnvelope = typeof ev.data === 'string' ? ev.data.startsWith('{"type":"envelope"') : String(ev.data).startsWith('{"type":"envelope"');
      if (isEnvelope && rand() < 0.3) {
        held.push(ev);
        // Held at most a moment: released after a later frame, or by this timer.
        setTimeout(() => {
          const i = held.indexOf(ev);
          if (i >= 0) handler?.(held.splice(i, 1)[0]!);
        }, 20 + rand() * 300);
        return;
      }
      handler?.(ev);
      // Let held envelopes through after a later one, or when the queue is drained.
      while (held.length && (rand() < 0.5 || !isEnvelope)) handler?.(held.shift()!);
    };
    return wrapper;
  };
}

interface Device {
  account: string;
  person: Person;
  alive: boolean;
}

interface Sent {
  body: string;
  conversation: string;
  /** Devices ("name") that must have it in the end. */
  readers: Set<Person>;
  /** Devices that must not. */
  outsiders: Set<Person>;
}

describe('no "unable to decrypt"', () => {
  it('a random run with reordering, new devices, reinstalls, lost state and removals ends with every message readable where it should be, and nowhere else', { timeout: 240_000 }, async () => {
    const seed = Number(process.env.PARLEY_TEST_SEED ?? Date.now() % 100_000);
    const rand = prng(seed);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const server = await startServer();
    const ws = reordering(rand);
    const accounts = ['ann', 'ben', 'cat', 'dan'];
    const devices: Device[] = [];
    for (const a of accounts) {
      const p = await registered(server, a, new LosableStore(), ws);
      devices.push({ account: a, person: p, alive: true });
    }
    // Everyone knows everyone (so direct messages are not requests).
    const first = (a: string) => devices.find((d) => d.account === a && d.alive)!.person;
    for (const a of accounts) for (const b of accounts) if (a < b) await first(a).client.sendText(b, `hello ${b}`);
    await sleep(500);
    for (const a of accounts) for (const b of accounts) if (a !== b && first(a).client.isRequest(b)) await first(a).client.acceptRequest(b);
    const group = await first('ann').client.groups.create('Random', ['ben', 'cat', 'dan']);
    const members = new Set(accounts);
    const sent: Sent[] = [];
    const log: string[] = [`seed ${seed}`];
    const note = (line: string) => {
      log.push(line);
      if (process.env.PARLEY_TEST_TRACE) console.log(line);
    };

    const live = () => devices.filter((d) => d.alive);
    const devicesOf = (a: string) => live().filter((d) => d.account === a).map((d) => d.person);

    for (let step = 0; step < 60; step++) {
      const r = rand();
      if (r < 0.45) {
        // A group message from a member's device that knows the group by now.
        const ready = live().filter((d) => members.has(d.account) && d.person.client.groups.list().some((x) => x.groupId === group.groupId && x.active && x.masterKey));
        if (ready.length === 0) continue;
        const from = pick(ready);
        const body = `g${step} from ${from.person.name}`;
        const readers = new Set(live().filter((d) => members.has(d.account) && d !== from).map((d) => d.person));
        const outsiders = new Set(live().filter((d) => !members.has(d.account)).map((d) => d.person));
        note(`${step}: ${body}`);
        await from.person.client.groups.send(group.groupId, body);
        sent.push({ body, conversation: groupConversation(group.groupId), readers, outsiders });
      } else if (r < 0.7) {
        // A direct message between two accounts.
        const from = pick(live());
        const to = pick(accounts.filter((a) => a !== from.account));
        const body = `d${step} ${from.person.name}->${to}`;
        const readers = new Set([...devicesOf(to), ...devicesOf(from.account).filter((p) => p !== from.person)]);
        note(`${step}: ${body}`);
        await from.person.client.sendText(to, body);
        sent.push({ body, conversation: 'direct', readers, outsiders: new Set() });
      } else if (r < 0.78) {
        // A device goes offline for a while (its envelopes wait on the server).
        const d = pick(live());
        note(`${step}: ${d.person.name} offline`);
        d.person.client.disconnect();
        setTimeout(() => void d.person.client.connect().catch(() => undefined), 200 + rand() * 800);
      } else if (r < 0.84 && devices.length < 12) {
        // A new device is linked to an account (it reads only what is sent from now on).
        const a = pick(accounts);
        const existing = first(a);
        note(`${step}: link a device to ${a}`);
        const p = await linkedDevice(server, existing, `${a}-${step}`, new LosableStore(), ws);
        devices.push({ account: a, person: p, alive: true });
      } else if (r < 0.88) {
        // A reinstall: a linked (not first) device is unlinked and a fresh one linked instead.
        const d = live().find((x) => x.person.client.account!.deviceId > 1);
        if (!d) continue;
        note(`${step}: reinstall ${d.person.name}`);
        await first(d.account).client.devices.unlink(d.person.client.account!.deviceId);
        d.alive = false;
        d.person.client.close();
        const p = await linkedDevice(server, first(d.account), `${d.account}-re${step}`, new LosableStore(), ws);
        devices.push({ account: d.account, person: p, alive: true });
      } else if (r < 0.92) {
        // A device loses its sessions and sender keys (a bug, a partial restore).
        const d = pick(live());
        note(`${step}: ${d.person.name} loses its sessions and sender keys`);
        await whileIdle(d.person.client, () => (d.person.store as LosableStore).loseSessionsAndSenderKeys());
      } else {
        // Membership: remove a member, or add a removed one back.
        const out = accounts.filter((a) => !members.has(a));
        if (out.length && rand() < 0.5) {
          const a = pick(out);
          note(`${step}: add ${a} back`);
          await first('ann').client.groups.add(group.groupId, [a]);
          members.add(a);
        } else {
          const removable = [...members].filter((x) => x !== 'ann');
          if (removable.length === 0) continue;
          const a = pick(removable);
          note(`${step}: remove ${a}`);
          await first('ann').client.groups.remove(group.groupId, [a]);
          members.delete(a);
        }
      }
      await sleep(rand() * 50);
    }

    // Let everything settle: every live device online until the traffic stops.
    for (const d of live()) await d.person.client.connect().catch(() => undefined);
    const missing = () =>
      sent.flatMap((s) => [...s.readers].filter((p) => devices.find((d) => d.person === p)?.alive && !p.client.messages().some((m) => m.body === s.body)).map((p) => `${p.name} lacks "${s.body}"`));
    for (let i = 0; i < 60 && missing().length; i++) await sleep(500);
    const errors = devices.flatMap((d) => d.person.events.filter((e) => e.type === 'decrypt-error' || e.type === 'background-error').map((e) => `${d.person.name}: ${JSON.stringify(e)}`));
    expect(missing(), [...log, ...errors].join('\n')).toEqual([]);
    const leaked = sent.flatMap((s) => [...s.outsiders].filter((p) => p.client.messages().some((m) => m.body === s.body)).map((p) => `${p.name} has "${s.body}"`));
    expect(leaked, log.join('\n')).toEqual([]);
  });
});
