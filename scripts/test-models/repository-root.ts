import { fileURLToPath } from 'node:url';

/** The checkout's root, so caches land in `<root>/.cache` whatever the working directory is. */
export const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));
