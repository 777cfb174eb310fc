/**
 * `npm run bench:cluster`: in one run, the embedded node (SQLite) and one, two and
 * three nodes on PostgreSQL + Redis (throwaway servers on loopback, fsync on),
 * the same load on each: CLIENTS clients spread over the nodes, MESSAGES 1:1
 * messages of ~400 bytes with at most WINDOW in flight, sent over the clients'
 * sockets and retried (same message id) when an answer is lost, as the SDK does.
 * In the three-node run one node is killed with SIGKILL halfway; its clients
 * reconnect to the others.
 *
 * Ends with one line per configuration:
 * `cluster: nodes <k>, delivered <n> msg/s, p99 <m> ms, acked <a>, lost <l>, duplicated <d>`
 * (lost: acknowledged to the sender, never delivered; duplicated: reached a
 * recipient's application twice after its dedupe by message id). Every process
 * runs on this machine: the nodes, PostgreSQL, Redis and the clients share its cores.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, startRedis } from '../src/testing/engines.ts';
import { freshDatabase, Ledger, LoadClient, percentile, registerAccounts, settle, startNode, type Node } from '../src/testing/cluster.ts';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 60);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 6000);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 64);

interface Result {
  label: string;
  nodes: number;
  rate: number;
  p99: number;
  acked: number;
  lost: number;
  duplicated: number;
  redelivered: number;
  errors: Map<string, number>;
}

/** MESSAGES sends, WINDOW at a time; `kill` runs once half of them are acknowledged. */
async function run(label: string, nodes: Node[], kill?: () => Promise<void>): Promise<Result> {
  const ledger = new Ledger();
  const ports = () => nodes.filter((n) => n.alive).map((n) => n.port);
  const accounts = await registerAccounts(ports()[0]!, CLIENTS, `b${Math.random().toString(36).slice(2, 7)}`);
  const clients = accounts.map((a) => new LoadClient(a, ports, ledger, a.index));
  await Promise.all(clients.map((c) => c.connect()));
  const errors = new Map<string, number>();
  let next = 0;
  let done = 0;
  let killed: Promise<void> | undefined;
  const start = performance.now();
  const deadline = start + 120_000;
  await new Promise<void>((resolveAll) => {
    const pump = () => {
      while (next < MESSAGES && next - done < WINDOW) {
        const n = next++;
        const from = clients[n % CLIENTS]!;
        const to = clients[(n + 1 + (Math.floor(n / CLIENTS) % (CLIENTS - 1))) % CLIENTS]!;
        const id = `${label}-${n}`;
        ledger.sending(id);
        void from.sendTo(to.account, id, deadline).then(
          (r) => {
            for (const e of r.errors) errors.set(e, (errors.get(e) ?? 0) + 1);
            if (r.acked) ledger.ack(id, [to.account.index]);
            finish();
          },
          (e: unknown) => {
            const code = (e as { code?: string }).code ?? String(e);
            errors.set(code, (errors.get(code) ?? 0) + 1);
            finish();
          },
        );
      }
    };
    const finish = () => {
      done++;
      if (kill && !killed && done >= MESSAGES / 2) killed = kill();
      if (done === MESSAGES) resolveAll();
      else pump();
    };
    pump();
  });
  await killed;
  await settle(ledger, 30_000);
  const seconds = (performance.now() - start) / 1000;
  for (const c of clients) c.close();
  return {
    label,
    nodes: nodes.length,
    rate: ledger.deliveries / seconds,
    p99: percentile(ledger.latencies, 99),
    acked: ledger.acked,
    lost: ledger.missing(),
    duplicated: ledger.duplicated,
    redelivered: ledger.redelivered,
    errors,
  };
}

console.log(`bench:cluster  (${CLIENTS} clients, ${MESSAGES} messages of 400 bytes, window ${WINDOW}; loopback, 2 cores shared by every process; load ${loadavg().map((l) => l.toFixed(2)).join(' ')})`);
const results: Result[] = [];

// The embedded node: SQLite, no Redis.
{
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-sqlite-'));
  const node = await startNode(0, { databaseUrl: `sqlite:${join(dir, 'parley.sqlite')}` });
  process.stderr.write('embedded SQLite node...\n');
  results.push(await run('embedded SQLite', [node]));
  await node.stop();
  rmSync(dir, { recursive: true, force: true });
}

const [postgres, redis] = await Promise.all([startPostgres({ lifetimeS: 30 * 60 }), startRedis({ lifetimeS: 30 * 60 })]);
try {
  for (const k of [1, 2, 3]) {
    const databaseUrl = await freshDatabase(postgres.url, `bench${k}`);
    const nodes = await Promise.all(Array.from({ length: k }, (_, i) => startNode(i, { databaseUrl, redisUrl: redis.url })));
    process.stderr.write(`${k} node(s) on PostgreSQL + Redis${k === 3 ? ', one killed halfway' : ''}...\n`);
    try {
      results.push(await run(k === 3 ? 'PostgreSQL + Redis, node 2 killed with SIGKILL halfway' : 'PostgreSQL + Redis', nodes, k === 3 ? () => nodes[1]!.kill() : undefined));
    } finally {
      await Promise.all(nodes.map((n) => n.stop()));
    }
  }
} finally {
  await postgres.stop();
  await redis.stop();
}

for (const r of results) {
  const errors = [...r.errors].map(([c, n]) => `${c} ${n}`).join(', ') || 'none';
  console.log(`  ${r.label}: redelivered ${r.redelivered} (dropped by the dedupe), retried send errors: ${errors}`);
}
for (const r of results) {
  console.log(`cluster: nodes ${r.nodes}, delivered ${r.rate.toFixed(0)} msg/s, p99 ${r.p99.toFixed(1)} ms, acked ${r.acked}, lost ${r.lost}, duplicated ${r.duplicated} (${r.label})`);
}
