import { attributeValue, type Entity } from './entities.js';
import { badRequestData } from './problem.js';

// The NGSI-LD query language (`q`) on attribute values, the part this API answers: `;` (and), `|` (or) and
// parentheses; `attr`, `attr[key]` (a member of a structured value); `==` `!=` `>` `>=` `<` `<=`; values that are
// numbers, "quoted strings", true/false or unquoted date-times; `==a,b` (one of) and `==a..b` (a range). A bare
// `attr` holds when the entity has it.

type Scalar = number | string | boolean;
type Value = { one: Scalar } | { anyOf: Scalar[] } | { range: [Scalar, Scalar] };
type Node =
  | { and: Node[] }
  | { or: Node[] }
  | { attr: string; key?: string; op?: '==' | '!=' | '>' | '>=' | '<' | '<='; value?: Value };

export type EntityPredicate = (e: Entity) => boolean;

const OPS = ['==', '!=', '>=', '<=', '>', '<'] as const;

/** Compiles `q`; a malformed one is a BadRequestData naming where it goes wrong. */
export function compileQ(q: string): EntityPredicate {
  let at = 0;
  const fail = (what: string): never => {
    throw badRequestData(`q: ${what} at character ${at + 1} of ${JSON.stringify(q)}`);
  };
  const scalar = (): Scalar => {
    if (q[at] === '"') {
      const end = q.indexOf('"', at + 1);
      if (end < 0) fail('an unterminated string');
      const s = q.slice(at + 1, end);
      at = end + 1;
      return s;
    }
    const m = /^[^;|()",]+?(?=\.\.|[;|()",]|$)/.exec(q.slice(at));
    if (!m) return fail('a value expected');
    at += m[0].length;
    const text = m[0].trim();
    if (text === 'true' || text === 'false') return text === 'true';
    if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(text)) return Number(text);
    if (/^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[-+]\d{2}:\d{2})$/.test(text)) return text;
    return fail(`${JSON.stringify(text)} is no number, true/false, date-time or "quoted string"`);
  };
  const value = (): Value => {
    const first = scalar();
    if (q.startsWith('..', at)) {
      at += 2;
      return { range: [first, scalar()] };
    }
    const anyOf = [first];
    while (q[at] === ',') {
      at++;
      anyOf.push(scalar());
    }
    return anyOf.length > 1 ? { anyOf } : { one: first };
  };
  const term = (): Node => {
    if (q[at] === '(') {
      at++;
      const inner = or();
      if (q[at] !== ')') fail('")" expected');
      at++;
      return inner;
    }
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:\[([A-Za-z_][A-Za-z0-9_]*)\])?/.exec(q.slice(at));
    if (!m) return fail('an attribute name expected');
    at += m[0].length;
    const op = OPS.find((o) => q.startsWith(o, at));
    if (!op) return { attr: m[1]!, key: m[2] };
    at += op.length;
    return { attr: m[1]!, key: m[2], op, value: value() };
  };
  const and = (): Node => {
    const parts = [term()];
    while (q[at] === ';') { at++; parts.push(term()); }
    return parts.length > 1 ? { and: parts } : parts[0]!;
  };
  const or = (): Node => {
    const parts = [and()];
    while (q[at] === '|') { at++; parts.push(and()); }
    return parts.length > 1 ? { or: parts } : parts[0]!;
  };
  const tree = or();
  if (at < q.length) fail(`unexpected ${JSON.stringify(q[at])}`);
  return (e) => holds(tree, e);
}

function compare(a: unknown, b: Scalar): number | undefined {
  if (typeof a !== typeof b) return undefined;
  if (typeof a === 'number') return a - (b as number);
  if (typeof a === 'string') return a < (b as string) ? -1 : a > (b as string) ? 1 : 0;
  if (typeof a === 'boolean') return a === b ? 0 : undefined;
  return undefined;
}

function matches(actual: unknown, op: NonNullable<Extract<Node, { attr: string }>['op']>, v: Value): boolean {
  if ('anyOf' in v) {
    const found = v.anyOf.some((s) => compare(actual, s) === 0);
    return op === '==' ? found : op === '!=' ? !found : false;
  }
  if ('range' in v) {
    const lo = compare(actual, v.range[0]);
    const hi = compare(actual, v.range[1]);
    const inside = lo !== undefined && hi !== undefined && lo >= 0 && hi <= 0;
    return op === '==' ? inside : op === '!=' ? !inside : false;
  }
  const c = compare(actual, v.one);
  if (op === '!=') return c !== 0;
  if (c === undefined) return false;
  return { '==': c === 0, '>': c > 0, '>=': c >= 0, '<': c < 0, '<=': c <= 0 }[op];
}

function holds(n: Node, e: Entity): boolean {
  if ('and' in n) return n.and.every((p) => holds(p, e));
  if ('or' in n) return n.or.some((p) => holds(p, e));
  if (n.attr === 'id' || n.attr === 'type') return false;
  let actual = attributeValue(e[n.attr]);
  if (n.key !== undefined) actual = actual !== null && typeof actual === 'object' ? (actual as Record<string, unknown>)[n.key] : undefined;
  if (!n.op || !n.value) return actual !== undefined;
  if (actual === undefined) return false;
  return matches(actual, n.op, n.value);
}
