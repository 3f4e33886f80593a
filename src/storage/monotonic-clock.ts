/**
 * ISO timestamps that strictly increase within one process, so creation order is total even when
 * two writes land in the same millisecond (the sidebar orders by these times).
 */
export function createMonotonicClock(): () => string {
  let lastTime = 0;
  return () => {
    lastTime = Math.max(Date.now(), lastTime + 1);
    return new Date(lastTime).toISOString();
  };
}
