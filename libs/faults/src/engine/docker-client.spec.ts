import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerClient } from './docker-client';

// what dockerode's modem will dial: the given endpoint, never the process's own DOCKER_HOST
const modem = (d: ReturnType<typeof dockerClient>) =>
  d.modem as unknown as { host?: string; port?: number; socketPath?: unknown; protocol?: string; ca?: Buffer };

describe('dockerClient', () => {
  it('reaches a unix socket', () => {
    const m = modem(dockerClient({ host: 'unix:///tmp/second/docker.sock' }));
    expect(m).toMatchObject({ socketPath: '/tmp/second/docker.sock', host: undefined });
  });

  it('speaks plain http to tcp:// and TLS when asked or on 2376', () => {
    expect(modem(dockerClient({ host: 'tcp://10.199.0.2:2375' }))).toMatchObject({
      host: '10.199.0.2',
      port: 2375,
      protocol: 'http',
    });
    expect(modem(dockerClient({ host: 'tcp://10.199.0.2:2376' })).protocol).toBe('https');
    const certs = mkdtempSync(join(tmpdir(), 'certs-'));
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(certs, f), f);
    const m = modem(dockerClient({ host: 'tcp://engine:2375', tlsVerify: true, certPath: certs }));
    expect(m).toMatchObject({ host: 'engine', protocol: 'https' });
    expect(m.ca?.toString()).toBe('ca.pem');
  });

  it('reaches ssh:// engines and refuses other schemes', () => {
    expect(modem(dockerClient({ host: 'ssh://ops@engine' }))).toMatchObject({
      host: 'engine',
      port: 22,
      protocol: 'ssh',
    });
    expect(() => dockerClient({ host: 'npipe:////./pipe/docker' })).toThrow(/only unix/);
  });
});
