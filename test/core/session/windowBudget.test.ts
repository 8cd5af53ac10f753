import { describe, expect, it } from 'vitest';
import { WINDOW_MS, WindowBudget } from '../../../src/core/sessions/windowBudget.js';

describe('core: a budget per 10 s window', () => {
  it('is spent within a window and starts afresh in the next', () => {
    const budget = new WindowBudget(10);
    expect(budget.spend(9, 0)).toBe(false);
    expect(budget.exhausted(1)).toBe(false);
    // One spend that starts within budget is allowed to go past it; the next check says so.
    expect(budget.spend(8, 2)).toBe(true);
    expect(budget.exhausted(WINDOW_MS - 1)).toBe(true);
    expect(budget.exhausted(WINDOW_MS)).toBe(false);
    expect(budget.spent).toBe(0);
    expect(budget.spend(10, WINDOW_MS + 1)).toBe(false);
    expect(budget.exhausted(WINDOW_MS + 1)).toBe(true);
  });
});
