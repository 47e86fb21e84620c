export * from './fault-kind';
export * from './fault-kind.registry';
export { containerSteps } from './container/container.kind';
export { readKillRecord } from './process-kill/process-kill-verify';
export { ProcessKillRefusedError } from './process-kill/process-kill-arm';
export { StressRefusedError } from './stress/stress-arm';
export { DiskFillRefusedError } from './disk-fill/disk-fill-arm';
export { parseStressCheck, readStress, type StressCheck } from './stress/stress-verify';
export { DnsRefusedError, DNS_CONFIG_PATH } from './dns/dns-arm';
// what each kind arms and keeps in its lease, for readers that know the kind (tests, benchmarks)
export { kindPart, armedPart, kindFields } from './kind-part';
export { networkArmed, networkPart, type NetworkArmed, type NetworkLeasePart } from './network/network-part';
export {
  containerPart,
  type ContainerArmed,
  type ContainerLeasePart,
  type ContainerWatchdog,
} from './container/container-part';
export {
  blackholeArmed,
  blackholeDryRun,
  blackholePart,
  type BlackholeArmed,
  type BlackholeDryRunPart,
  type BlackholeLeasePart,
} from './blackhole/blackhole-part';
export {
  partitionDryRun,
  partitionPart,
  partitionTarget,
  type PartitionDryRunPart,
  type PartitionLeasePart,
} from './partition/partition-part';
export {
  resetArmed,
  resetDryRun,
  resetPart,
  type ResetArmed,
  type ResetDryRunPart,
  type ResetLeasePart,
} from './reset/reset-part';
export { dnsArmed, dnsPart, type DnsArmed, type DnsLeasePart } from './dns/dns-part';
export {
  processKillDryRun,
  processKillPart,
  type ProcessKillDryRunPart,
  type ProcessKillLeasePart,
  type TargetProcess,
} from './process-kill/process-kill-part';
export { stressArmed, stressPart, type StressArmed, type StressLeasePart } from './stress/stress-part';
export { diskFillArmed, diskFillPart, type DiskFillArmed, type DiskFillLeasePart } from './disk-fill/disk-fill-part';
