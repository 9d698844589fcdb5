// One answer to "does this match object cover this thing": a rule's match, a silence's, a notification policy's
// and an operator's live filter all name some fields of a device or an alert, and every field named must hold.

/** Per field of `S`: the one value it must have, or the values (an array or a Set) it may have; absent: any. */
export type Match<S> = { readonly [K in keyof S]?: S[K] | readonly S[K][] | ReadonlySet<S[K]> };

/**
 * True when every field the match names holds of the subject: it equals the named value, or is one of the named
 * values. A field left out (or undefined) does not narrow; an empty list or Set matches nothing.
 */
export function matches<S extends object>(match: Match<S>, subject: S): boolean {
  for (const key in match) {
    const want = match[key];
    if (want === undefined) continue;
    const have = subject[key];
    if (want instanceof Set ? !want.has(have) : Array.isArray(want) ? !want.includes(have) : want !== have) return false;
  }
  return true;
}
