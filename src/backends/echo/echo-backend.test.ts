import { describeBackendConformance } from '../../../test/backends/backend-conformance.ts';
import { createEchoBackend } from './echo-backend.ts';

describeBackendConformance('echo', async () => createEchoBackend({ backend: 'echo' }), { echoesLastUserMessage: true });
describeBackendConformance('echo with a delay', async () => createEchoBackend({ backend: 'echo', delayMs: 2 }), {
  echoesLastUserMessage: true,
});
