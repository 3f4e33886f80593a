import type { GenerationEvent } from '../../backends/backend.ts';
import { HttpProblem } from '../http-problem.ts';

/**
 * A backend's error, as an HTTP problem for responses not yet started. Upstream faults are a
 * failed dependency (424, TGI's `generation`), except those that are the client's to fix (422)
 * or to retry (429).
 */
export function problemFromBackendError(event: Extract<GenerationEvent, { type: 'error' }>): HttpProblem {
  switch (event.code) {
    case 'validation':
      return new HttpProblem(422, 'validation', event.message);
    case 'context-overflow':
      return new HttpProblem(422, 'context-overflow', event.message);
    case 'overloaded':
      return new HttpProblem(429, 'overloaded', event.message);
    case 'timeout':
      return new HttpProblem(424, 'timeout', event.message);
    default:
      return new HttpProblem(424, 'generation', event.message);
  }
}
