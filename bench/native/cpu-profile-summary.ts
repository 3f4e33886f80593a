/** Reads a V8 `.cpuprofile` (from `node --cpu-prof`) into self time per function and per origin. */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export type CodeOrigin = 'idle' | 'garbage collection' | 'native and VM (program)' | 'anychat' | 'node-llama-cpp' | 'fastify and other packages' | 'node internals';

export interface ProfileSummary {
  totalMilliseconds: number;
  byOrigin: Record<string, number>;
  topFunctions: { name: string; origin: CodeOrigin; selfMilliseconds: number }[];
}

function originOf(frame: ProfileNode['callFrame']): CodeOrigin {
  if (frame.functionName === '(idle)') return 'idle';
  if (frame.functionName === '(garbage collector)') return 'garbage collection';
  if (frame.functionName === '(program)' || frame.functionName === '(root)') return 'native and VM (program)';
  if (frame.url.includes('node-llama-cpp')) return 'node-llama-cpp';
  if (frame.url.includes('node_modules')) return 'fastify and other packages';
  if (frame.url.includes('/src/') || frame.url.includes('/bench/')) return 'anychat';
  return 'node internals';
}

/**
 * Self time of the main thread only: node-llama-cpp runs llama_decode on a worker thread, so the
 * main thread's busy time is the JavaScript cost wrapped around the engine (sampling glue,
 * detokenizing, our event stream, HTTP), and its idle time is mostly waiting for the engine.
 */
export function summarizeCpuProfile(profile: CpuProfile, window?: { startMicroseconds: number; endMicroseconds: number }, topCount = 15): ProfileSummary {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicroseconds = new Map<number, number>();
  // Sample times are the profile's start plus the running sum of deltas, on the same monotonic
  // clock as process.hrtime, so the workload can mark the window that excludes start-up.
  let time = profile.startTime;
  profile.samples.forEach((nodeId, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    time += delta;
    if (window && (time < window.startMicroseconds || time > window.endMicroseconds)) return;
    selfMicroseconds.set(nodeId, (selfMicroseconds.get(nodeId) ?? 0) + delta);
  });
  const byOrigin: Record<string, number> = {};
  const byFunction = new Map<string, { origin: CodeOrigin; microseconds: number }>();
  for (const [nodeId, microseconds] of selfMicroseconds) {
    const frame = (nodes.get(nodeId) as ProfileNode).callFrame;
    const origin = originOf(frame);
    byOrigin[origin] = (byOrigin[origin] ?? 0) + microseconds / 1000;
    const file = frame.url.split('/').slice(-2).join('/');
    const name = `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`;
    const entry = byFunction.get(name) ?? { origin, microseconds: 0 };
    entry.microseconds += microseconds;
    byFunction.set(name, entry);
  }
  const topFunctions = [...byFunction.entries()]
    .filter(([, entry]) => entry.origin !== 'idle')
    .sort((left, right) => right[1].microseconds - left[1].microseconds)
    .slice(0, topCount)
    .map(([name, entry]) => ({ name, origin: entry.origin, selfMilliseconds: Math.round(entry.microseconds / 100) / 10 }));
  for (const origin of Object.keys(byOrigin)) byOrigin[origin] = Math.round((byOrigin[origin] as number) * 10) / 10;
  const totalMicroseconds = window ? window.endMicroseconds - window.startMicroseconds : profile.endTime - profile.startTime;
  return { totalMilliseconds: Math.round(totalMicroseconds / 1000), byOrigin, topFunctions };
}
