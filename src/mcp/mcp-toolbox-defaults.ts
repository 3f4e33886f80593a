/** The toolbox's defaults, apart from the toolbox so the CLI's flags can name them without loading the SDK. */
export const defaultMcpToolboxOptions = {
  toolTimeoutMs: 60_000,
  startTimeoutMs: 30_000,
  // About 4,000 tokens: more would leave no room in a small model's window for the answer.
  maxResultCharacters: 16_384,
};
