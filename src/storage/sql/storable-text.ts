/**
 * PostgreSQL text and jsonb cannot hold U+0000, and jsonb rejects an unpaired surrogate (a stream
 * cut between the halves of an emoji leaves one). Either would make every later save of that
 * answer fail, losing it, so both become U+FFFD, as a UTF-8 decoder would do.
 */
// eslint-disable-next-line no-control-regex -- matching U+0000 is the point
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function storableText(text: string): string {
  return text.replace(UNSTORABLE, '\uFFFD');
}

/** JSON for a jsonb column, with every string made storable. */
export function storableJson(value: unknown): string {
  return JSON.stringify(value, (_key, member: unknown) => (typeof member === 'string' ? storableText(member) : member));
}
