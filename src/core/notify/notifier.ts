import type { BrewerEvent } from '../brewerEvent.js';
import { Matchmaker, type PairOutput } from '../patrons/matchmaker.js';
import type { Applied } from '../registry/changes.js';
import type { RegistryEngine } from '../registry/registryEngine.js';
import type { Session } from '../sessions/session.js';
import type { SessionRef } from '../sessions/sessionRef.js';
import type { SessionTable } from '../sessions/sessionTable.js';
import type { Subscriptions } from '../subscriptions/subscriptions.js';
import { pairNotifications, type PairEvent } from './pairEvent.js';

/** The changes that tell subscribers of a brewer: each is one fan-out. */
const FAN_OUT_KINDS: ReadonlySet<Applied['kind']> = new Set(['brewer.added', 'brewer.replaced', 'brewer.removed']);

/**
 * The one notification pipeline. Every applied registry change runs through `apply`, in order:
 * subscribers are told of brewers (each dialect encoding an event once for all its sessions), and
 * 1.x pairs are kept and told. Only sessions of this node are reached.
 */
export class Notifier implements PairOutput {
  readonly pairs: Matchmaker;
  /**
   * Set while the server drains: every session is about to close, so the removals of their
   * brewers would only tell closing subscribers something false (that brewers went away, when the
   * server did) and cost brewers × subscribers messages.
   */
  quiet = false;
  private readonly node: string;
  /** Told each fan-out's duration (the edge's histogram); none in the core's own tests. */
  private fanOutObserver: ((seconds: number) => void) | undefined;

  constructor(
    engine: RegistryEngine,
    private readonly sessions: SessionTable,
    private readonly subscriptions: Subscriptions,
    private readonly stats: { notificationsSent: number },
  ) {
    this.node = engine.node;
    this.pairs = new Matchmaker(engine.registry, engine.patrons.index, this);
    engine.onApplied((change) => this.apply(change));
  }

  /**
   * Sets the one observer told, once per brewer event, how long it took from the applied change reaching
   * the pipeline (the engine's first listener) to its frames being handed to every subscriber's
   * connection, 1.x pairs included; the socket writes themselves follow at the end of the turn
   * (`OutputCoalescer`), once for all of the turn's events. Two clock reads per event, none per
   * subscriber.
   */
  observeFanOuts(observer: (seconds: number) => void): void {
    this.fanOutObserver = observer;
  }

  apply(change: Applied): void {
    const observe = this.fanOutObserver;
    // Quiet (draining), nothing is sent: no fan-out to time.
    if (observe === undefined || this.quiet || !FAN_OUT_KINDS.has(change.kind)) return this.notify(change);
    const started = performance.now();
    this.notify(change);
    observe((performance.now() - started) / 1000);
  }

  private notify(change: Applied): void {
    switch (change.kind) {
      case 'brewer.added':
        this.fanOut(change.registration.segments, change.registration.notifyEvent());
        return this.pairs.brewerAdded(change.registration);
      case 'brewer.replaced':
        // 1.x patrons of the replaced object hear it go before they hear of the new one.
        this.pairs.brewerRemoved(change.previous, true);
        this.fanOut(change.registration.segments, change.registration.notifyEvent());
        return this.pairs.brewerAdded(change.registration);
      case 'brewer.moved':
        return this.pairs.answerBrewer(change.registration);
      case 'brewer.removed':
        this.fanOut(change.registration.segments, change.registration.removedEvent());
        return this.pairs.brewerRemoved(change.registration);
      case 'patron.added':
        return this.pairs.patronAdded(change.patron);
      case 'patron.replaced':
        this.pairs.patronRemoved(change.previous, true);
        return this.pairs.patronAdded(change.patron);
      case 'patron.removed':
        return this.pairs.patronRemoved(change.patron);
      case 'uri.claimed':
      case 'uri.released':
        return;
    }
  }

  /** A brewer event to one session, encoded by its dialect (cached per event and dialect). */
  deliver(session: Session, event: BrewerEvent): void {
    if (session.closed || session.cut || this.quiet) return;
    const { encoder } = session;
    if (!encoder.encodeBrewerEvent) return;
    this.stats.notificationsSent++;
    session.send(encoder.encodeBrewerEvent(event, session.pcp?.uri));
  }

  canTell(ref: SessionRef): boolean {
    const session = this.local(ref);
    return session !== undefined && !session.closed && session.encoder.encodePairEvent !== undefined;
  }

  tell(ref: SessionRef, event: PairEvent): void {
    const session = this.local(ref);
    if (!session?.encoder.encodePairEvent) return;
    this.stats.notificationsSent += pairNotifications(event);
    for (const frame of session.encoder.encodePairEvent(event)) session.send(frame);
  }

  /** Once per session, however many of its patterns match. [PK-REG-2] */
  private fanOut(topic: readonly string[], event: BrewerEvent): void {
    this.subscriptions.forEachSession(topic, (session) => this.deliver(session, event));
  }

  private local(ref: SessionRef): Session | undefined {
    return ref.node === this.node ? this.sessions.get(ref.session) : undefined;
  }
}
