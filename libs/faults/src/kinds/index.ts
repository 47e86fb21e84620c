export * from './fault-kind';
export * from './fault-kind.registry';
export { containerSteps } from './container/container.kind';
export { readKillRecord } from './process-kill/process-kill-verify';
export { ProcessKillRefusedError } from './process-kill/process-kill-arm';
export { StressRefusedError } from './stress/stress-arm';
export { DiskFillRefusedError } from './disk-fill/disk-fill-arm';
export { parseStressCheck, readStress, type StressCheck } from './stress/stress-verify';
export { DnsRefusedError, DNS_CONFIG_PATH } from './dns/dns-arm';
