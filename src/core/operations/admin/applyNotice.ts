import type { Revocations } from '../../admin/revocations.js';
import type { Ports } from '../../ports.js';
import type { ClusterNotice } from '../../registry/changes.js';
import { kickClient } from './kickClient.js';
import { revokeToken } from './revokeToken.js';

/**
 * An admin action taken on another node of the cluster, carried out on this one's sessions
 * (CONTRACT §7: admin actions take effect on every node). The node that took it has kept it
 * durably and carried it out on its own sessions already.
 */
export function applyNotice(hub: Ports & { readonly revocations: Revocations }, notice: ClusterNotice): void {
  switch (notice.kind) {
    case 'revoke':
      if (hub.revocations.has(notice.target)) return;
      hub.revocations.replace(hub.revocations.with(notice.target, true));
      revokeToken(hub, notice.target);
      return;
    case 'unrevoke':
      hub.revocations.replace(hub.revocations.with(notice.target, false));
      return;
    case 'kick':
      kickClient(hub, notice.target);
      return;
    case 'command':
      // The admin plane of the node named carries it out; sessions have nothing to do with it.
      return;
  }
}
