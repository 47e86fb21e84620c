import type { Principal } from '../auth/auth.decorators';
import { redactHostDetails } from './visibility';

const as = (role: Principal['role']): Principal => ({ tokenId: null, name: role, role });

describe('redactHostDetails', () => {
  const target = {
    target: { containerId: 'c0ffee', containerName: 'svc', pid: 4242, netnsId: '/var/run/docker/netns/0f3b9c' },
    runner: ['nsenter', '-t', '4242', '-n', '--'],
    apply: [['tc', 'filter', 'add', 'dev', 'eth0', 'match', 'ip', 'dport', '4242', '0xffff']],
    warnings: ['inode net:[4026532288] of /proc/4242/ns/net'],
  };

  it('drops PIDs and netns paths for viewers, keeping the commands whole', () => {
    expect(redactHostDetails(target, as('viewer'))).toEqual({
      target: { containerId: 'c0ffee', containerName: 'svc' },
      runner: ['nsenter', '-t', '<pid>', '-n', '--'],
      // a port that happens to equal the PID is a port
      apply: target.apply,
      warnings: ['inode net:[<inode>] of /proc/<pid>/ns/net'],
    });
  });

  it('leaves everything to operators and admins', () => {
    expect(redactHostDetails(target, as('operator'))).toBe(target);
    expect(redactHostDetails(target, as('admin'))).toBe(target);
  });
});
