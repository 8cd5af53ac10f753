import { describe, expect, it } from 'vitest';
import { BrewerRegistry } from '../../../src/core/registry/brewerRegistry.js';
import { Registration } from '../../../src/core/registry/registration.js';
import type { SessionRef } from '../../../src/core/sessions/sessionRef.js';

const A: SessionRef = { node: 'n', session: 'a' };
const brewerOn = (topic: string, uuid: string, sub: string): Registration =>
  new Registration(topic, topic.split('.'), { uuid }, JSON.stringify({ uuid }), sub, A);

describe('core: uuid reservations (PK-REG-9)', () => {
  it('a reserved uuid belongs to its sub until the reservation runs out', () => {
    const registry = new BrewerRegistry();
    registry.reserve('u', 'alice', 1_000, 0);
    expect(registry.ownerOf('u', 999)).toBe('alice');
    expect(registry.ownerOf('u', 1_000)).toBeUndefined();
    // Gone for good once seen expired, whatever the clock says later.
    expect(registry.ownerOf('u', 0)).toBeUndefined();
  });

  it('a registration in force outranks a reservation', () => {
    const registry = new BrewerRegistry();
    registry.reserve('u', 'alice', 1_000, 0);
    const mine = brewerOn('a.b', 'u', 'alice');
    registry.put(mine);
    expect(registry.ownerOf('u', 10)).toBe('alice');
    // Taken up again by its owner, the reservation is spent: an explicit unregister frees the uuid.
    registry.delete(mine);
    expect(registry.ownerOf('u', 10)).toBeUndefined();
  });

  it('reserving sweeps the reservations that ran out, and a later one replaces an earlier one', () => {
    const registry = new BrewerRegistry();
    registry.reserve('old', 'alice', 100, 0);
    registry.reserve('u', 'alice', 500, 0);
    registry.reserve('u', 'bob', 2_000, 200);
    expect(registry.ownerOf('u', 1_000)).toBe('bob');
    expect(registry.ownerOf('old', 0)).toBeUndefined();
  });
});
