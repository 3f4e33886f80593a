/**
 * The JSON-schema keywords the embedded engine's grammar (node-llama-cpp's GBNF JSON-schema
 * converter) can enforce. A schema using anything else is refused up front, naming the keyword:
 * a grammar that quietly skipped `minimum` or `pattern` would hand out JSON the client believes
 * was checked. Annotations (`title`, `$schema`, `examples`, …) change nothing generated and pass.
 */
const ENFORCED_KEYWORDS = new Set([
  'type', 'const', 'enum', 'oneOf', 'anyOf', 'properties', 'additionalProperties', 'required', 'minProperties', 'maxProperties',
  'items', 'prefixItems', 'minItems', 'maxItems', 'minLength', 'maxLength', 'format', '$defs', '$ref',
]);
const ANNOTATION_KEYWORDS = new Set(['title', 'description', '$schema', '$id', '$comment', 'examples', 'default', 'deprecated', 'readOnly', 'writeOnly', 'strict']);
const ENFORCED_FORMATS = new Set(['date-time', 'date', 'time']);

export interface UnsupportedSchemaFeature {
  keyword: string;
  /** Where in the schema, as a JSON pointer. */
  path: string;
}

/** The first keyword in `schema` the grammar cannot enforce, or null when all of it can be. */
export function findUnsupportedSchemaFeature(schema: unknown, path = ''): UnsupportedSchemaFeature | null {
  if (typeof schema === 'boolean') return schema ? null : { keyword: 'false schema', path: path || '/' };
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return { keyword: 'non-object schema', path: path || '/' };
  for (const [keyword, value] of Object.entries(schema)) {
    if (ANNOTATION_KEYWORDS.has(keyword)) continue;
    if (!ENFORCED_KEYWORDS.has(keyword)) return { keyword, path: path || '/' };
    if (keyword === 'format' && !ENFORCED_FORMATS.has(String(value))) return { keyword: `format: ${String(value)}`, path: path || '/' };
    if (keyword === '$ref' && !String(value).startsWith('#/$defs/')) return { keyword: `$ref to ${String(value)}`, path: path || '/' };
    const nested = nestedSchemas(keyword, value);
    for (const [key, child] of nested) {
      const found = findUnsupportedSchemaFeature(child, `${path}/${keyword}${key === null ? '' : `/${key}`}`);
      if (found) return found;
    }
  }
  return null;
}

function nestedSchemas(keyword: string, value: unknown): Array<[string | null, unknown]> {
  switch (keyword) {
    case 'properties':
    case '$defs':
      return value && typeof value === 'object' ? Object.entries(value) : [];
    case 'oneOf':
    case 'anyOf':
    case 'prefixItems':
      return Array.isArray(value) ? value.map((child, index) => [String(index), child]) : [];
    case 'items':
      return [[null, value]];
    case 'additionalProperties':
      return typeof value === 'object' ? [[null, value]] : [];
    default:
      return [];
  }
}

/**
 * node-llama-cpp's converter knows `oneOf` but not `anyOf`, which pydantic writes for optional
 * fields. For generation they are the same: the grammar produces one branch either way.
 */
export function anyOfAsOneOf(schema: unknown): unknown {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([keyword, value]) => {
      const name = keyword === 'anyOf' ? 'oneOf' : keyword;
      if (keyword === 'properties' || keyword === '$defs') {
        return [name, Object.fromEntries(Object.entries(value as object).map(([key, child]) => [key, anyOfAsOneOf(child)]))];
      }
      if (keyword === 'anyOf' || keyword === 'oneOf' || keyword === 'prefixItems') return [name, (value as unknown[]).map(anyOfAsOneOf)];
      if (keyword === 'items' || keyword === 'additionalProperties') return [name, anyOfAsOneOf(value)];
      return [name, value];
    }),
  );
}
