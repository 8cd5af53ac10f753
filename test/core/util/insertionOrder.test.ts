import { describe, expect, it } from 'vitest';
import { InsertionOrder } from '../../../src/core/util/insertionOrder.js';

/** Every item, page by page. */
function walk(order: InsertionOrder<string>, limit: number): string[][] {
  const pages: string[][] = [];
  for (let after: number | null = 0; after !== null; ) {
    const page = order.page(after, limit);
    pages.push(page.items);
    after = page.next;
  }
  return pages;
}

describe('core: paging in insertion order', () => {
  it('pages in the order items were added; the last page says there is no next', () => {
    const order = new InsertionOrder<string>();
    for (const x of ['a', 'b', 'c', 'd', 'e']) order.add(x);
    expect(walk(order, 2)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect(walk(order, 5)).toEqual([['a', 'b', 'c', 'd', 'e']]);
    expect(order.page(0, 10).next).toBeNull();
  });

  it('a removed item is skipped, one added later comes last, and a cursor outlives the item it names', () => {
    const order = new InsertionOrder<string>();
    for (const x of ['a', 'b', 'c']) order.add(x);
    const first = order.page(0, 2);
    expect(first.items).toEqual(['a', 'b']);
    order.delete('b');
    order.delete('c');
    order.add('d');
    order.add('b');
    expect(order.page(first.next ?? 0, 10).items).toEqual(['d', 'b']);
    expect(order.size).toBe(3);
  });

  it('sweeps removed entries once they outnumber the live ones, without changing any page', () => {
    const order = new InsertionOrder<number>();
    for (let i = 0; i < 1000; i++) order.add(i);
    for (let i = 0; i < 990; i++) order.delete(i);
    const page = order.page(0, 100);
    expect(page.items).toEqual([990, 991, 992, 993, 994, 995, 996, 997, 998, 999]);
    expect(page.next).toBeNull();
  });
});
