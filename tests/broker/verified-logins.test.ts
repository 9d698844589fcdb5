import { describe, expect, it } from '@jest/globals';
import { VerifiedLogins } from '../../src/broker/verified-logins.js';

const pw = (s: string) => Buffer.from(s);

describe('remembered logins', () => {
  it('answers only for the same device, password and stored hash', () => {
    const v = new VerifiedLogins();
    v.add('dev-1', 'hash-a', pw('secret'));
    expect(v.has('dev-1', 'hash-a', pw('secret'))).toBe(true);
    expect(v.has('dev-1', 'hash-a', pw('Secret'))).toBe(false);
    expect(v.has('dev-2', 'hash-a', pw('secret'))).toBe(false);
    expect(v.has('dev-1', 'hash-b', pw('secret'))).toBe(false); // rotated: the entry is dropped
    expect(v.has('dev-1', 'hash-a', pw('secret'))).toBe(false);
  });

  it('forgets entries after their time and keeps at most its bound, oldest out first', () => {
    let now = 0;
    const v = new VerifiedLogins(2, 1000, () => now);
    v.add('a', 'h', pw('x'));
    now = 500;
    v.add('b', 'h', pw('x'));
    v.add('a', 'h', pw('x')); // refreshed: now the newest
    now = 900;
    v.add('c', 'h', pw('x'));
    expect(v.size).toBe(2);
    expect(v.has('b', 'h', pw('x'))).toBe(false);
    expect(v.has('a', 'h', pw('x'))).toBe(true);
    now = 1550;
    expect(v.has('a', 'h', pw('x'))).toBe(false);
    expect(v.has('c', 'h', pw('x'))).toBe(true);
  });
});
