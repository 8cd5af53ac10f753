import { MULTI_WILDCARD, SINGLE_WILDCARD } from '../../protocol/topic.js';
import type { Pattern } from './pattern.js';

/** One trie node: the pattern prefix spelled by the path from the root. */
interface Node<T> {
  /** Identifies the node in the per-call memo of `forEachMatch`. */
  readonly id: number;
  readonly parent: Node<T> | undefined;
  /** The segment on the edge from the parent, used to unlink the node when it empties. */
  readonly segment: string;
  /**
   * Literal children: the one child itself (its `segment` is its key), as most prefixes of
   * specific patterns have one (a Map costs each about 250 bytes), and a Map from the second on.
   */
  literals: Map<string, Node<T>> | Node<T> | undefined;
  single: Node<T> | undefined;
  multi: Node<T> | undefined;
  /**
   * Values whose pattern ends exactly here: the one value alone, as most patterns have a single
   * subscriber (a Set costs each of them about 200 bytes), and a Set from the second on.
   */
  one: T | undefined;
  values: Set<T> | undefined;
}

/**
 * Subscriptions indexed by pattern, so that a publish walks only the trie paths its topic can
 * match instead of scanning every subscription.
 *
 * An entry is a (pattern, value) pair, keyed by the pattern's normalized segments: adding the
 * same pair twice stores it once, and `a.**.*` and `a.*.**` are the same pattern. One value may
 * be stored under several patterns. `forEachMatch` visits each stored entry whose pattern
 * matches exactly once, so a value stored under two matching patterns is visited twice: the
 * caller, which knows what a value means (a session, a subscription), dedupes if it needs to.
 *
 * The visitor may add and remove entries (a slow consumer can be closed mid-publish): a removed
 * value that was not reached yet is not visited.
 */
export class SubscriptionIndex<T> {
  private nextId = 0;
  private readonly root: Node<T> = this.createNode(undefined, '');
  private entries = 0;
  private nodes = 1;

  /** Number of stored (pattern, value) entries. */
  get size(): number {
    return this.entries;
  }

  /** Number of trie nodes, root included: shows that `remove` prunes (tests, metrics). */
  get nodeCount(): number {
    return this.nodes;
  }

  /** Stores the entry; returns false when it was already stored. */
  add(pattern: Pattern, value: T): boolean {
    let node = this.root;
    for (const segment of pattern.segments) node = this.childOrCreate(node, segment);
    if (node.one === value || node.values?.has(value)) return false;
    if (node.values !== undefined) node.values.add(value);
    else if (node.one === undefined) node.one = value;
    else {
      // Never turned back into `one`: a visit may be walking this Set while values go.
      node.values = new Set([node.one, value]);
      node.one = undefined;
    }
    this.entries++;
    return true;
  }

  /** Removes the entry and every node left without values or children; false if absent. */
  remove(pattern: Pattern, value: T): boolean {
    let node: Node<T> | undefined = this.root;
    for (const segment of pattern.segments) {
      node = childOf(node, segment);
      if (node === undefined) return false;
    }
    if (node.one === value) node.one = undefined;
    else if (node.values === undefined || !node.values.delete(value)) return false;
    else if (node.values.size === 0) node.values = undefined;
    this.entries--;
    this.prune(node);
    return true;
  }

  /**
   * Visits the value of every entry whose pattern matches `topic`, once per entry.
   *
   * A `**` followed by more segments can reach the same node at the same topic position along
   * several paths (`**.a.**` on `a.a`), which both repeats visits and, unchecked, multiplies
   * the work exponentially. Only then a Set of (node, position) pairs is allocated; literal,
   * `*` and trailing-`**` patterns walk allocation-free.
   */
  forEachMatch(topic: readonly string[], visit: (value: T) => void): void {
    this.walk(this.root, topic, 0, visit, undefined);
  }

  private walk(
    node: Node<T>,
    topic: readonly string[],
    j: number,
    visit: (value: T) => void,
    memo: Set<number> | undefined,
  ): void {
    if (memo !== undefined) {
      const key = node.id * (topic.length + 1) + j;
      if (memo.has(key)) return;
      memo.add(key);
    }
    if (j === topic.length) {
      if (node.one !== undefined) visit(node.one);
      else if (node.values !== undefined) for (const value of node.values) visit(value);
    } else {
      const segment = topic[j];
      const literal = segment === undefined ? undefined : literalChild(node, segment);
      if (literal !== undefined) this.walk(literal, topic, j + 1, visit, memo);
      if (node.single !== undefined) this.walk(node.single, topic, j + 1, visit, memo);
    }
    const multi = node.multi;
    if (multi === undefined) return;
    if (isLeaf(multi) || j === topic.length) {
      // A trailing `**` takes all that is left; it is entered once, at the end of the topic.
      this.walk(multi, topic, topic.length, visit, memo);
      return;
    }
    const shared = memo ?? new Set<number>();
    for (let k = j; k <= topic.length; k++) this.walk(multi, topic, k, visit, shared);
  }

  private createNode(parent: Node<T> | undefined, segment: string): Node<T> {
    return {
      id: this.nextId++,
      parent,
      segment,
      literals: undefined,
      single: undefined,
      multi: undefined,
      one: undefined,
      values: undefined,
    };
  }

  private childOrCreate(node: Node<T>, segment: string): Node<T> {
    const existing = childOf(node, segment);
    if (existing !== undefined) return existing;
    const child = this.createNode(node, segment);
    this.nodes++;
    if (segment === SINGLE_WILDCARD) node.single = child;
    else if (segment === MULTI_WILDCARD) node.multi = child;
    else addLiteral(node, child);
    return child;
  }

  private prune(from: Node<T>): void {
    let node = from;
    while (node.parent !== undefined && node.one === undefined && node.values === undefined && isLeaf(node)) {
      const parent: Node<T> = node.parent;
      if (node.segment === SINGLE_WILDCARD) parent.single = undefined;
      else if (node.segment === MULTI_WILDCARD) parent.multi = undefined;
      else {
        removeLiteral(parent, node);
      }
      this.nodes--;
      node = parent;
    }
  }
}

function childOf<T>(node: Node<T>, segment: string): Node<T> | undefined {
  if (segment === SINGLE_WILDCARD) return node.single;
  if (segment === MULTI_WILDCARD) return node.multi;
  return literalChild(node, segment);
}

function literalChild<T>(node: Node<T>, segment: string): Node<T> | undefined {
  const { literals } = node;
  if (literals === undefined) return undefined;
  if (literals instanceof Map) return literals.get(segment);
  return literals.segment === segment ? literals : undefined;
}

function addLiteral<T>(node: Node<T>, child: Node<T>): void {
  const { literals } = node;
  if (literals === undefined) node.literals = child;
  else if (literals instanceof Map) literals.set(child.segment, child);
  else
    node.literals = new Map([
      [literals.segment, literals],
      [child.segment, child],
    ]);
}

function removeLiteral<T>(node: Node<T>, child: Node<T>): void {
  const { literals } = node;
  if (literals === child) node.literals = undefined;
  else if (literals instanceof Map) {
    literals.delete(child.segment);
    // Back to the child alone: only `get` reads a Map of literals, never a loop that a change could upset.
    if (literals.size === 1) node.literals = literals.values().next().value;
    else if (literals.size === 0) node.literals = undefined;
  }
}

function isLeaf<T>(node: Node<T>): boolean {
  return node.literals === undefined && node.single === undefined && node.multi === undefined;
}
