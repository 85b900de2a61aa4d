import { describe, expect, it } from 'vitest';
import { migrate } from '../../../src/adapters/store/migrations.js';

describe('migrate', () => {
  const chain = {
    1: (d: Record<string, unknown>) => ({ ...d, order: [] }),
    2: (d: Record<string, unknown>) => ({ ...d, paused: false }),
  };
  it('runs every step from the stored version to the current one', () => {
    expect(migrate({ version: 1, tasks: [] }, 3, chain)).toEqual({ kind: 'migrated', from: 1, data: { version: 3, tasks: [], order: [], paused: false } });
  });
  it('leaves a current store alone', () => {
    expect(migrate({ version: 3 }, 3, chain)).toEqual({ kind: 'current', data: { version: 3 } });
  });
  it('refuses a newer store, a store without a version and a gap in the chain', () => {
    expect(migrate({ version: 4 }, 3, chain)).toEqual({ kind: 'newer', version: 4 });
    expect(migrate({ tasks: [] }, 3, chain).kind).toBe('unknown-version');
    expect(migrate({ version: 0 }, 3, chain)).toEqual({ kind: 'no-path', from: 0 });
  });
});
