/**
 * A long model answer with the markdown the page must handle while streaming: headings,
 * paragraphs with inline code, lists, a table and fenced code blocks (a third of the text, since
 * coding answers are where long outputs happen). Deterministic, so runs compare.
 */
const sentences = [
  'The function walks the list once and keeps the running total in `sum`.',
  'Each step compares the pivot with the current item and swaps when needed.',
  'This keeps memory use constant, because nothing is copied.',
  'Note that **edge cases** matter: an empty input returns at once.',
  'The tokenizer splits text into pieces the model has seen during training.',
  'Streaming lets the reader start before the whole answer is ready.',
];

const codeLines = [
  'def merge(left: list[int], right: list[int]) -> list[int]:',
  '    result = []',
  '    while left and right:',
  '        result.append(left.pop(0) if left[0] <= right[0] else right.pop(0))',
  '    return result + left + right',
  '',
  'for index, value in enumerate(values):',
  '    print(f"{index}: {value}")',
];

function section(index: number): string {
  const paragraph = (offset: number) => Array.from({ length: 4 }, (_, step) => sentences[(index + offset + step) % sentences.length]).join(' ');
  const parts = [
    `## Step ${index + 1}: ${['Setup', 'Sorting', 'Merging', 'Testing'][index % 4]}`,
    paragraph(0),
    `- first, read the input\n- then call \`merge(left, right)\`\n- finally print the result`,
    '```python\n' + codeLines.join('\n') + '\n```',
    paragraph(3),
  ];
  if (index % 3 === 2) parts.push('| Input | Output |\n|---|---|\n| `[3, 1]` | `[1, 3]` |\n| `[]` | `[]` |');
  return parts.join('\n\n');
}

/** Markdown of about `tokenCount` tokens, counting each whitespace-led word as one token. */
export function markdownAnswer(tokenCount: number): string[] {
  const tokens: string[] = [];
  for (let index = 0; tokens.length < tokenCount; index++) {
    const words = `${index === 0 ? '' : '\n\n'}${section(index)}`.match(/\s*\S+/g) ?? [];
    tokens.push(...words);
  }
  return tokens.slice(0, tokenCount);
}
