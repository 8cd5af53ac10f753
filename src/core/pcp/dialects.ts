import { isUtf8 } from 'node:buffer';
import { decodeV1, encodeV1, encodeV1WithData } from '../../protocol/pcp-v1/codec.js';
import { decodeV2, encodeV2, encodeV2WithData } from '../../protocol/pcp-v2/codec.js';
import type { OutgoingMessage, PcpDecodeResult } from '../../protocol/pcp/message.js';
import type { BrewerEvent } from '../brewerEvent.js';

export type PcpVersion = 'v1' | 'v2';

/** What differs between PCP v1 and v2 for a session: frame kind and codec. */
export interface PcpDialect {
  readonly version: PcpVersion;
  readonly name: string;
  decode(data: Buffer, isBinary: boolean): PcpDecodeResult;
  encode(message: OutgoingMessage): string | Uint8Array;
  encodeBrewerEvent(head: Omit<OutgoingMessage, 'data'>, event: BrewerEvent): string | Uint8Array;
}

const eventData = (event: BrewerEvent): string => JSON.stringify({ topic: event.topic, brewer: event.brewer });

const wrongFrame = (detail: string): PcpDecodeResult => ({ ok: false, error: { detail } });

export const PCP_V2: PcpDialect = {
  version: 'v2',
  name: 'pcp-v2',
  // [PCP-WIRE-1] v2 is JSON text in UTF-8; a binary frame cannot be decoded.
  decode: (data, isBinary) => {
    if (isBinary) return wrongFrame('binary frame on PCP v2');
    if (!isUtf8(data)) return wrongFrame('text frame is not UTF-8');
    return decodeV2(data.toString('utf8'));
  },
  encode: encodeV2,
  encodeBrewerEvent: (head, event) => encodeV2WithData(head, event.frame('pcp-data-json', eventData) as string),
};

export const PCP_V1: PcpDialect = {
  version: 'v1',
  name: 'pcp-v1',
  // [PCP-WIRE-2] v1 is binary chunks; a text frame cannot be decoded.
  decode: (data, isBinary) => (isBinary ? decodeV1(data) : wrongFrame('text frame on PCP v1')),
  encode: encodeV1,
  encodeBrewerEvent: (head, event) =>
    encodeV1WithData(head, event.frame('pcp-data-bytes', (e) => Buffer.from(eventData(e), 'utf8')) as Uint8Array),
};
