import { describe, expect, it } from '@jest/globals';
import { historyStatement, ident, literal } from '../../src/storage/influx/influxql.js';
import { authorization, parseVersion } from '../../src/storage/influx/server.js';
import { splitBucket, toV1WritePath } from '../../src/storage/influx/v1-transport.js';

describe('1.x write transport', () => {
  it.each([
    ['ns', 'n'], ['us', 'u'], ['ms', 'ms'], ['s', 's'],
  ])('maps precision %s to %s', (v2, v1) => {
    expect(toV1WritePath(`/api/v2/write?org=&bucket=city&precision=${v2}`)).toBe(`/write?db=city&precision=${v1}`);
  });

  it('splits db/rp and encodes both', () => {
    expect(toV1WritePath('/api/v2/write?org=o&bucket=my%20db%2Fweek%26rp&precision=ms')).toBe('/write?db=my+db&rp=week%26rp&precision=ms');
    expect(splitBucket('db')).toEqual(['db', undefined]);
    expect(splitBucket('db/')).toEqual(['db', undefined]);
    expect(splitBucket('db/rp/x')).toEqual(['db', 'rp/x']);
  });

  it('leaves other paths alone', () => {
    expect(toV1WritePath('/query?q=x')).toBe('/query?q=x');
  });
});

describe('server detection', () => {
  it('reads versions of every generation', () => {
    expect(parseVersion('1.6.7~rc0')).toEqual({ major: 1, minor: 6 });
    expect(parseVersion('1.8.10')).toEqual({ major: 1, minor: 8 });
    expect(parseVersion('v2.7.4')).toEqual({ major: 2, minor: 7 });
    expect(parseVersion('3.0.1')).toEqual({ major: 3, minor: 0 });
    expect(parseVersion('OSS')).toBeUndefined();
    expect(parseVersion(null)).toBeUndefined();
  });

  it('authenticates 1.x with Basic and 2.x/3.x with Token', () => {
    expect(authorization('', 1)).toBeUndefined();
    expect(authorization('user:pa:ss', 1)).toBe(`Basic ${Buffer.from('user:pa:ss').toString('base64')}`);
    expect(authorization('abc==', 2)).toBe('Token abc==');
    expect(authorization('apiv3_x', 3)).toBe('Token apiv3_x');
    expect(authorization('u:p', undefined)).toMatch(/^Basic /);
  });
});

describe('InfluxQL text', () => {
  it('quotes identifiers and strings so that nothing escapes them', () => {
    expect(ident('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(literal("x' OR '1'='1")).toBe("'x\\' OR \\'1\\'=\\'1'");
    expect(literal('\\')).toBe("'\\\\'");
    expect(() => literal('a\nb')).toThrow(TypeError);
    expect(() => ident('a\rb')).toThrow(TypeError);
  });

  it('builds raw and aggregated selects', () => {
    const base = { deviceId: 'd-1', metric: 'co', from: 1000, to: 61000, limit: 10 };
    expect(historyStatement(base)).toBe(
      `SELECT "co" FROM "readings" WHERE "device" = 'd-1' AND time >= 1000ms AND time < 61000ms ORDER BY time ASC LIMIT 10`,
    );
    expect(historyStatement({ ...base, every: 10000, agg: 'mean' })).toBe(
      `SELECT mean("co") FROM "readings" WHERE "device" = 'd-1' AND time >= 1000ms AND time < 61000ms GROUP BY time(10000ms) fill(none) LIMIT 10`,
    );
    expect(() => historyStatement({ ...base, limit: 1.5 })).toThrow(TypeError);
  });
});
