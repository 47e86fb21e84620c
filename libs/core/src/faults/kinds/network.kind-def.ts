import { GAMEDAY_ROOT_HANDLE } from '../network-fault.compiler';
import { networkFaultSchema } from '../network.schema';
import { ledgerPattern, type FaultKindDef } from './fault-kind-def';

/** an interface name (IFNAMSIZ 16 with its NUL), never an option */
const DEVICE = ledgerPattern(/^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,14}$/, 'DEVICE');
/** the IFB devices GameDay creates for ingress faults (DEFAULT_IFB_DEVICE and its numbered kin) */
const OUR_IFB = ledgerPattern(/^gdifb\d{1,3}$/, 'gdifbN');
const INGRESS = 'ffff:';

/**
 * Network faults run tc in the target's netns. From a row: deleting our root qdisc (our handle,
 * netem or prio) or our ingress qdisc from a device, deleting our IFB, and showing a device's
 * qdiscs or our filters as JSON. Never a root qdisc without our handle, nor another link.
 */
export const networkKindDef = {
  name: 'network',
  schema: networkFaultSchema,
  ledgerArgv: {
    revert: [
      ['tc', 'qdisc', 'del', 'dev', DEVICE, 'root', 'handle', GAMEDAY_ROOT_HANDLE, ['netem', 'prio']],
      ['tc', 'qdisc', 'del', 'dev', DEVICE, 'handle', INGRESS, 'ingress'],
      ['ip', 'link', 'del', OUR_IFB],
    ],
    verify: [
      ['tc', '-j', 'qdisc', 'show', 'dev', DEVICE],
      ['tc', '-j', 'filter', 'show', 'dev', DEVICE, 'parent', [GAMEDAY_ROOT_HANDLE, INGRESS]],
    ],
  },
} as const satisfies FaultKindDef<'network'>;
