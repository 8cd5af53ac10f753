import type { Brew } from '../../protocol/pubkeeper-v1/packets.js';
import type { Brewer } from '../../protocol/pubkeeper/packets.js';

/** How a registered brewer looks to 1.x patrons. */
export interface BrewerOffer {
  brewer_config: Record<string, unknown>;
  brews: Brew[];
}

/** The brew name under which a JSON-dialect brewer without `brews` is offered to 1.x patrons. */
export const JSON_BREW_NAME = 'pubkeeper-json';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isBrew = (v: unknown): v is Brew => isObject(v) && typeof v.name === 'string' && v.name.length > 0;

/**
 * A brewer object (any dialect's) as a 1.x offer. A 1.x brewer is stored as
 * `{uuid: brewer_id, brewer_config, brews}`, so it comes back unchanged. A JSON-dialect brewer
 * may carry the same two keys to be a full 1.x brewer; without `brews` it is offered as one brew
 * named after its `protocol` (or `pubkeeper-json`) holding its other keys, so a 1.x patron that
 * accepts that name learns where to connect. [PK1-MAP-1]
 */
export function offerOf(brewer: Brewer): BrewerOffer {
  const brewerConfig = isObject(brewer.brewer_config) ? brewer.brewer_config : {};
  if (Array.isArray(brewer.brews) && brewer.brews.length > 0 && brewer.brews.every(isBrew)) {
    return { brewer_config: brewerConfig, brews: brewer.brews };
  }
  const { uuid: _uuid, brews: _brews, brewer_config: _config, ...rest } = brewer;
  const name = typeof brewer.protocol === 'string' && brewer.protocol.length > 0 ? brewer.protocol : JSON_BREW_NAME;
  return { brewer_config: brewerConfig, brews: [{ ...rest, name }] };
}

/**
 * The first of the patron's brews (its order is its preference) that the brewer offers too:
 * [patron's brew, brewer's brew], or undefined when they share none.
 */
export function sharedBrew(patronBrews: readonly Brew[], offer: BrewerOffer): [Brew, Brew] | undefined {
  for (const wanted of patronBrews) {
    const offered = offer.brews.find((b) => b.name === wanted.name);
    if (offered) return [wanted, offered];
  }
  return undefined;
}
