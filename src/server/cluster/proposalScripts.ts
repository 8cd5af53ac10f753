import type { Proposal } from '../../core/registry/changes.js';
import type { ScriptName } from './scripts.js';

/** The script that carries out a proposal, and its arguments after the common ones. */
export function scriptFor(p: Proposal): [ScriptName, (string | number)[]] {
  switch (p.kind) {
    case 'brewer.put':
      return ['pkPut', [p.topic, p.brewer.uuid, JSON.stringify(p.brewer), p.canonical, p.sub, p.owner.node, p.owner.session]];
    case 'brewer.remove':
      return ['pkRemove', [p.topic, p.uuid, p.sub ?? '', p.owner?.node ?? '', p.owner?.session ?? '']];
    case 'patron.put':
      return ['pkPatronPut', [p.owner.node, p.owner.session, p.topic, p.patronId, JSON.stringify(p.brews), p.canonical]];
    case 'patron.remove':
      return ['pkPatronRemove', [p.owner.node, p.owner.session, p.topic, p.patronId]];
    case 'uri.claim':
      return ['pkClaim', [p.uri, p.owner.node, p.owner.session, JSON.stringify(p.drop.map((k) => [k.topic, k.uuid]))]];
  }
}

/**
 * A field Redis would not keep as it is: a lone surrogate becomes U+FFFD in UTF-8, so the entry
 * would come back naming something other than what was proposed. Its name, or undefined.
 * (JSON-encoded values, brewer objects and brews, escape lone surrogates and are safe.)
 */
export function illFormedField(p: Proposal): string | undefined {
  const fields: [string, string | undefined][] =
    p.kind === 'brewer.put'
      ? [
          ['topic', p.topic],
          ['brewer.uuid', p.brewer.uuid],
          ['sub', p.sub],
        ]
      : p.kind === 'brewer.remove'
        ? [
            ['topic', p.topic],
            ['uuid', p.uuid],
            ['sub', p.sub],
          ]
        : p.kind === 'uri.claim'
          ? [['uri', p.uri]]
          : [
              ['topic', p.topic],
              ['patron_id', p.patronId],
            ];
  return fields.find(([, value]) => value !== undefined && LONE_SURROGATE.test(value))?.[0];
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
