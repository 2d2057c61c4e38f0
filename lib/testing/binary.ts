import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const SBIN = ['/usr/sbin', '/usr/local/sbin', '/sbin', '/usr/bin', '/usr/local/bin'];
const INSTALL_HINT = 'Install it with `sudo apt-get install nats-server` (Debian/Ubuntu), or set NATS_SERVER_BIN to its path.';

function executable(path: string): boolean {
  try { accessSync(path, constants.X_OK); return true; } catch { return false; }
}

/** Finds the nats-server binary: `NATS_SERVER_BIN`, then PATH, then the sbin folders Debian's package uses. Throws how to install it when absent. */
export function findNatsServer(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.NATS_SERVER_BIN;
  if (explicit) {
    if (executable(explicit)) return explicit;
    throw new Error(`NATS_SERVER_BIN=${explicit} is not an executable file. ${INSTALL_HINT}`);
  }
  const dirs = [...(env.PATH ?? '').split(delimiter).filter(Boolean), ...SBIN];
  for (const dir of dirs) {
    const candidate = join(dir, 'nats-server');
    if (executable(candidate)) return candidate;
  }
  throw new Error(`nats-server binary not found on PATH or in ${SBIN.join(', ')}. ${INSTALL_HINT}`);
}
