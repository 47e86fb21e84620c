// The netns lab topology inside one guest: a "target" namespace (stands in for a container:
// its only interface is eth0) and two destination namespaces running an HTTP server, all on one
// bridge in the guest's root namespace. Faults go on the target's eth0, as on a container.
export const TOPOLOGY = {
  target: { netns: 'gd-target', addr: '10.199.1.2', addr6: 'fd00:199:1::2' },
  dstA: { netns: 'gd-dst-a', addr: '10.199.1.11', addr6: 'fd00:199:1::11' },
  dstB: { netns: 'gd-dst-b', addr: '10.199.1.12', addr6: 'fd00:199:1::12' },
  device: 'eth0',
  wwwDir: '/run/gd-lab/www',
} as const;

/**
 * Guest payload: build the topology, then hand over to the guest agent with plan.json. The guest
 * runs the host's own files, so the agent runs on this very Node binary.
 */
export function netnsTopologyScript(agentPath: string, nodePath = process.execPath): string {
  const { target, dstA, dstB, wwwDir } = TOPOLOGY;
  return `set -eu
ip link add gd-br type bridge
ip link set gd-br up
attach() { # attach NETNS ADDR ADDR6: a veth whose namespace end is eth0, like a container's
  ip netns add "$1"
  ip link add "$1-h" type veth peer name eth0 netns "$1"
  ip link set "$1-h" master gd-br up
  ip -n "$1" link set lo up
  ip -n "$1" addr add "$2/24" dev eth0
  ip -n "$1" addr add "$3/64" dev eth0 nodad
  ip -n "$1" link set eth0 up
}
attach ${target.netns} ${target.addr} ${target.addr6}
attach ${dstA.netns} ${dstA.addr} ${dstA.addr6}
attach ${dstB.netns} ${dstB.addr} ${dstB.addr6}
mkdir -p ${wwwDir}
echo ok >${wwwDir}/index.html
exec ${nodePath} ${agentPath} "$GD_LAB_DIR/plan.json" "$GD_LAB_OUT/results.json"
`;
}
