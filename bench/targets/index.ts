import { mosquittoSpec } from './mosquitto.js';
import { natsSpec } from './nats.js';
import { pubkeeperSpec } from './pubkeeper.js';
import { coalescedRawSpec, rawBroadcastSpec } from './rawWs.js';
import type { TargetKey, TargetSpec } from './target.js';

/** Every system of the fan-out benchmarks, ours first. */
export const TARGETS: Readonly<Record<TargetKey, TargetSpec>> = {
  pubkeeper: pubkeeperSpec,
  rawBroadcast: rawBroadcastSpec,
  coalescedRaw: coalescedRawSpec,
  nats: natsSpec,
  mosquitto: mosquittoSpec,
};

/** The specs for `keys` that can run here; a missing peer is reported once and left out. */
export function availableTargets(keys: readonly TargetKey[]): TargetSpec[] {
  const specs: TargetSpec[] = [];
  for (const key of keys) {
    const spec = TARGETS[key];
    const reason = spec.unavailable();
    if (reason === null) specs.push(spec);
    else console.log(`  (skipping ${spec.label}: ${reason})`);
  }
  return specs;
}
