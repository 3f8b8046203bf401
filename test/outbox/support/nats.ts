import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { jetstreamManager, type StoredMsg } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { freePort, listening } from '../../../scripts/server-process';

/** The machine's NATS server (JetStream on); .ci/run checks it is reachable. */
export const NATS_URL = process.env.NATS_TEST_URL ?? 'nats://127.0.0.1:4222';

/** Names no other test (or engineer) on the shared server uses. */
export function uniqueNames() {
  const id = randomBytes(4).toString('hex');
  return { prefix: `t${id}`, stream: `T_${id}`, inboundStream: `IN_${id}`, inboundSubject: `in${id}.orders`, durable: `d${id}` };
}

/** Every message of a stream, in stream order. */
export async function streamMessages(url: string, stream: string): Promise<StoredMsg[]> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(stream).catch(() => undefined);
    const out: StoredMsg[] = [];
    // An empty stream says first_seq 0, last_seq 0: there is nothing to get.
    for (let seq = Math.max(1, info?.state.first_seq ?? 1); info && info.state.messages > 0 && seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq });
      if (m) out.push(m);
    }
    return out;
  } finally {
    await nc.close();
  }
}

export async function deleteStreams(url: string, ...streams: string[]): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    for (const s of streams) await jsm.streams.delete(s).catch(() => false);
  } finally {
    await nc.close();
  }
}

/** Our own nats-server (JetStream, a store directory of the test's), to SIGKILL and start again. */
export class OwnNatsServer {
  private child?: ChildProcess;
  private constructor(
    readonly port: number,
    readonly storeDir: string,
  ) {}

  static async start(storeDir: string): Promise<OwnNatsServer> {
    const server = new OwnNatsServer(await freePort(), storeDir);
    await server.restart();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async restart(): Promise<void> {
    this.child = spawn('nats-server', ['-js', '-sd', this.storeDir, '-a', '127.0.0.1', '-p', String(this.port)], { stdio: 'ignore' });
    for (let i = 0; i < 200 && !(await listening(this.port)); i++) await new Promise((r) => setTimeout(r, 25));
    if (!(await listening(this.port))) throw new Error(`nats-server did not start on ${this.port}`);
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
}
