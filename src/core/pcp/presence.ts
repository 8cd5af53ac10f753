import { CloseCode, CloseReason } from '../../protocol/closeCodes.js';
import type { Applied } from '../registry/changes.js';
import type { SessionTable } from '../sessions/sessionTable.js';
import type { Inventory } from './inventory.js';

/**
 * What applied URI changes mean on this node: the inventory hears of connects and disconnects,
 * and a session whose URI another connection claimed is closed 4000, after its registrations
 * moved to its successor. The inventory reads -1 then +1. [PCP-CONN-3] [PCP-CONN-5]
 */
export function followUris(node: string, sessions: SessionTable, inventory: Inventory): (change: Applied) => void {
  return (change) => {
    if (change.kind === 'uri.released') return inventory.disconnected(change.uri);
    if (change.kind !== 'uri.claimed') return;
    const { previous } = change;
    if (previous) {
      const superseded = previous.node === node ? sessions.get(previous.session) : undefined;
      if (superseded) {
        superseded.log.warn('superseded by a new connection');
        superseded.close(CloseCode.SUPERSEDED, CloseReason.SUPERSEDED);
      }
      inventory.disconnected(change.uri);
    }
    inventory.connected(change.uri);
  };
}
