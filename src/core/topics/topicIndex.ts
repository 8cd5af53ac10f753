import { MULTI_WILDCARD, SINGLE_WILDCARD } from '../../protocol/topic.js';
import { matchesTopic, type Pattern } from './pattern.js';

/**
 * The topics holding one segment. Most segments (a device id) are held by one topic: that one is
 * kept as the string itself, so adding and removing it allocates nothing.
 */
type Holders = string | Set<string>;

const NONE: readonly string[] = [];
const sizeOf = (holders: Holders): number => (typeof holders === 'string' ? 1 : holders.size);

interface Node {
  readonly id: number;
  readonly parent: Node | undefined;
  readonly segment: string;
  children: Map<string, Node> | undefined;
  /** Set when a stored topic ends here. */
  topic: string | undefined;
  /** The stored topic's segments, for matching a candidate without splitting it again. */
  topicSegments: readonly string[] | undefined;
}

/**
 * The literal topics that currently have a brewer, as a trie over segments, so that a new
 * subscription's snapshot walks only the topics its pattern can reach.
 *
 * The index holds each topic once: counting the brewers of a topic is the registry's job, which
 * adds a topic with its first brewer and removes it with its last. The visitor of
 * `forEachMatching` must not add or remove topics.
 */
export class TopicIndex {
  private nextId = 0;
  private readonly root: Node = this.createNode(undefined, '');
  private readonly topics = new Map<string, Node>();
  /**
   * Every literal segment → the topics holding it, so a pattern with a literal segment looks only
   * at the topics holding its rarest one: `**.zz` over 50,000 topics costs what it returns, not a
   * walk of the whole trie.
   */
  private readonly bySegment = new Map<string, Holders>();

  get size(): number {
    return this.topics.size;
  }

  has(topic: string): boolean {
    return this.topics.has(topic);
  }

  /** Stores the topic; false when it was already stored. `segments` is `topic` split on '.'. */
  add(topic: string, segments: readonly string[]): boolean {
    if (this.topics.has(topic)) return false;
    let node = this.root;
    for (const segment of segments) {
      let child = node.children?.get(segment);
      if (child === undefined) {
        child = this.createNode(node, segment);
        (node.children ??= new Map()).set(segment, child);
      }
      node = child;
    }
    node.topic = topic;
    node.topicSegments = segments;
    this.topics.set(topic, node);
    for (const segment of segments) this.hold(segment, topic);
    return true;
  }

  /** Removes the topic and prunes the nodes it alone used; false when it was not stored. */
  remove(topic: string, _segments?: readonly string[]): boolean {
    // The map already knows the end node, so the segments are not needed to find it.
    const end = this.topics.get(topic);
    if (end === undefined) return false;
    this.topics.delete(topic);
    for (const segment of end.topicSegments ?? NONE) this.release(segment, topic);
    end.topic = undefined;
    end.topicSegments = undefined;
    let node = end;
    while (node.parent !== undefined && node.topic === undefined && node.children === undefined) {
      const parent: Node = node.parent;
      parent.children?.delete(node.segment);
      if (parent.children?.size === 0) parent.children = undefined;
      node = parent;
    }
    return true;
  }

  /**
   * Visits every stored topic that `pattern` matches, once each. A literal pattern is one map
   * lookup. A `**` followed by more segments can reach one node at one pattern position along
   * several paths, so only then a Set of (node, position) pairs is allocated to skip repeats.
   */
  forEachMatching(pattern: Pattern, visit: (topic: string) => void): void {
    if (pattern.literal) {
      const topic = pattern.segments.join('.');
      if (this.topics.has(topic)) visit(topic);
      return;
    }
    const candidates = this.rarestHolders(pattern);
    if (candidates === undefined) return this.walk(this.root, pattern.segments, 0, visit, undefined);
    for (const topic of typeof candidates === 'string' ? [candidates] : [...candidates]) {
      const segments = this.topics.get(topic)?.topicSegments;
      if (segments !== undefined && matchesTopic(pattern, segments)) visit(topic);
    }
  }

  private hold(segment: string, topic: string): void {
    const holders = this.bySegment.get(segment);
    if (holders === undefined) this.bySegment.set(segment, topic);
    else if (typeof holders !== 'string') holders.add(topic);
    else if (holders !== topic) this.bySegment.set(segment, new Set([holders, topic]));
  }

  private release(segment: string, topic: string): void {
    const holders = this.bySegment.get(segment);
    if (holders === topic) {
      this.bySegment.delete(segment);
    } else if (holders !== undefined && typeof holders !== 'string') {
      holders.delete(topic);
      if (holders.size === 0) this.bySegment.delete(segment);
    }
  }

  /**
   * The topics holding the pattern's rarest literal segment (empty when one is held by none), or
   * undefined for a pattern of wildcards only, which the trie walks in time of what it returns.
   */
  private rarestHolders(pattern: Pattern): Holders | readonly string[] | undefined {
    let rarest: Holders | undefined;
    for (const segment of pattern.segments) {
      if (segment === SINGLE_WILDCARD || segment === MULTI_WILDCARD) continue;
      const holders = this.bySegment.get(segment);
      if (holders === undefined) return NONE;
      if (rarest === undefined || sizeOf(holders) < sizeOf(rarest)) rarest = holders;
    }
    return rarest;
  }

  private walk(
    node: Node,
    p: readonly string[],
    i: number,
    visit: (topic: string) => void,
    memo: Set<number> | undefined,
  ): void {
    if (memo !== undefined) {
      const key = node.id * (p.length + 1) + i;
      if (memo.has(key)) return;
      memo.add(key);
    }
    if (i === p.length) {
      if (node.topic !== undefined) visit(node.topic);
      return;
    }
    const segment = p[i];
    if (segment === MULTI_WILDCARD) {
      if (i === p.length - 1) {
        this.visitSubtree(node, p, i, visit, memo);
        return;
      }
      const shared = memo ?? new Set<number>();
      this.walk(node, p, i + 1, visit, shared); // `**` matches nothing more
      if (node.children !== undefined) {
        for (const child of node.children.values()) this.walk(child, p, i, visit, shared);
      }
    } else if (segment === SINGLE_WILDCARD) {
      if (node.children === undefined) return;
      for (const child of node.children.values()) this.walk(child, p, i + 1, visit, memo);
    } else if (segment !== undefined) {
      const child = node.children?.get(segment);
      if (child !== undefined) this.walk(child, p, i + 1, visit, memo);
    }
  }

  /**
   * A trailing `**` (at pattern position `i`) takes every topic under `node`. With a memo, each
   * node of the subtree is marked as reached at `i`, so a later walk reaching a descendant at
   * `i` stops there instead of visiting its topics again.
   */
  private visitSubtree(
    node: Node,
    p: readonly string[],
    i: number,
    visit: (topic: string) => void,
    memo: Set<number> | undefined,
  ): void {
    if (node.topic !== undefined) visit(node.topic);
    if (node.children === undefined) return;
    for (const child of node.children.values()) {
      if (memo !== undefined) {
        const key = child.id * (p.length + 1) + i;
        if (memo.has(key)) continue;
        memo.add(key);
      }
      this.visitSubtree(child, p, i, visit, memo);
    }
  }

  private createNode(parent: Node | undefined, segment: string): Node {
    return { id: this.nextId++, parent, segment, children: undefined, topic: undefined, topicSegments: undefined };
  }
}
