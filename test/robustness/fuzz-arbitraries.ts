/**
 * fast-check arbitraries shared by the input-fuzzing suites: the kinds of bad input a careless
 * or hostile client sends. Each one is small and named for what it produces.
 */
import fc from 'fast-check';

/** Any JSON value, a few levels deep: the "random JSON" a client might send anywhere. */
export const anyJson: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 3 });

/** A value of some type, usually not the one a field wants. */
export const wrongType: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(fc.string({ maxLength: 5 }), fc.integer()), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
);

/** Numbers at the edges of every range the APIs check: -1, 0, 1, 1e308, 2^53, fractions. */
export const boundaryNumber: fc.Arbitrary<number> = fc.constantFrom(
  -1, 0, 1, 0.5, -0.5, 1.5, 2, 2.5, 10, 100, 100.5, 4095, 4096, 4097, 2 ** 31, 2 ** 32, 1e308, -1e308,
  2 ** 53, 2 ** 53 + 2, -(2 ** 53), Number.MAX_SAFE_INTEGER, Number.MIN_VALUE, -Number.MIN_VALUE,
);

/** What a JSON-less client writes for a non-finite number: as a string, it must be refused as a string. */
export const nonFiniteAsString: fc.Arbitrary<string> = fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e308', '1e999', '-0', '0x10', '');

/** Bare tokens spliced into JSON text where a number goes; most make the body invalid JSON. */
export const rawNumberToken: fc.Arbitrary<string> = fc.constantFrom(
  'NaN', 'Infinity', '-Infinity', '1e999', '-1e999', '1e-400', '-0', '0x10', '00', '1.', '.5', '+1', '1e308', '9007199254740993', '1_000',
);

/** A field value for a numeric or string parameter: a boundary, a non-finite string, or the wrong type. */
export const numericFieldValue: fc.Arbitrary<unknown> = fc.oneof(boundaryNumber, nonFiniteAsString, wrongType);

/** Strings with the characters that break naive code: NUL, lone surrogates, RTL marks, emoji, CRLF. */
export const awkwardString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 30, unit: 'binary' }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    '\ud800',
    'tail\udfff',
    '\u202eevil',
    '👩‍👩‍👧‍👦',
    'line\r\nInjected: header',
    '<script>alert(1)</script>',
    '{{ raise_exception("x") }}',
    '%s%n%x',
    '../../etc/passwd',
    '\\u0000',
    '__proto__',
  ),
);

/** A big text of `sizeBytes` ASCII bytes made of words, so the echo backend would stream many tokens. */
export function bigText(sizeBytes: number, word = 'word'): string {
  return `${word} `.repeat(Math.ceil(sizeBytes / (word.length + 1))).slice(0, sizeBytes);
}

/** Sizes from just under to well over the 1 MiB body limit. */
export const hugeSize: fc.Arbitrary<number> = fc.constantFrom(200_000, 900_000, 1_048_000, 1_100_000, 3_000_000);

/** JSON text nested `depth` levels deep, as arrays or objects, optionally under a field of a valid body. */
export function deeplyNestedJson(depth: number, shape: 'array' | 'object'): string {
  return shape === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

export const nestingDepth: fc.Arbitrary<number> = fc.constantFrom(100, 1000, 10_000, 100_000);

/** Byte sequences that are not UTF-8: stray continuation bytes, overlongs, surrogates, truncation. */
export const invalidUtf8: fc.Arbitrary<Buffer> = fc
  .constantFrom([0xff], [0xfe, 0xff], [0x80], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0xf0, 0x9f, 0x98])
  .map((bytes) => Buffer.from(bytes));

/** JSON text with invalid UTF-8 bytes inside a string value of the given field. */
export function jsonWithInvalidUtf8(field: string, bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`{"${field}":"before `), bytes, Buffer.from(' after"}')]);
}

/** Extra fields no schema knows, prototype-polluting names among them. */
export const unknownFields: fc.Arbitrary<Record<string, unknown>> = fc.dictionary(
  fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty')),
  anyJson,
  { maxKeys: 4 },
);

/** Content types a client might send with a body, right or wrong. */
export const contentType: fc.Arbitrary<string | undefined> = fc.constantFrom(
  undefined,
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/jsonx',
  'text/plain',
  'text/html',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/octet-stream',
  'text/event-stream',
  // The CSP report route parses these as JSON too.
  'application/csp-report',
  'application/reports+json',
  '*/*',
  '',
  'garbage',
  'application/json;;;',
);

/** Raw request bodies: truncated JSON, bare tokens, non-JSON text, whitespace, nothing at all. */
export const rawBodyText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('', ' ', '\n', 'null', 'true', '0', '"text"', '[]', '{}', '{', '}', '{"a":', '{"a":1,}', "{'a':1}", '[1,2', 'undefined', '\u0000', '\ufeff{}'),
  rawNumberToken.map((token) => `{"temperature":${token}}`),
  fc.string({ maxLength: 60 }),
  anyJson.map((value) => JSON.stringify(value).slice(0, -1)),
);

/** Path-parameter values: random text, traversal, encodings, very long ids, ids that exist. */
export function pathParameter(existingIds: readonly string[]): fc.Arbitrary<string> {
  const raw = fc.oneof(
    fc.string({ minLength: 1, maxLength: 40 }).map(encodeURIComponent),
    fc.uuid(),
    fc.constantFrom(
      '%00', '%FF', '%E0%A4%A', '%', '%%', '%2F', '%2e%2e', '..', '.', '%20', '+', 'null', 'undefined', '0', '-1', '1e308', 'NaN',
      '__proto__', 'constructor', '%F0%9F%98%80', '%C0%80', '%ED%A0%80', 'a;b', 'a,b', '%0D%0ASet-Cookie:%20x=1', '*',
    ),
    fc.integer({ min: 1_000, max: 20_000 }).map((length) => 'x'.repeat(length)),
  );
  return existingIds.length > 0 ? fc.oneof(raw, fc.constantFrom(...existingIds)) : raw;
}

/** Query strings with duplicate keys, brackets, bad escapes and prototype names. */
export const queryString: fc.Arbitrary<string> = fc
  .array(
    fc.tuple(
      fc.oneof(
        fc.constantFrom('search', 'limit', 'updatedBefore', 'format', 'stream', '__proto__', 'constructor[prototype]', 'a[b]', 'limit[]', ''),
        fc.string({ maxLength: 8 }).map(encodeURIComponent),
      ),
      fc.oneof(
        fc.constantFrom('', '1', '0', '-1', '501', '1.5', 'NaN', 'Infinity', '1e308', 'json', 'markdown', 'xml', '2024-01-01T00:00:00Z', 'not-a-date', '%FF', '%', '%00'),
        fc.string({ maxLength: 20 }).map(encodeURIComponent),
        fc.integer({ min: 200, max: 5000 }).map((length) => 'q'.repeat(length)),
      ),
    ),
    { maxLength: 4 },
  )
  .map((pairs) => pairs.map(([key, value]) => `${key}=${value}`).join('&'));

/** Methods routes do not register, and odd spellings of ones they do. */
export const unroutedMethod: fc.Arbitrary<'PUT' | 'OPTIONS' | 'TRACE' | 'PATCH' | 'DELETE' | 'POST' | 'GET'> = fc.constantFrom(
  'PUT', 'OPTIONS', 'TRACE', 'PATCH', 'DELETE', 'POST', 'GET',
);
