/**
 * What shape the answer must have. `json-object`: any JSON object. `json-schema`: JSON valid
 * against `schema`. `regex`: text matching `pattern` (only TGI upstreams can enforce that).
 */
export type ResponseFormat =
  | { type: 'json-object' }
  | { type: 'json-schema'; schema: Record<string, unknown>; name?: string | undefined }
  | { type: 'regex'; pattern: string };
