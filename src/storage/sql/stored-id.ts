const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Every id is a PostgreSQL `uuid`. Any other string (a path param of `x`, `%00`, 200 characters)
 * names nothing, and comparing it to a uuid column is a type error that fails the whole query, so
 * lookups answer "not found" for it without asking, as the in-memory store does.
 */
export function couldBeStoredId(id: string): boolean {
  return UUID.test(id);
}
