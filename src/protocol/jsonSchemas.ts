import { z } from 'zod';
import { CLIENT_PACKETS, SERVER_PACKETS } from './pubkeeper/packets.js';
import { PXP_SCHEMAS } from './pxp/messages.js';

/**
 * JSON Schemas of every packet payload, generated from the zod schemas the server validates with,
 * so the published schema and the code cannot drift (a test compares them with protocol/schemas/).
 * Keys are file paths under protocol/schemas/.
 */
export function generateJsonSchemas(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const packets = [
    ...Object.entries(CLIENT_PACKETS).map(([id, spec]) => ({ id, direction: 'client-to-server', ...spec })),
    ...Object.entries(SERVER_PACKETS).map(([id, spec]) => ({ id, direction: 'server-to-client', ...spec })),
  ];
  for (const packet of packets) {
    const schema = z.toJSONSchema(packet.schema, { io: 'input' });
    out[`pubkeeper/${packet.name.toLowerCase()}.json`] = {
      ...schema,
      $id: `urn:pubkeeper:schema:pubkeeper:${packet.name.toLowerCase()}`,
      title: `${packet.name} (${packet.id}) payload`,
      description: `PubKeeper JSON dialect, ${packet.direction}: the frame is [${packet.id}, payload].`,
    };
  }
  // PXP data chunks (protocol/pxp.md): one file per message type, named by its last segment.
  for (const [type, schema] of Object.entries(PXP_SCHEMAS)) {
    const name = type.slice(type.lastIndexOf('/') + 1);
    out[`pxp/${name}.json`] = {
      ...z.toJSONSchema(schema, { io: 'input' }),
      $id: `urn:pubkeeper:schema:pxp:${name}`,
      title: `${type} data`,
      description: `PXP over PCP: the data chunk of a ${type} message between a controller and an agent.`,
    };
  }
  return out;
}
