interface TextField {
  value: string;
  selectionStart: number | null;
  selectionEnd: number | null;
}

/**
 * The text `field` will hold once the insertion `event` describes (typing, paste, drop) has
 * happened, read in `beforeinput`: the browser lays the field out as it inserts, before `input`,
 * so styles that keep that layout cheap must be set by then. Null for input that inserts nothing
 * (deleting, a line break), which the `input` that follows is soon enough for.
 */
export function textAfterInsertion(field: TextField, event: Pick<InputEvent, 'data' | 'dataTransfer'>): string | null {
  const inserted = event.data ?? event.dataTransfer?.getData('text/plain');
  if (!inserted) return null;
  const start = field.selectionStart ?? field.value.length;
  const end = field.selectionEnd ?? start;
  return field.value.slice(0, start) + inserted + field.value.slice(end);
}
