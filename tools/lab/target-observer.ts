import type Docker from 'dockerode';

/**
 * A container in a lab target's network and PID namespaces that reads its qdiscs, firewall tables
 * and processes and changes nothing. It stays in the namespaces the target had when it started:
 * after a restart of the target it must be started again (startObserver replaces it by name).
 * `image` holds the helper's tools and iptables' nat extensions (the dns helper's image): without
 * them `iptables -t nat -S` cannot print Docker's embedded-DNS rules.
 */
export async function startObserver(docker: Docker, targetId: string, name: string, image: string): Promise<string> {
  await docker
    .getContainer(name)
    .remove({ force: true })
    .catch(() => undefined);
  const observer = await docker.createContainer({
    name,
    Image: image,
    Entrypoint: ['sleep', 'infinity'],
    Cmd: [],
    // reading iptables takes a raw socket and NET_ADMIN; it changes nothing. In the target's PID
    // namespace too, to list what a process-kill helper left running there (its processes are
    // outside the target's cgroup: a process kill never signals them)
    HostConfig: {
      NetworkMode: `container:${targetId}`,
      PidMode: `container:${targetId}`,
      CapDrop: ['ALL'],
      CapAdd: ['NET_ADMIN', 'NET_RAW'],
    },
  });
  await observer.start();
  return observer.id;
}
