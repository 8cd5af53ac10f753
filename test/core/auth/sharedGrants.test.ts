import { describe, expect, it } from 'vitest';
import { sharedGrants } from '../../../src/core/auth/sharedGrants.js';

describe('sharedGrants', () => {
  it('one Grants for every identity with the same rights list, another for another list', () => {
    const a = sharedGrants(['brew:a.**', 'subscribe:a.**']);
    const b = sharedGrants(['brew:a.**', 'subscribe:a.**']);
    const c = sharedGrants(['subscribe:a.**']);
    if (!a.ok || !b.ok || !c.ok) throw new Error('valid rights refused');
    expect(b.value).toBe(a.value);
    expect(c.value).not.toBe(a.value);
    expect(a.value.canBrew(['a', 'x'])).toBe(true);
    expect(c.value.canBrew(['a', 'x'])).toBe(false);
  });

  it('refuses a malformed list every time, and remembers at most 256 lists', () => {
    expect(sharedGrants(['no such right']).ok).toBe(false);
    expect(sharedGrants(['no such right']).ok).toBe(false);
    const first = sharedGrants(['brew:first.**']);
    for (let i = 0; i < 256; i++) sharedGrants([`brew:n${i}.**`]);
    const again = sharedGrants(['brew:first.**']);
    if (!first.ok || !again.ok) throw new Error('valid rights refused');
    expect(again.value).not.toBe(first.value); // forgotten, parsed anew: the same grants, another object
    expect(again.value.canBrew(['first', 'x'])).toBe(true);
  });
});
