import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRegistry } from '../app';
import { loadConfig } from '../config';
import { openDatabase, type Database } from '../db/database';
import { AppendNotifier, EventStore } from '../eventstore';
import { createLogger } from '../log';
import { Consumers, type ConsumerStatus } from '../consumers';
import { projectionConsumer, readModels } from '../projections';

const USAGE = `usage: npm run projections -- <command>
  status                      checkpoint, lag and parked events of every consumer (projections, process managers, outbox)
  rebuild <name>              build a new version from position zero beside the live one; reads switch when it caught up
  dead-letters <name>         list parked events
  replay <name> <position>    apply a parked event again`;

const line = (s: ConsumerStatus) =>
  `${s.kind.padEnd(16)} ${s.name.padEnd(16)} v${String(s.version).padEnd(3)} ${s.status.padEnd(10)} position ${String(s.checkpoint.position).padEnd(8)} ` +
  `lag ${s.lag.events} events / ${s.lag.ms} ms   parked ${s.parked}   owner ${s.lease.owner ?? '-'}`;

/**
 * Rebuilds run here too: this process joins the servers in competing for the
 * new version's lease, so the rebuild goes on whether or not a server runs.
 * Ctrl-C stops this process only; the rebuild continues in the servers.
 */
async function rebuild(db: Database, projections: Consumers, name: string): Promise<void> {
  const { version, started } = await projections.rebuild(name);
  console.log(started ? `rebuilding ${name} as version ${version}` : `a rebuild of ${name} (version ${version}) is already under way`);
  await projections.start();
  const { position: target } = await new EventStore(db.pool, createRegistry()).head();
  for (;;) {
    const status = (await projections.status({ name })).find((s) => s.version === version);
    if (!status) throw new Error(`version ${version} of ${name} was retired before it went live`);
    if (status.status === 'live') {
      console.log(`${name} version ${version} is live`);
      return;
    }
    console.log(`  position ${status.checkpoint.position} of ~${target}, ${status.lag.events} events behind`);
    await sleep(1000);
  }
}

async function run(argv: string[]): Promise<number> {
  const [command, name, position] = argv;
  if (!command || command === 'help' || command === '--help') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const config = loadConfig();
  const log = createLogger(process.env.LOG_LEVEL ?? 'warn');
  const db = await openDatabase(config);
  const store = new EventStore(db.pool, createRegistry());
  const notifier = new AppendNotifier(db.url);
  // Projections only: process managers and the outbox need the saga engine or the broker, which run in the servers.
  const projections = new Consumers(db.pool, store, {
    owner: `cli-${hostname()}-${process.pid}`,
    consumers: readModels().filter((p) => !name || p.name === name).map(projectionConsumer),
    notifier,
    log,
  });
  try {
    if (name && !projections.has(name)) throw new Error(`no projection named ${name}; known: ${readModels().map((p) => p.name).join(', ')}`);
    await projections.ensure();
    switch (command) {
      case 'status':
        for (const s of await projections.status({ name })) console.log(line(s));
        return 0;
      case 'rebuild':
        if (!name) break;
        await notifier.start();
        await rebuild(db, projections, name);
        return 0;
      case 'dead-letters':
        if (!name) break;
        for (const d of await projections.deadLetters(name)) {
          console.log(`${d.position}\tv${d.version}\t${d.type}\t${d.streamId}\tattempts ${d.attempts}\t${d.error}`);
        }
        return 0;
      case 'replay': {
        if (!name || !position) break;
        const results = await projections.replay(name, Number(position));
        if (results.length === 0) console.log(`nothing parked at position ${position} in ${name}`);
        for (const r of results) console.log(`v${r.version}: ${r.replayed ? 'replayed' : `still failing: ${r.error}`}`);
        return results.every((r) => r.replayed) && results.length > 0 ? 0 : 1;
      }
    }
    console.error(USAGE);
    return 2;
  } finally {
    await projections.stop();
    await notifier.stop();
    await db.close();
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
