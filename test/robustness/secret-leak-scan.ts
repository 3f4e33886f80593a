/**
 * Finds a secret in captured text (log lines, response bodies and headers) in every form it could
 * take there: as is, JSON-escaped, URL-encoded, base64 (a Basic header), or cut to its first 40
 * characters (error messages quote rejected values up to 40).
 */
export function secretForms(secret: string): string[] {
  const forms = [
    secret,
    JSON.stringify(secret).slice(1, -1),
    encodeURIComponent(secret),
    Buffer.from(secret).toString('base64'),
    Buffer.from(`user:${secret}`).toString('base64'),
    secret.slice(0, 40),
  ];
  return [...new Set(forms.filter((form) => form.length >= 12))];
}

export interface Leak {
  readonly where: string;
  readonly form: string;
}

/** Every place one of `secrets` shows up, in any of its forms. */
export function findLeaks(captured: ReadonlyArray<{ where: string; text: string }>, secrets: readonly string[]): Leak[] {
  const forms = secrets.flatMap(secretForms);
  return captured.flatMap(({ where, text }) => forms.filter((form) => text.includes(form)).map((form) => ({ where, form })));
}
