import { execFileSync } from 'node:child_process';
import os from 'node:os';
import type { Pool } from '../../src/db/pool';

/** What a reader needs to compare figures between machines and runs. */
export interface MachineInfo {
  date: string;
  host: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  os: string;
  loadAverage: number[];
  node: string;
  postgres: string;
  postgresSource: string;
  settings: Record<string, string>;
  /** The code measured: commit, and whether src/ or migrations/ had uncommitted changes. */
  code: string;
}

function codeVersion(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8' }).trim();
    const dirty = git('status', '--porcelain', '--', 'src', 'migrations') !== '';
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? ' + uncommitted changes in src/ or migrations/' : ''}`;
  } catch {
    return 'unknown';
  }
}

const SETTINGS = ['fsync', 'synchronous_commit', 'shared_buffers', 'wal_level', 'max_connections', 'shared_preload_libraries'];

export async function machineInfo(admin: Pool, postgresSource: string): Promise<MachineInfo> {
  const { rows } = await admin.query<{ name: string; setting: string }>(
    `SELECT name, current_setting(name) AS setting FROM pg_settings WHERE name = ANY($1)`,
    [[...SETTINGS, 'server_version']],
  );
  const settings = Object.fromEntries(rows.map((r) => [r.name, r.setting]));
  const { server_version: version, ...rest } = settings;
  return {
    date: new Date().toISOString(),
    host: os.hostname(),
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()}`,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
    node: process.version,
    postgres: version,
    postgresSource,
    settings: rest,
    code: codeVersion(),
  };
}

export function describeMachine(m: MachineInfo): string {
  const s = m.settings;
  return [
    `date ${m.date}   host ${m.host}   code ${m.code}`,
    `machine: ${m.cpus} cores (${m.cpuModel}), ${m.memoryGiB} GiB, ${m.os}, load ${m.loadAverage.join(' ')}`,
    `node ${m.node}   postgres ${m.postgres} (${m.postgresSource}, 127.0.0.1)`,
    `postgres settings: fsync=${s.fsync} synchronous_commit=${s.synchronous_commit} shared_buffers=${s.shared_buffers} ` +
      `wal_level=${s.wal_level} max_connections=${s.max_connections} preload=${s.shared_preload_libraries || '(none)'}`,
  ].join('\n');
}

/**
 * Share of all cores busy over `ms` (Linux /proc/stat). Sampled between
 * workloads, while the bench itself is idle, it shows whether something else
 * on the machine was competing for the CPU.
 */
export async function busyShare(ms = 1000): Promise<number> {
  const sample = async () => {
    const { readFile } = await import('node:fs/promises');
    const fields = (await readFile('/proc/stat', 'utf8')).split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = fields[3] + (fields[4] ?? 0); // idle + iowait
    return { idle, total: fields.reduce((a, b) => a + b, 0) };
  };
  try {
    const a = await sample();
    await new Promise((r) => setTimeout(r, ms));
    const b = await sample();
    return 1 - (b.idle - a.idle) / (b.total - a.total);
  } catch {
    return NaN;
  }
}
