/** A database URL fit for logs and error messages: the password replaced by `***`. */
export function describeDatabaseUrl(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return 'an unparseable database URL';
  }
}
