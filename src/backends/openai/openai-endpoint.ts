/**
 * The `/v1/` base of an OpenAI-compatible server. Users paste either form: `http://host:8000`
 * (what vLLM and llama-server print) or `http://host:8000/v1` (what OpenAI SDKs want).
 */
export function openAiBaseUrl(endpoint: string): string {
  const trimmed = endpoint.replace(/\/+$/, '');
  return /\/v1$/.test(trimmed) ? `${trimmed}/` : `${trimmed}/v1/`;
}
