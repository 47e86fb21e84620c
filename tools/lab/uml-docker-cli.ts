// Brings the nested lab Docker Engine (user-mode-linux) up and down for humans and scripts.
// Run through tools/lab/uml-docker.sh.
import { processAlive } from './processes';
import path from 'node:path';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import Docker from 'dockerode';
import { ensureLabTargetImage } from './lab-images';
import { startUmlDocker, stopUmlDocker, type UmlDockerState } from './uml-docker';

const root = path.resolve(__dirname, '../..');
const dir = path.join(process.env.GAMEDAY_STATE_DIR ?? path.join(root, '.lab'), 'uml-docker');
const stateFile = path.join(dir, 'state.json');

function readState(): UmlDockerState | undefined {
  return existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, 'utf8')) as UmlDockerState) : undefined;
}

async function apiUp(s: UmlDockerState): Promise<boolean> {
  try {
    return (await fetch(`http://${s.host}:${s.port}/_ping`, { signal: AbortSignal.timeout(2_000) })).ok;
  } catch {
    return false;
  }
}

async function start(images: string[]): Promise<number> {
  const existing = readState();
  if (existing && processAlive(existing.pid)) {
    console.log(
      `already running: DOCKER_HOST=tcp://${existing.host}:${existing.port} (pid ${existing.pid}, tap ${existing.tap})`,
    );
    return 0;
  }
  const hostDocker = new Docker();
  const all = [await ensureLabTargetImage(hostDocker), ...images];
  const lab = await startUmlDocker({ images: all, hostDocker, dir, detached: true, tap: 'gdlabcli' });
  for (const l of lab.timings.imageLoads)
    console.log(`loaded ${l.image} (${(l.bytes / 1e6).toFixed(1)} MB) in ${l.ms} ms`);
  console.log(`Docker API ready after ${lab.timings.apiReadyMs} ms`);
  console.log(`DOCKER_HOST=tcp://${lab.host}:${lab.port}`);
  return 0;
}

async function stop(): Promise<number> {
  const s = readState();
  if (!s) {
    console.log('not running');
    return 0;
  }
  await stopUmlDocker(s);
  rmSync(stateFile, { force: true });
  console.log('stopped');
  return 0;
}

async function status(): Promise<number> {
  const s = readState();
  if (!s || !processAlive(s.pid)) {
    console.log('not running');
    return 3;
  }
  const up = await apiUp(s);
  console.log(
    `${up ? 'running' : 'booting or unhealthy'}: DOCKER_HOST=tcp://${s.host}:${s.port} (pid ${s.pid}, tap ${s.tap}, logs in ${s.dir})`,
  );
  return up ? 0 : 1;
}

async function main(): Promise<number> {
  const [cmd, ...rest] = process.argv.slice(2);
  switch (cmd) {
    case 'start':
      return start(rest);
    case 'stop':
      return stop();
    case 'status':
      return status();
    default:
      console.error('usage: tools/lab/uml-docker.sh start [IMAGE…] | stop | status');
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(err.message);
    process.exit(1);
  },
);
