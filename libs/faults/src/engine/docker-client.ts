import Docker from 'dockerode';

/**
 * The Docker client for an engine address (DOCKER_HOST syntax). The process's own DOCKER_HOST (or
 * none) goes to dockerode as is, with its TLS settings from the environment; another address
 * (a second engine in the same process, as in tests) is reached over its unix socket or plain tcp.
 */
export function dockerClient(host?: string): Docker {
  if (!host || host === process.env.DOCKER_HOST) return new Docker();
  const url = new URL(host);
  if (url.protocol === 'unix:') return new Docker({ socketPath: url.pathname });
  if (url.protocol === 'tcp:' || url.protocol === 'http:')
    return new Docker({ host: url.hostname, port: Number(url.port) || 2375, protocol: 'http' });
  throw new Error(`DOCKER_HOST ${host}: only unix:// and tcp:// addresses are supported besides the environment's own`);
}
