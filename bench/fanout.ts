// Fan-out: one brewer registered and unregistered while N JSON-dialect sessions subscribe to a
// matching pattern. The baseline does the same delivery but encodes the frame once per
// subscriber, which is what "encode once, send the same bytes" saves.
import { jsonDialect } from '../src/core/dialects/json/jsonDialect.js';
import { adoptIdentity } from '../src/core/operations/adoptIdentity.js';
import { operations } from '../src/core/operations/index.js';
import { encodeServerFrame } from '../src/protocol/pubkeeper/codec.js';
import { Packet } from '../src/protocol/pubkeeper/packets.js';
import { allRights, benchHub, CountingConnection } from './memory.js';
import { measure, reportRatio } from './harness.js';

const SUBSCRIBERS = 1000;
const brewer = { uuid: 'b-1', hostname: '10.0.0.7', port: 9899, protocol: 'udp', meta: { zone: 'eu-1', tags: ['a', 'b'] } };

export async function run(): Promise<void> {
  const hub = benchHub();
  const subscribers: CountingConnection[] = [];
  for (let i = 0; i < SUBSCRIBERS; i++) {
    const conn = new CountingConnection();
    const { session } = hub.createSession(jsonDialect, conn, hub.log);
    adoptIdentity(hub, session, allRights(`s${i}`));
    operations.subscribe(hub, session, i % 2 ? 'sensors.*.temperature' : 'sensors.**');
    subscribers.push(conn);
  }
  const brewerSession = hub.createSession(jsonDialect, new CountingConnection(), hub.log).session;
  adoptIdentity(hub, brewerSession, allRights('brewer'));

  const encodeOnce = measure(
    'register+unregister, encode once',
    () => {
      operations.registerBrewer(hub, brewerSession, 'sensors.kitchen.temperature', brewer);
      operations.unregisterBrewer(hub, brewerSession, 'sensors.kitchen.temperature', brewer.uuid);
    },
    { minMs: 1500 },
  );

  const perSubscriber = measure(
    'same delivery, encode per subscriber',
    () => {
      for (const kind of [Packet.BREWER_NOTIFY, Packet.BREWER_REMOVED]) {
        for (const conn of subscribers) conn.sendText(encodeServerFrame(kind, { topic: 'sensors.kitchen.temperature', brewer }));
      }
    },
    { minMs: 1500 },
  );

  console.log(`fan-out to ${SUBSCRIBERS} subscribers (2 notifications per op)`);
  reportRatio('same delivery, encode per subscriber', [perSubscriber, encodeOnce]);
}
