/**
 * Whether llama.cpp's own log lines reach the terminal. Off by default: on a corrupt GGUF it prints
 * several raw lines that say less than the one message we give. The CLI turns them on with
 * --verbose. Kept apart from load-llama.ts so the CLI can set it without importing node-llama-cpp.
 */
let showNativeLogs = false;

export function setNativeLogsShown(shown: boolean): void {
  showNativeLogs = shown;
}

export function nativeLogsShown(): boolean {
  return showNativeLogs;
}
