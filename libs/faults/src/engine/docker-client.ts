import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';

/** Where an engine is and how to talk to it: the worker passes its DOCKER_* configuration. */
export interface DockerEndpoint {
  /** DOCKER_HOST syntax (unix://, tcp://, ssh://); absent: the local socket */
  host?: string;
  /** TLS to a tcp:// host (port 2376 always uses it) */
  tlsVerify?: boolean;
  /** directory with ca.pem, cert.pem and key.pem */
  certPath?: string;
}

/**
 * The Docker client for an engine. Every connection field is given explicitly (undefined where
 * unused), because dockerode starts from its own reading of the environment and would otherwise
 * mix the process's DOCKER_HOST into another engine's address (a second engine in one process).
 */
export function dockerClient(endpoint: DockerEndpoint = {}): Docker {
  const { host } = endpoint;
  if (!host) return new Docker();
  const none = {
    host: undefined,
    port: undefined,
    socketPath: undefined,
    ca: undefined,
    cert: undefined,
    key: undefined,
  };
  const url = new URL(host.includes('//') ? host : `tcp://${host}`);
  if (url.protocol === 'unix:') return new Docker({ ...none, socketPath: url.pathname || '/var/run/docker.sock' });
  if (url.protocol === 'ssh:')
    return new Docker({
      ...none,
      protocol: 'ssh',
      host: url.hostname,
      port: Number(url.port) || 22,
      username: url.username,
    });
  if (url.protocol === 'tcp:' || url.protocol === 'http:' || url.protocol === 'https:') {
    const tls = endpoint.tlsVerify || url.port === '2376' || url.protocol === 'https:';
    const certs = endpoint.certPath
      ? {
          ca: readFileSync(join(endpoint.certPath, 'ca.pem')),
          cert: readFileSync(join(endpoint.certPath, 'cert.pem')),
          key: readFileSync(join(endpoint.certPath, 'key.pem')),
        }
      : {};
    return new Docker({
      ...none,
      ...certs,
      host: url.hostname,
      port: Number(url.port) || (tls ? 2376 : 2375),
      protocol: tls ? 'https' : 'http',
    });
  }
  throw new Error(`DOCKER_HOST ${host}: only unix://, tcp:// and ssh:// addresses are supported`);
}
