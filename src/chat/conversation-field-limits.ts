/**
 * Sizes a conversation's fields may have, the same through the app API and through import: a
 * 5 MB title once came in by import and then weighed down every conversation list.
 */
export const MAX_TITLE_CHARACTERS = 200;
export const MAX_SYSTEM_MESSAGE_CHARACTERS = 100_000;
