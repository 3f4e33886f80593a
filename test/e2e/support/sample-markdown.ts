/** A typical model answer: headings, lists, inline and fenced code, a table and LaTeX. */
export const sampleMarkdownAnswer = `## Quicksort in Python

Quicksort picks a **pivot**, splits the list around it and sorts each side. It runs in $O(n \\log n)$ on average.

\`\`\`python
def quicksort(items: list[int]) -> list[int]:
    if len(items) <= 1:
        return items
    pivot, *rest = items
    smaller = [item for item in rest if item < pivot]
    larger = [item for item in rest if item >= pivot]
    return quicksort(smaller) + [pivot] + quicksort(larger)
\`\`\`

| Case | Comparisons |
|------|-------------|
| Best | $n \\log_2 n$ |
| Worst | $n^2 / 2$ |

1. Call \`quicksort([3, 1, 2])\`.
2. Read the [docs](https://docs.python.org/3/howto/sorting.html).

$$
T(n) = 2\\,T\\!\\left(\\frac{n}{2}\\right) + O(n)
$$`;
