/**
 * BENCHMARKS.md is a sequence of sections fenced by `<!-- bench:NAME:start -->` and
 * `<!-- bench:NAME:end -->`. Several programs write into it (each bench may rewrite its own
 * section, as bench/lib/markdown-section.ts does), so the report rewrites only the sections it
 * renders and carries every other section over word for word, in a fixed order.
 */

export interface DocumentSection {
  name: string;
  body: string;
}

const sectionPattern = /<!-- bench:([\w.-]+):start -->\n?([\s\S]*?)\n?<!-- bench:\1:end -->/g;

export function parseSections(markdown: string): DocumentSection[] {
  return [...markdown.matchAll(sectionPattern)].map((match) => ({ name: match[1] as string, body: (match[2] as string).trim() }));
}

/**
 * Puts the sections in `order` first (those present), then any others in the order they had.
 * A section without a body in `rendered` keeps the body it had in the existing file.
 */
export function composeDocument(options: { title: string; existing: DocumentSection[]; rendered: Map<string, string>; order: string[] }): string {
  const bodies = new Map(options.existing.map((section) => [section.name, section.body]));
  for (const [name, body] of options.rendered) bodies.set(name, body.trim());
  const ordered = [...new Set([...options.order.filter((name) => bodies.has(name)), ...bodies.keys()])];
  const sections = ordered.map((name) => `<!-- bench:${name}:start -->\n${bodies.get(name)}\n<!-- bench:${name}:end -->`);
  return `${options.title}\n\n${sections.join('\n\n')}\n`;
}
