import type { Hub } from '../../core/hub.js';
import type { Registration } from '../../core/registry/registration.js';
import { STATIC_SUB } from '../../core/registry/staticOwner.js';
import type { Session } from '../../core/sessions/session.js';
import type { Brewer } from '../../protocol/pubkeeper/packets.js';

/** One session as GET /admin/sessions and the event feed show it. [ADM-READ-1] */
export interface SessionEntry {
  id: string;
  sub: string | null;
  dialect: string;
  uri: string | null;
  remoteAddress: string | null;
  connectedSince: string;
  brewers: number;
  subscriptions: string[];
  patrons: string[];
}

/** One brewer as GET /admin/topics and the event feed show it. [ADM-READ-2] */
export interface BrewerEntry {
  uuid: string;
  sub: string | null;
  static: boolean;
  session: string | null;
  brewer: Brewer;
}

export interface TopicEntry {
  topic: string;
  brewers: BrewerEntry[];
  subscribers: number;
}

export function sessionEntry(hub: Hub, session: Session): SessionEntry {
  return {
    id: session.id,
    sub: session.sub ?? null,
    dialect: session.dialect,
    uri: session.pcp?.uri ?? null,
    remoteAddress: session.remoteAddress ?? null,
    connectedSince: new Date(session.connectedAt).toISOString(),
    brewers: hub.registry.countHeldBy(session.ref),
    subscriptions: [...session.subscriptions.keys()],
    patrons: hub.patrons.heldBy(session.ref).map((p) => p.topic),
  };
}

export function brewerEntry(hub: Hub, registration: Registration): BrewerEntry {
  const isStatic = registration.sub === STATIC_SUB;
  const local = registration.owner.node === hub.engine.node;
  return {
    uuid: registration.uuid,
    sub: isStatic ? null : registration.sub,
    static: isStatic,
    session: isStatic || !local ? null : registration.owner.session,
    brewer: registration.brewer,
  };
}

/** Sessions of this node with a subscription or a 1.x patron matching the topic. */
function subscribersOf(hub: Hub, registration: Registration): number {
  const sessions = new Set<string>();
  hub.subscriptions.forEachSession(registration.segments, (session) => sessions.add(session.id));
  hub.patrons.index.forEachMatch(registration.segments, (patron) => {
    if (patron.owner.node === hub.engine.node) sessions.add(patron.owner.session);
  });
  return sessions.size;
}

export function topicEntry(hub: Hub, topic: string): TopicEntry {
  const registrations = hub.registry.on(topic);
  const [first] = registrations;
  return { topic, brewers: registrations.map((r) => brewerEntry(hub, r)), subscribers: first ? subscribersOf(hub, first) : 0 };
}

export interface PageQuery {
  after: number;
  limit: number;
}

export const MAX_PAGE = 1000;
const DEFAULT_PAGE = 100;

/** `?after=&limit=`, bounded; anything unreadable falls back to the defaults. */
export function pageQuery(url: URL): PageQuery {
  const after = Number(url.searchParams.get('after') ?? 0);
  const limit = Number(url.searchParams.get('limit') ?? DEFAULT_PAGE);
  return {
    after: Number.isSafeInteger(after) && after > 0 ? after : 0,
    limit: Number.isSafeInteger(limit) && limit > 0 ? Math.min(limit, MAX_PAGE) : DEFAULT_PAGE,
  };
}

/** [ADM-READ-1] in the order the sessions began; each page in time proportional to its length. */
export function sessionsPage(hub: Hub, query: PageQuery): { sessions: SessionEntry[]; next: number | null } {
  const page = hub.sessions.page(query.after, query.limit);
  return { sessions: page.items.map((s) => sessionEntry(hub, s)), next: page.next };
}

/** [ADM-READ-2] in the order the topics got their first brewer. */
export function topicsPage(hub: Hub, query: PageQuery): { topics: TopicEntry[]; next: number | null } {
  const page = hub.registry.topicPage(query.after, query.limit);
  return { topics: page.items.map((t) => topicEntry(hub, t)), next: page.next };
}
