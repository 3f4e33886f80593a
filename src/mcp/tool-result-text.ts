import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/**
 * A tool's result as the text the model reads. Text parts are kept as written; images, audio and
 * binary resources are named, not inlined (base64 would fill the context window with noise).
 */
export function toolResultText(result: CallToolResult): string {
  const parts: string[] = [];
  for (const part of result.content ?? []) {
    if (part.type === 'text') parts.push(part.text);
    else if (part.type === 'image' || part.type === 'audio') parts.push(`[${part.type}: ${part.mimeType}, ${Math.floor((part.data.length * 3) / 4)} bytes, not shown to the model]`);
    else if (part.type === 'resource') parts.push('text' in part.resource ? part.resource.text : `[resource ${part.resource.uri}, not shown to the model]`);
    else if (part.type === 'resource_link') parts.push(`[resource link: ${part.uri}]`);
  }
  if (parts.length === 0 && result.structuredContent) parts.push(JSON.stringify(result.structuredContent));
  return parts.join('\n');
}
