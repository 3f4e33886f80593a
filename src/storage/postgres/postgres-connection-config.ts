import pg from 'pg';

/** Connection settings for every connection anychat opens: the pool's and the listener's. */
export function postgresConnectionConfig(databaseUrl: string, schema?: string): pg.ClientConfig {
  return {
    connectionString: databaseUrl,
    application_name: 'anychat',
    // Set per connection at start-up, so no query can run before the schema is selected.
    ...(schema ? { options: `-c search_path=${pg.escapeIdentifier(schema)}` } : {}),
  };
}
