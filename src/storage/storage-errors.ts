// Apart from open-conversation-store.ts, so the CLI can recognise them without loading the databases.
export class StorageConfigError extends Error {
  override readonly name = 'StorageConfigError';
}

/** The configured store could not be opened; the message says where and what to try. */
export class StorageOpenError extends Error {
  override readonly name = 'StorageOpenError';
}
