/** Starts the browser's download of `url` (the server names the file with Content-Disposition), staying on the page. */
export function downloadFile(url: string): void {
  const link = document.createElement('a');
  link.href = url;
  link.download = '';
  link.click();
}
