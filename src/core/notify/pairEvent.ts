/**
 * What a 1.x session is told about its pairs (CONTRACT §4b). Notify entries are carried as JSON
 * text, each encoded once and shared by every session it goes to.
 */
export type PairEvent =
  | { readonly kind: 'brewerNotify'; readonly patronId: string; readonly entries: readonly string[] }
  | { readonly kind: 'brewerRemoved'; readonly topic: string; readonly patronId: string; readonly brewerId: string }
  | { readonly kind: 'patronNotify'; readonly brewerId: string; readonly entries: readonly string[] }
  | { readonly kind: 'patronRemoved'; readonly topic: string; readonly brewerId: string; readonly patronId: string };

/** How many notifications an event carries, for the notifications counter. */
export function pairNotifications(event: PairEvent): number {
  return event.kind === 'brewerNotify' || event.kind === 'patronNotify' ? event.entries.length : 1;
}
